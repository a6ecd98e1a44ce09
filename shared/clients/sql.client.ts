import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { TokenCredential } from '@azure/identity';
import type * as KnexModule from 'knex';
import type { Knex } from 'knex';
import type * as Tedious from 'tedious';

import type { Config } from '../config';
import { azureCredential } from './credential.client';
import { onFirstUse } from './lazy';
import { inSpan } from './telemetry.client';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (cold start, see lazy.ts)
const knex = (config: Knex.Config): Knex => (require('knex') as typeof KnexModule).knex(config);
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (cold start, see lazy.ts)
const tedious = onFirstUse(() => require('tedious') as typeof Tedious);

/**
 * The SQL client: one knex instance per process, on Azure SQL through tedious or on SQLite
 * through better-sqlite3. Models build their queries on it; the same call emits T-SQL or SQLite.
 */
export type Db = Knex;
export type DbOrTx = Knex | Knex.Transaction;

type MssqlSettings = Extract<Config['database'], { engine: 'mssql' }>;

/** The tedious connection settings knex passes through, with Entra ID or SQL authentication. */
export function mssqlConnectionConfig(
  settings: MssqlSettings,
  credential?: TokenCredential,
): Knex.MsSqlConnectionConfig {
  const base = {
    server: settings.server,
    database: settings.database,
    port: settings.port,
    encrypt: settings.encrypt,
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    options: {
      appName: 'cuponeras-epm',
      encrypt: settings.encrypt,
      trustServerCertificate: !settings.encrypt,
      // Ids are uniqueidentifier: read them back in the lower case the app writes and the API shows.
      lowerCaseGuids: true,
      // knex binds a Date as legacy datetime (1/300 s); the columns are datetime2(3): keep milliseconds.
      mapBinding: (value: unknown) => (value instanceof Date ? { value, type: tedious().TYPES.DateTime2 } : undefined),
    },
  };
  if (settings.auth === 'sql-password') {
    return { ...base, type: 'default', userName: settings.user, password: settings.password };
  }
  const tokenCredential =
    credential ??
    azureCredential({
      kind: settings.auth === 'managed-identity' ? 'managed-identity' : 'default',
      clientId: settings.clientId,
    });
  // tedious asks the credential for a fresh token on every new pooled connection.
  return { ...base, type: 'token-credential', credential: tokenCredential } as unknown as Knex.MsSqlConnectionConfig;
}

interface SqliteConnection {
  pragma(sql: string): unknown;
  prepare(sql: string): unknown;
}

/** A better-sqlite3 prepared statement, as the models run one without knex on the hot paths. */
export interface SqliteStatement {
  reader: boolean;
  all(params: unknown[]): unknown[];
  get(params: unknown[]): unknown;
  run(params: unknown[]): { changes: number };
}

interface PooledClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
}

/**
 * Runs `work` on the better-sqlite3 connection knex would run a statement of `db` on: a
 * transaction's own (knex's transaction client hands out the one it holds and keeps it), or else
 * the pool's one connection, waited for and given back as knex does. `prepare` is the
 * connection's, with its statement cache (cachePreparedStatements).
 */
export async function onSqliteConnection<T>(
  db: DbOrTx,
  work: (prepare: (sql: string) => SqliteStatement) => T,
): Promise<T> {
  const client = db.client as PooledClient;
  const connection = (await client.acquireConnection()) as SqliteConnection;
  try {
    return work((sql) => connection.prepare(sql) as SqliteStatement);
  } finally {
    await client.releaseConnection(connection);
  }
}

const STATEMENT_CACHE_SIZE = 500;
/** Statements with more bindings are a batch's (IN lists, multi-row inserts): their texts vary with the batch. */
const CACHED_MAX_BINDINGS = 64;
/** A batch's statements kept apart, only the last few: a feed or a timer repeats its full-size one. */
const BATCH_STATEMENT_CACHE_SIZE = 4;

