import type { Knex } from 'knex';

import { type DbOrTx, isTsql, onSqliteConnection, sqliteValue } from '../clients/sql.client';

/** Rows per statement: T-SQL takes at most 2,100 parameters and 1,000 rows of VALUES; SQLite 32,766 parameters. */
function rowsPerStatement(db: DbOrTx, columns: number): number {
  return isTsql(db) ? Math.min(1000, Math.floor(2000 / columns)) : Math.floor(30000 / columns);
}

/** T-SQL rows per OPENJSON statement: one parameter whatever the count; ~1.5 MB of JSON for invoice lines. */
const JSON_ROWS_PER_STATEMENT = 5000;

/**
 * Rows as multi-row `INSERT … VALUES (…), (…)` statements, as many rows per statement as the
 * engine takes. (knex writes a multi-row insert on SQLite as SELECT … UNION ALL, which SQLite
 * caps at 500 terms.) On T-SQL the rows go as one JSON parameter per statement instead, read by
 * OPENJSON: VALUES would stop at 2,000 parameters (200 rows of ten columns), and every parameter
 * is declared and bound on its own (the seed's 2,268 invoice lines: 2.3 s in 200-row VALUES on
 * Babelfish, 0.2–0.5 s as JSON), besides a round trip per 200 rows on Azure SQL.
 */
export async function insertRows(db: DbOrTx, table: string, rows: Record<string, unknown>[]): Promise<void> {
  const first = rows[0];
  if (!first) return;
  const columns = Object.keys(first);
  if (!isTsql(db) && isTransaction(db)) return insertRowsPrepared(db, table, columns, rows);
  let valuesRows = rows;
  if (isTsql(db)) {
    const asJson: Record<string, unknown>[] = [];
    valuesRows = [];
    for (const row of rows) (columns.every((column) => jsonVerbatim(row[column])) ? asJson : valuesRows).push(row);
    for (const part of chunks(asJson, JSON_ROWS_PER_STATEMENT)) await insertRowsFromJson(db, table, columns, part);
  }
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (const part of chunks(valuesRows, rowsPerStatement(db, columns.length))) {
    await db.raw(`INSERT INTO ?? (${columns.map(() => '??').join(', ')}) VALUES ${part.map(() => tuple).join(', ')}`, [
      table,
      ...columns,
      ...part.flatMap((row) => columns.map((column) => row[column])),
    ] as Knex.RawBinding[]);
  }
}

const isTransaction = (db: DbOrTx): db is Knex.Transaction =>
  (db as { isTransaction?: boolean }).isTransaction === true;
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * On SQLite inside a transaction: the same multi-row `INSERT … VALUES` statements, run on the
 * transaction's own connection without knex (whose prepare keeps the full-size one, sql.client.ts).
 * knex copied and checked every one of up to 30,000 bindings per statement and SQLite parsed each
 * statement afresh: about a tenth of the billing feed's time (bench/RESULTS.md). One statement per
 * chunk, as before: a chunk fails or succeeds whole. Values are bound as knex binds them.
 */
async function insertRowsPrepared(
  tx: Knex.Transaction,
  table: string,
  columns: string[],
  rows: Record<string, unknown>[],
): Promise<void> {
  for (const name of [table, ...columns]) if (!IDENTIFIER.test(name)) throw new Error(`not an identifier: ${name}`);
  const head = `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES `;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  await onSqliteConnection(tx, (prepare) => {
    for (const part of chunks(rows, rowsPerStatement(tx, columns.length))) {
      const values: unknown[] = [];
      for (const row of part) for (const column of columns) values.push(sqliteValue(row[column]));
      prepare(head + Array.from(part, () => tuple).join(', ')).run(values);
    }
  });
}

/**
 * `INSERT … SELECT … FROM OPENJSON(@json)`: each row a JSON array in the columns' order, read as
 * text and converted by the INSERT to the column's type, as a parameter would be. Dates are sent
 * as UTC without a zone (what tedious binds for a Date), booleans as 1/0.
 */
async function insertRowsFromJson(
  db: DbOrTx,
  table: string,
  columns: string[],
  rows: Record<string, unknown>[],
): Promise<void> {
  const json = JSON.stringify(rows.map((row) => columns.map((column) => jsonValue(row[column]))));
  // The paths are literals of our own ($[0], $[1], …): OPENJSON takes no parameter there.
  const shape = columns.map((_, i) => `[c${i}] nvarchar(max) '$[${i}]'`).join(', ');
  await db.raw(
    `INSERT INTO ?? (${columns.map(() => '??').join(', ')}) SELECT ${columns.map((_, i) => `[c${i}]`).join(', ')} FROM OPENJSON(?) WITH (${shape})`,
    [table, ...columns, json],
  );
}

/**
 * Whether the value's JSON text is the value itself. Babelfish's OPENJSON hands a string back as
 * it is written in the JSON, escapes included (`"a\"b"` reads `a\"b`, not `a"b`), where SQL
 * Server decodes them; a row with a string that JSON escapes (a quote, a backslash, a control
 * character, half of a surrogate pair) goes through VALUES, so both engines store the same text.
 */
function jsonVerbatim(value: unknown): boolean {
  if (typeof value === 'string') return JSON.stringify(value) === `"${value}"`;
  // 1e-7 would not convert from text to decimal; a bound number would.
  if (typeof value === 'number') return Number.isFinite(value) && !String(value).includes('e');
  return value === null || value === undefined || typeof value === 'boolean' || value instanceof Date;
}

function jsonValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().slice(0, 23);
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value ?? null;
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
