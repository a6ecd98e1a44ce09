import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import Database from 'better-sqlite3';

import { type Db, sqliteValue } from '../shared/clients/sql.client';

/**
 * The floor of a payment (issue #16): the statements one payment runs, captured from the app
 * (knex's query events around one real payment), replayed by a bare node:http server with
 * better-sqlite3 prepared statements, all in one transaction per request. Same SQL, same rows
 * touched; none of the app's layers (the Functions invocation, validation, knex building, the
 * idempotency record's two transactions, the queue sends after the commit).
 */
export interface CapturedStatement {
  sql: string;
  bindings: unknown[];
}

/** What changes from one payment to the next; everything else is replayed as captured. */
export interface PaymentKeys {
  invoiceId: string;
  couponCode: string;
  couponId: string;
  contractId: string;
}

const CONTROL = /^(begin|commit|rollback|savepoint|release)\b/i;

/** Resolves once the database has had no statement for `ms` (the queue consumers done), or after `capMs`. */
export async function untilQuiet(db: Db, ms = 500, capMs = 20_000): Promise<void> {
  let last = performance.now();
  const listener = () => (last = performance.now());
  db.on('query', listener);
  const started = performance.now();
  while (performance.now() - last < ms && performance.now() - started < capMs) await sleep(50);
  db.off('query', listener);
}

/** The statements of `work` alone: captured once the app is quiet, so the consumers' work stays out. */
export async function captureStatements(db: Db, work: () => Promise<unknown>): Promise<CapturedStatement[]> {
  await untilQuiet(db);
  const statements: CapturedStatement[] = [];
  const listener = (query: { sql: string; bindings?: unknown[] }) => {
    if (!CONTROL.test(query.sql.trim())) statements.push({ sql: query.sql, bindings: query.bindings ?? [] });
  };
  db.on('query', listener);
  try {
    await work();
  } finally {
    db.off('query', listener);
  }
  return statements;
}

/**
 * The inserted columns whose values must be new for every payment: the row keys, and the unique
 * gateway reference (payments.reference, CUP + 32 hex) and event checksum (payment_events, sha-256
 * hex) of the one-step payment. A later statement that names the captured value gets the new one.
 */
const FRESH_PER_PAYMENT: Record<string, () => string> = {
  id: () => randomUUID(),
  idempotency_key: () => randomUUID(),
  reference: () => `CUP${randomUUID().replace(/-/g, '').toUpperCase()}`,
  checksum: () => randomBytes(32).toString('hex'),
};

/**
 * The captured payment's statements with this payment's keys: the captured invoice, coupon and
 * contract become this one's, the key of every row the payment inserted (transaction, outbox
 * messages, idempotency key, gateway payment, its reference and event checksum) a fresh one, the
 * rest (user, session, times, message bodies) stays as captured.
 */
function rebind(statements: CapturedStatement[], captured: PaymentKeys, keys: PaymentKeys): unknown[][] {
  const ids = new Map<unknown, unknown>([
    [captured.invoiceId, keys.invoiceId],
    [captured.couponCode, keys.couponCode],
    [captured.couponId, keys.couponId],
    [captured.contractId, keys.contractId],
  ]);
  return statements.map(({ sql, bindings }) => {
    // An insert's bindings follow its column list, row after row (knex's multi-row form too).
    const columns = /^\s*insert\b[^(]*\(([^)]*)\)/i
      .exec(sql)?.[1]
      ?.split(',')
      .map((column) => column.trim().replace(/[`"[\]]/g, ''));
    return bindings.map((value, i) => {
      if (ids.has(value)) return ids.get(value);
      const column = columns?.[i % columns.length];
      if (typeof value === 'string' && column !== undefined && column in FRESH_PER_PAYMENT) {
        const fresh = FRESH_PER_PAYMENT[column]?.();
        ids.set(value, fresh);
        return fresh;
      }
      return sqliteValue(value);
    });
  });
}

/**
 * A bare node:http server that runs `statements` with better-sqlite3 prepared statements for each
 * request, with the bindings `bindingsFor` gives for the request's body, and answers `answer`:
 * the floor of a route whose statements were captured from the app.
 */
export async function startStatementFloor(options: {
  file: string;
  statements: CapturedStatement[];
  bindingsFor: (body: string) => unknown[][];
  answer: string;
  status: number;
  /** All in one transaction (a payment), or each statement on its own (a search). */
  oneTransaction: boolean;
}): Promise<{ url: string; stop: () => Promise<void> }> {
  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 250');
  const prepared = options.statements.map(({ sql }) => db.prepare(sql));
  const runAll = (bindings: unknown[][]) =>
    prepared.forEach((statement, i) => {
      const values = bindings[i] ?? [];
      if (statement.reader) statement.all(...values);
      else statement.run(...values);
    });
  const run = options.oneTransaction ? db.transaction(runAll) : runAll;
  let reported = false;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        run(options.bindingsFor(Buffer.concat(chunks).toString()));
        res.writeHead(options.status, { 'content-type': 'application/json' });
        res.end(options.answer);
      } catch (error) {
        if (!reported) console.error(`floor: ${String(error)}`);
        reported = true;
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      await new Promise((resolve) => server.close(resolve));
      db.close();
    },
  };
}

/** The payment's floor: its statements in one transaction, with the keys of the payment asked for. */
export function startPayFloor(
  file: string,
  statements: CapturedStatement[],
  captured: PaymentKeys,
  answer: string,
): Promise<{ url: string; stop: () => Promise<void> }> {
  return startStatementFloor({
    file,
    statements,
    bindingsFor: (body) => rebind(statements, captured, JSON.parse(body) as PaymentKeys),
    answer,
    status: 201,
    oneTransaction: true,
  });
}

/** The search's floor: its statements as captured (the same contract, caller and coupon), one by one. */
export function startSearchFloor(
  file: string,
  statements: CapturedStatement[],
  answer: string,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const bindings = statements.map(({ bindings }) => bindings.map(sqliteValue));
  return startStatementFloor({
    file,
    statements,
    bindingsFor: () => bindings,
    answer,
    status: 200,
    oneTransaction: false,
  });
}
