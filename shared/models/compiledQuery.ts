import type { Knex } from 'knex';

import { type DbOrTx, isTsql, onSqliteConnection, recentlyUsed, sqliteValue } from '../clients/sql.client';

/** What a compiled query's parameters may be: values bound as they are, or lists (an IN). */
type Scalar = string | number | boolean | Date;
export type QueryParams = Record<string, Scalar | readonly Scalar[]>;

/** A knex query as built for one call: awaited for its result, or asked for its SQL. */
type BuiltQuery<R> = PromiseLike<R> & { toSQL(): Knex.Sql };

/** Where each binding of the compiled SQL comes from: a parameter (an element of a list one), or the text itself. */
type Slot = { param: string; element?: number } | { constant: unknown };

interface Compiled {
  sql: string;
  method: string;
  slots: Slot[];
}

/** A list's possible lengths compiled per query, the most recent kept: one text each (an IN of n). */
const SHAPES_PER_QUERY = 8;
/** Each parameter's stand-in while knex builds: a text no value of the app's takes. */
const placeholder = (name: string, element?: number) => `⟪${name}${element === undefined ? '' : `#${element}`}⟫`;
const PLACEHOLDER = /⟪([^⟪⟫#]+)(?:#(\d+))?⟫/;
const SUPPORTED_METHODS = new Set(['select', 'first', 'update', 'del', 'counter']);

/**
 * A query on the hot path, built by knex once instead of on every call. knex's builder, its
 * compiler and its runner cost ~10 µs a statement on SQLite, about twice what SQLite takes to run
 * one of the search's (bench/RESULTS.md, session 14); the app's hot statements are fixed texts.
 *
 * `build` is the knex query as the model writes it. On SQLite it is built once per shape (the
 * length of each list parameter) with stand-ins for the parameters, and every call then runs its
 * SQL on the connection's prepared statement (sql.client.ts caches them) with the call's values,
 * bound as knex binds them, and answers what knex would: the rows, the first row, or the count
 * of rows changed (the rows, with `returning`). A transaction's statement runs on the
 * transaction's connection; any other waits for the pool's one connection as knex's would. On
 * T-SQL the query is built and run by knex as before: the round trip to the server dwarfs the
 * building there, and tedious binds its own types.
 *
 * `build` must not look at its parameters' values (no branches on them, no identifiers made of
 * them): each one must reach knex as a binding. Compiling checks that every stand-in came out as
 * one, and nothing is bound from a missing value.
 */
export function compiledQuery<P extends QueryParams, R>(
  build: (db: DbOrTx, params: P) => BuiltQuery<R>,
): (db: DbOrTx, params: P) => Promise<R> {
  const shapes = new Map<string, Compiled>();
  return async (db, params) => {
    if (isTsql(db)) return build(db, params);
    const compiled = recentlyUsed(shapes, SHAPES_PER_QUERY, shapeOf(params), () => compile(db, params, build));
    return (await runOnSqlite(db, compiled, params)) as R;
  };
}

function shapeOf(params: QueryParams): string {
  let shape = '';
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null) throw new Error(`compiledQuery: parameter ${name} has no value`);
    shape += Array.isArray(value) ? `${name}[${value.length}];` : `${name};`;
  }
  return shape;
}

function compile<P extends QueryParams>(
  db: DbOrTx,
  params: P,
  build: (db: DbOrTx, params: P) => BuiltQuery<unknown>,
): Compiled {
  const standIns: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(params)) {
    standIns[name] = Array.isArray(value) ? value.map((_, i) => placeholder(name, i)) : placeholder(name);
  }
  const { sql, bindings, method } = build(db, standIns as unknown as P).toSQL();
  if (!SUPPORTED_METHODS.has(method)) throw new Error(`compiledQuery: knex's ${method} is not supported`);
  if (PLACEHOLDER.test(sql)) throw new Error(`compiledQuery: a parameter became part of the SQL text: ${sql}`);
  const slots = bindings.map((binding): Slot => {
    const match = typeof binding === 'string' ? PLACEHOLDER.exec(binding) : null;
    if (!match) return { constant: binding };
    if (match[0] !== binding) throw new Error(`compiledQuery: a parameter was changed before binding: ${sql}`);
    return { param: match[1] as string, element: match[2] === undefined ? undefined : Number(match[2]) };
  });
  for (const [name, value] of Object.entries(params)) {
    // An empty list binds nothing (knex writes `IN ()` as a false condition).
    if (Array.isArray(value) && value.length === 0) continue;
    if (!slots.some((slot) => 'param' in slot && slot.param === name))
      throw new Error(`compiledQuery: parameter ${name} is never bound: ${sql}`);
  }
  return { sql, method, slots };
}

async function runOnSqlite(db: DbOrTx, compiled: Compiled, params: QueryParams): Promise<unknown> {
  const bindings = compiled.slots.map((slot) => {
    if ('constant' in slot) return slot.constant;
    const value = params[slot.param];
    return slot.element === undefined ? value : (value as readonly Scalar[])[slot.element];
  });
  // Whoever listens to knex's statements (bench/payFloor.ts captures them) hears these too.
  (db.client as { emit(event: 'query', query: unknown): boolean }).emit('query', {
    sql: compiled.sql,
    bindings,
    method: compiled.method,
  });
  const values = bindings.map(sqliteValue);
  return onSqliteConnection(db, (prepare) => {
    const statement = prepare(compiled.sql);
    if (compiled.method === 'first') return statement.get(values);
    if (statement.reader) return statement.all(values);
    return statement.run(values).changes;
  });
}
