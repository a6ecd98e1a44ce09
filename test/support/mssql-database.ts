import { mssqlSettings } from '../../local/mssqlSettings';
import { resetConfig } from '../../shared/config';
import { createMssqlDatabase, wantsBlankDatabase, workerMssqlDatabase } from './engines';

// The T-SQL project: this test file runs on a database no other file uses while it runs, set
// before its first hook (and dropped with the rest of the run's by test/support/mssql-global.ts):
// its worker's database with every row deleted, or a new blank one for the files that ask
// (needsBlankDatabase), so files never see each other's rows.
process.env.DB_ENGINE = 'mssql';

beforeAll(async () => {
  const database = wantsBlankDatabase() ? await createMssqlDatabase() : await workerMssqlDatabase();
  Object.assign(process.env, mssqlSettings(database));
  resetConfig();
}, 60_000);
