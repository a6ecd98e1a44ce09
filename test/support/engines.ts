import { randomBytes } from 'node:crypto';

import { mssqlSettings } from '../../local/mssqlSettings';
import { createSqlClient, type Db } from '../../shared/clients/sql.client';
import { loadConfig } from '../../shared/config';

/**
 * The database engine of this jest project: SQLite (a temporary file under the test file's own
 * DATA_DIR), or the T-SQL engine named by MSSQL_TEST_CONNECTION, where every test file gets a
 * database of its own (test/support/mssql-database.ts). Clients are built by the production
 * createSqlClient, so tests run with the app's pool, DateTime2 binding and retry settings.
 */
export type EngineName = 'sqlite' | 'mssql';

export function testEngineName(): EngineName {
  return process.env.DB_ENGINE === 'mssql' ? 'mssql' : 'sqlite';
}

/** A client on this test file's database, from the settings the app itself would read. */
export function createTestDb(): Db {
  return createSqlClient(loadConfig().database);
}

/** A client on one database of the T-SQL test server, through the production createSqlClient. */
export function mssqlClient(database: string): Db {
  const s = mssqlSettings(database);
  return createSqlClient({
    engine: 'mssql',
    server: s.SQL_SERVER ?? '',
    port: Number(s.SQL_PORT),
    database,
    auth: 'sql-password',
    user: s.SQL_USER,
    password: s.SQL_PASSWORD,
    poolMax: 4,
    encrypt: s.SQL_ENCRYPT === 'true',
  });
}

/** Creates an empty database on the T-SQL server and returns its name (under this run's prefix, dropped at its end). */
export async function createMssqlDatabase(): Promise<string> {
  const name = `cuponeras_test_${process.env.MSSQL_TEST_RUN ?? 'adhoc'}_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const master = mssqlClient('master');
  try {
    // Babelfish refuses a CREATE DATABASE that races another ("tuple concurrently updated"): try again.
    for (let attempt = 1; ; attempt++) {
      try {
        await master.raw(`CREATE DATABASE [${name}]`);
        break;
      } catch (error) {
        if (attempt >= 5 || !String(error).includes('concurrently updated')) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  } finally {
    await master.destroy();
  }
  return name;
}
