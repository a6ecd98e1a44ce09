export { teardown as default } from './mssql-global';
