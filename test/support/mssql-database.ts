import { resetConfig } from '../../shared/config';
import { createMssqlDatabase, dropMssqlDatabase, mssqlSettings } from './engines';

// The T-SQL project: this test file runs on a database of its own, created before its first
// hook and dropped after its last, so files never see each other's rows.
process.env.DB_ENGINE = 'mssql';
let database: string | undefined;

beforeAll(async () => {
  database = await createMssqlDatabase();
  Object.assign(process.env, mssqlSettings(database));
  resetConfig();
}, 60_000);

afterAll(async () => {
  if (database) await dropMssqlDatabase(database);
}, 60_000);
