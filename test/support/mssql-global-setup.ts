export { setup as default } from './mssql-global';