/**
 * knex prepares every query again (a sixth of a search's CPU on SQLite); the app's statements
 * are a few hundred fixed texts, so each connection keeps its prepared statements by SQL text,
 * the least recently used dropped past the bound. A batch's statement (thousands of bindings in
 * a feed) is kept in a bound of its own, a few: cached with the others, every batch size would
 * hold its compiled program (native memory V8 does not see) until the bound pushed it out, and
 * not cached, SQLite parsed the billing feed's full-size insert afresh for every chunk. SQLite
 * re-prepares a statement itself if the schema changes under it.
 */
function cachePreparedStatements(conn: SqliteConnection): void {
  const prepare = conn.prepare.bind(conn);
  const statements = new Map<string, unknown>();
  const batchStatements = new Map<string, unknown>();
  conn.prepare = (sql: string) =>
    bindingsOf(sql) > CACHED_MAX_BINDINGS
      ? recentlyUsed(batchStatements, BATCH_STATEMENT_CACHE_SIZE, sql, prepare)
      : recentlyUsed(statements, STATEMENT_CACHE_SIZE, sql, prepare);
}

/** The entry for `key`, made if missing, moved to the newest end; the oldest dropped past `bound`. */
export function recentlyUsed<T>(entries: Map<string, T>, bound: number, key: string, make: (key: string) => T): T {
  let entry = entries.get(key);
  if (entry === undefined) {
    entry = make(key);
    if (entries.size >= bound) entries.delete(entries.keys().next().value as string);
  } else {
    entries.delete(key);
  }
  entries.set(key, entry);
  return entry;
}

function bindingsOf(sql: string): number {
  let count = 0;
  for (let at = sql.indexOf('?'); at !== -1 && count <= CACHED_MAX_BINDINGS; at = sql.indexOf('?', at + 1)) count++;
  return count;
}

export function createSqlClient(database: Config['database']): Db {
  if (database.engine === 'sqlite') {
    fs.mkdirSync(path.dirname(database.file), { recursive: true });
    return knex({
      client: 'better-sqlite3',
      connection: { filename: database.file },
      useNullAsDefault: true,
      pool: {
        min: 1,
        max: 1,
        // WAL lets readers run beside the writer. busy_timeout waits briefly on a lock held by
        // another process (the CLI, a backup): the wait blocks the event loop, so it is short and
        // inTransaction retries with back-off; a lock held longer answers 503.
        afterCreate: (conn: SqliteConnection, done: (err: Error | null, conn: unknown) => void) => {
          cachePreparedStatements(conn);
          conn.pragma('journal_mode = WAL');
          conn.pragma('foreign_keys = ON');
          conn.pragma('busy_timeout = 250');
          conn.pragma('synchronous = NORMAL');
          // A checkpoint every ~40 MB of WAL instead of SQLite's 4 MB: each one copies the pages
          // back and syncs the file, and at 4 MB the billing feed's per-batch commits spent a third
          // of the import checkpointing the same index pages again (bench/RESULTS.md).
          conn.pragma('wal_autocheckpoint = 10000');
          done(null, conn);
        },
      },
    });
  }
  return knex({
    client: 'mssql',
    connection: mssqlConnectionConfig(database),
    pool: { min: 0, max: database.poolMax, idleTimeoutMillis: 30_000, acquireTimeoutMillis: 30_000 },
  });
}

/** A knex that only compiles T-SQL (no connection): for generated scripts and pinned-query tests. */
export function tsqlCompiler(): Db {
  return knex({ client: 'mssql' });
}

/** What knex's better-sqlite3 client binds for a value: a Date as its milliseconds, a boolean as 1/0, nothing as NULL. */
export function sqliteValue(value: unknown): unknown {
  if (value instanceof Date) return value.valueOf();
  if (typeof value === 'boolean') return Number(value);
  return value ?? null;
}

