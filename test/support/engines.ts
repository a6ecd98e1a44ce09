import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { mssqlSettings } from '../../local/mssqlSettings';
import { createSqlClient, type Db } from '../../shared/clients/sql.client';
import { loadConfig } from '../../shared/config';
import { migrateLatest, MIGRATIONS_TABLE } from '../../sql/migrator';

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
 * one per file took about 3 s of the T-SQL engine each. It is migrated here when it is made, and
 * what the migrations themselves wrote (the guest payer of 0012) is kept aside; each later file
 * gets it with every row of every table deleted and those rows put back, as a new database is
 * once migrated. One left anywhere else (a migration cut short, a table the migrations don't know)
 * is made again. A worker runs one file at a time, so no two files ever share it at once.
 */
export async function workerMssqlDatabase(): Promise<string> {
  const name = `cuponeras_test_${process.env.MSSQL_TEST_RUN ?? 'adhoc'}_worker${process.env.JEST_WORKER_ID ?? '1'}`;
  const baselineFile = path.join(os.tmpdir(), `${name}.baseline.json`);
  const master = mssqlClient('master');
  let exists: boolean;
  try {
    exists = (await master.raw<unknown[]>('SELECT name FROM sys.databases WHERE name = ?', [name])).length > 0;
  } finally {
    await master.destroy();
  }
  if (exists && fs.existsSync(baselineFile)) {
    const baseline = JSON.parse(fs.readFileSync(baselineFile, 'utf8')) as Baseline;
    const db = mssqlClient(name);
    try {
      if (await resetToBaseline(db, baseline)) return name;
    } finally {
      await db.destroy();
    }
  }
  if (exists) await dropMssqlDatabase(name);
  await createMssqlDatabase(name);
  const db = mssqlClient(name);
  try {
    await migrateLatest(db);
    fs.writeFileSync(baselineFile, JSON.stringify(await baselineOf(db)));
  } finally {
    await db.destroy();
  }
  return name;
}

/** A migrated database's tables and the rows the migrations wrote into them. */
interface Baseline {
  migrations: string[];
  tables: Record<string, Record<string, unknown>[]>;
}

const MIGRATION_BOOKKEEPING = [MIGRATIONS_TABLE, `${MIGRATIONS_TABLE}_lock`];

async function tablesOf(db: Db): Promise<string[]> {
  const rows = await db.raw<{ name: string }[]>(
    "SELECT TABLE_NAME AS name FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_TYPE = 'BASE TABLE'",
  );
  return rows.map((t) => t.name).sort();
}

async function appliedNames(db: Db): Promise<string[]> {
  return (await db(MIGRATIONS_TABLE).orderBy('id').select<{ name: string }[]>('name')).map((m) => m.name);
}

async function baselineOf(db: Db): Promise<Baseline> {
  const tables: Baseline['tables'] = {};
  for (const table of await tablesOf(db))
    if (!MIGRATION_BOOKKEEPING.includes(table)) tables[table] = await db(table).select('*');
  return { migrations: await appliedNames(db), tables };
}

/** Deletes every row and puts the baseline's back; false when the schema is not the baseline's. */
async function resetToBaseline(db: Db, baseline: Baseline): Promise<boolean> {
  const tables = await tablesOf(db);
  const expected = [...Object.keys(baseline.tables), ...MIGRATION_BOOKKEEPING].sort();
  if (tables.join() !== expected.join()) return false;
  const locked = await db(`${MIGRATIONS_TABLE}_lock`).where({ is_locked: 1 }).first();
  if (locked || (await appliedNames(db)).join() !== baseline.migrations.join()) return false;
  // Table by table; one whose rows another table's rows still refer to waits for a later pass.
  let left = Object.keys(baseline.tables);
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
    if (blocked.length === left.length) return false;
    left = blocked;
  }
  for (const [table, rows] of Object.entries(baseline.tables))
    if (rows.length > 0) await db(table).insert(rows.map(withDates));
  return true;
}

/** JSON keeps a date as its ISO text: give datetime2 columns their Date back. */
function withDates(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([key, value]) => [
      key,
      typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value) ? new Date(value) : value,
    ]),
  );
}

async function dropMssqlDatabase(name: string): Promise<void> {
  const master = mssqlClient('master');
  try {
    await master.raw(`DROP DATABASE [${name}]`);
  } finally {
    await master.destroy();
  }
}
