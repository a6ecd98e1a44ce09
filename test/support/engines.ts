import { randomBytes } from 'node:crypto';

import { mssqlSettings } from '../../local/mssqlSettings';
import { createSqlClient, type Db } from '../../shared/clients/sql.client';
import { loadConfig } from '../../shared/config';
import { MIGRATIONS } from '../../sql/migrations';
import { MIGRATIONS_TABLE } from '../../sql/migrator';

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
export async function createMssqlDatabase(
  name = `cuponeras_test_${process.env.MSSQL_TEST_RUN ?? 'adhoc'}_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`,
): Promise<string> {
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

let blankDatabase = false;

/**
 * Called at the top of a test file whose tests need a database without even the schema (the
 * migration and T-SQL script tests): on the T-SQL engine it then gets a new database of its own
 * instead of its worker's emptied one (test/support/mssql-database.ts).
 */
export function needsBlankDatabase(): void {
  blankDatabase = true;
}

export function wantsBlankDatabase(): boolean {
  return blankDatabase;
}

/**
 * The database a jest worker hands to its test files one after another: creating and migrating
 * one per file took about 3 s of the T-SQL engine each. A file gets it with every row of every
 * table deleted (the schema and its migration records kept), as empty as a new one once migrated;
 * one left blank is handed on blank, and one left anywhere else (a migration cut short) is made
 * again. A worker runs one file at a time, so no two files ever share it at once.
 */
export async function workerMssqlDatabase(): Promise<string> {
  const name = `cuponeras_test_${process.env.MSSQL_TEST_RUN ?? 'adhoc'}_worker${process.env.JEST_WORKER_ID ?? '1'}`;
  const master = mssqlClient('master');
  let exists: boolean;
  try {
    exists = (await master.raw<unknown[]>('SELECT name FROM sys.databases WHERE name = ?', [name])).length > 0;
  } finally {
    await master.destroy();
  }
  if (!exists) return createMssqlDatabase(name);
  const db = mssqlClient(name);
  let state: 'blank' | 'emptied' | 'remake';
  try {
    state = await emptyMigratedDatabase(db);
  } finally {
    await db.destroy();
  }
  if (state !== 'remake') return name;
  await dropMssqlDatabase(name);
  return createMssqlDatabase(name);
}

async function emptyMigratedDatabase(db: Db): Promise<'blank' | 'emptied' | 'remake'> {
  const tables = (
    await db.raw<{ name: string }[]>(
      "SELECT TABLE_NAME AS name FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_TYPE = 'BASE TABLE'",
    )
  ).map((t) => t.name);
  if (tables.length === 0) return 'blank';
  if (!tables.includes(MIGRATIONS_TABLE)) return 'remake';
  const applied = (await db(MIGRATIONS_TABLE).orderBy('id').select<{ name: string }[]>('name')).map((m) => m.name);
  const locked = await db(`${MIGRATIONS_TABLE}_lock`).where({ is_locked: 1 }).first();
  if (locked || applied.join() !== MIGRATIONS.map((m) => m.name).join()) return 'remake';
  // Delete table by table; one still referenced by another's rows waits for a later pass.
  let left = tables.filter((t) => t !== MIGRATIONS_TABLE && t !== `${MIGRATIONS_TABLE}_lock`);
  while (left.length > 0) {
    const blocked: string[] = [];
    for (const table of left) {
      try {
        await db(table).delete();
      } catch (error) {
        if ((error as { number?: number }).number !== 547) throw error; // 547: a foreign key still refers to its rows
        blocked.push(table);
      }
    }
    if (blocked.length === left.length) throw new Error(`cannot empty ${blocked.join(', ')}: foreign keys in a cycle`);
    left = blocked;
  }
  return 'emptied';
}

async function dropMssqlDatabase(name: string): Promise<void> {
  const master = mssqlClient('master');
  try {
    await master.raw(`DROP DATABASE [${name}]`);
  } finally {
    await master.destroy();
  }
}
