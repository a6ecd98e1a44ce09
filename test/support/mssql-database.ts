import { mssqlSettings } from '../../local/mssqlSettings';
import { resetConfig } from '../../shared/config';
import { createMssqlDatabase } from './engines';

// The T-SQL project: this test file runs on a database of its own, created before its first
// hook (and dropped with the rest of the run's by test/support/mssql-global.ts), so files never
// see each other's rows.
process.env.DB_ENGINE = 'mssql';

beforeAll(async () => {
  const database = await createMssqlDatabase();
  Object.assign(process.env, mssqlSettings(database));
  resetConfig();
}, 60_000);