/** Azure SQL error numbers that mean "try again": throttling, failover, database waking up. */
export const TRANSIENT_SQL_ERRORS = new Set([
  4060, 4221, 10928, 10929, 40143, 40197, 40501, 40540, 40613, 49918, 49919, 49920, 1205,
]);
const TRANSIENT_NETWORK_CODES = new Set(['ESOCKET', 'ETIMEOUT', 'ECONNRESET', 'ECONNCLOSED', 'SQLITE_BUSY']);

export function isTransientSqlError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { number, code } = error as { number?: unknown; code?: unknown };
  return (
    (typeof number === 'number' && TRANSIENT_SQL_ERRORS.has(number)) ||
    (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code))
  );
}

/** The database file can't be opened, written or read right now (a lock, a full or failing disk). */
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|CANTOPEN|FULL|READONLY|IOERR)/;

/** The database can't be reached or is failing over: the caller may retry later (503, not 500). */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (isTransientSqlError(error)) return true;
  const { name, code } = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown;
    code?: unknown;
  };
  return (
    name === 'KnexTimeoutError' ||
    name === 'ConnectionError' ||
    code === 'ECONNREFUSED' ||
    (typeof code === 'string' && SQLITE_UNAVAILABLE.test(code))
  );
}

/** A unique or primary-key violation on either engine. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { number, code } = error as { number?: unknown; code?: unknown };
  return (
    number === 2627 || number === 2601 || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

export interface RetryOptions {
  attempts?: number;
  baseDelayMs?: number;
  wait?: (ms: number) => Promise<unknown>;
}

/** Runs work again with exponential back-off and jitter while it fails with a transient error. */
export async function withTransientRetry<T>(work: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 200;
  const wait = options.wait ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || !isTransientSqlError(error)) throw error;
      await wait(baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
    }
  }
}

/**
 * A hook a use case calls inside its own transaction with what it produced, so that what the hook
 * stores (an idempotent answer, for one) commits with the work, or not at all.
 */
export type BeforeCommit<T = unknown> = (tx: DbOrTx, result: T) => Promise<void>;

/** One database transaction, retried whole on a transient error (the work must be re-runnable). */
export function inTransaction<T>(db: Db, work: (tx: Knex.Transaction) => Promise<T>): Promise<T> {
  return inSpan('db.transaction', { attributes: { 'db.system.name': engineName(db) } }, () =>
    withTransientRetry(() => db.transaction(work)),
  );
}

const engineName = (db: Db) => (isTsql(db) ? 'microsoft.sql_server' : 'sqlite');

/**
 * A transaction that can lose a race on a unique index: another instance or run stored the same
 * row between this one's read and its insert. It runs once more (its reads then see the winner),
 * unless `afterRace` finds that the winner already did this work and says what to return.
 */
export async function inTransactionRacing<T>(
  db: Db,
  work: (tx: Knex.Transaction) => Promise<T>,
  afterRace?: () => Promise<T | undefined>,
): Promise<T> {
  try {
    return await inTransaction(db, work);
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const settled = afterRace ? await afterRace() : undefined;
    return settled !== undefined ? settled : inTransaction(db, work);
  }
}

/** Dates come back as Date from tedious and as epoch milliseconds from SQLite. */
export function asDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number' || typeof value === 'string') return new Date(value);
  throw new TypeError(`Not a date: ${String(value)}`);
}

export function asOptionalDate(value: unknown): Date | null {
  return value === null || value === undefined ? null : asDate(value);
}

/** A calendar date column (YYYY-MM-DD) from either engine. */
export function asDay(value: unknown): string {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value).slice(0, 10);
}

/** Row counts come back as number (SQLite) or as a driver-specific shape (tedious): normalise. */
export function countOf(row: Record<string, unknown> | undefined, key = 'count'): number {
  return Number(row?.[key] ?? 0);
}

/** Whether a knex (or one of its transactions) speaks T-SQL, for the few limits that differ (parameters per statement). */
export function isTsql(db: DbOrTx): boolean {
  return (db.client as { config: { client: string } }).config.client === 'mssql';
}
