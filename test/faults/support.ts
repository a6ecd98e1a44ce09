import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { seedDemoData, seedUnpaidContracts } from '../../scripts/demoData';
import { createSqlClient, type Db } from '../../shared/clients/sql.client';
import { projectRoot } from '../../shared/projectFiles';
import { migrateLatest } from '../../sql/migrator';
import { call, newCustomer, searchCoupon } from '../support/app';
import { type CompiledApp, startCompiledApp } from '../support/compiled';

/**
 * What the fault suite shares: the app started as `npm start` starts it (compiled, SQLite and
 * email outbox under its own data dir), payable invoices made ahead, and the figures each test
 * prints and leaves in test-artifacts/faults/ for the summary at the end of the run.
 */

/** The settings every fault test starts the app with: short sweeper period and leases so recovery is seen within the test. */
export function faultEnv(dataDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // Without a queue setting npm start runs its own Azurite on a free port (the tests' default
  // "UseDevelopmentStorage=true" would have every app share port 10001).
  const { AzureWebJobsStorage: _shared, ...inherited } = process.env;
  return {
    ...inherited,
    DATA_DIR: dataDir,
    APP_ENV: 'development',
    DB_ENGINE: 'sqlite',
    BCRYPT_COST: '10',
    OUTBOX_DISPATCH_SCHEDULE: '*/2 * * * * *',
    OUTBOX_DELIVERY_LEASE_SECONDS: '10',
    IDEMPOTENCY_LOCK_SECONDS: '5',
    SEARCH_MAX_PER_USER_PER_MINUTE: '1000',
    SEARCH_MAX_CONTRACTS_PER_USER_PER_DAY: '1000',
    COUPON_LOOKUPS_MAX_PER_USER_PER_MINUTE: '1000',
    ...extra,
  };
}

export function startApp(dataDir: string, extra: NodeJS.ProcessEnv = {}): Promise<CompiledApp> {
  return startCompiledApp(faultEnv(dataDir, extra), 60_000);
}

export function sqliteOf(dataDir: string): Db {
  return createSqlClient({ engine: 'sqlite', file: path.join(dataDir, 'cuponeras.sqlite') });
}

/** Migrates and seeds the data dir, plus `count` contracts (numbers from `firstNumber`) each owing one invoice. */
export async function preparePayableInvoices(dataDir: string, count: number, firstNumber: number): Promise<string[]> {
  const db = sqliteOf(dataDir);
  try {
    await migrateLatest(db);
    await seedDemoData(db, { bcryptCost: 10 });
    return await seedUnpaidContracts(db, { count, firstNumber, invoicePrefix: 'FX' });
  } finally {
    await db.destroy();
  }
}

export interface PlannedPayment {
  token: string;
  userId: string;
  invoiceId: string;
  couponCode: string;
  idempotencyKey: string;
}

/** Customers who looked up the contracts (a coupon each), `perCustomer` contracts apiece. */
export async function planPayments(base: string, contracts: string[], perCustomer: number): Promise<PlannedPayment[]> {
  const plan: PlannedPayment[] = [];
  for (let start = 0; start < contracts.length; start += perCustomer) {
    const customer = await newCustomer(base);
    for (const contractNumber of contracts.slice(start, start + perCustomer)) {
      const { coupon } = await searchCoupon(base, customer.token, contractNumber);
      plan.push({
        token: customer.token,
        userId: customer.id,
        invoiceId: coupon.invoiceId,
        couponCode: coupon.code,
        idempotencyKey: randomUUID(),
      });
    }
  }
  return plan;
}

export type PayOutcome = { status: number; transactionId?: string; code?: string; retryAfter?: number; ms: number };

/** One payment attempt; `undefined` when no answer came (the host died under it). */
export async function pay(base: string, payment: PlannedPayment): Promise<PayOutcome | undefined> {
  const started = performance.now();
  try {
    const res = await call(base, 'POST', `/invoices/${payment.invoiceId}/pay`, {
      token: payment.token,
      body: { couponCode: payment.couponCode, paymentMethod: 'PSE' },
      headers: { 'Idempotency-Key': payment.idempotencyKey },
    });
    return {
      status: res.status,
      transactionId: res.status === 201 ? (res.body.transaction.id as string) : undefined,
      code: res.status >= 400 ? (res.body.code as string) : undefined,
      retryAfter: Number(res.headers.get('retry-after') ?? 0),
      ms: performance.now() - started,
    };
  } catch {
    return undefined;
  }
}

/** Pays until the payment has its answer, as a client with an Idempotency-Key does: retry on no answer, 409 in progress or 503. */
export async function payUntilAnswered(
  base: () => string,
  payment: PlannedPayment,
  deadline: number,
): Promise<PayOutcome & { tries: number }> {
  for (let tries = 1; ; tries++) {
    const outcome = await pay(base(), payment);
    const retry = !outcome || outcome.status === 503 || outcome.code === 'IDEMPOTENCY_REQUEST_IN_PROGRESS';
    if (!retry) return { ...outcome, tries };
    if (Date.now() > deadline)
      throw new Error(`payment ${payment.idempotencyKey} never answered: ${JSON.stringify(outcome)}`);
    await new Promise((resolve) => setTimeout(resolve, Math.max(outcome?.retryAfter ?? 0, 0.25) * 1000));
  }
}

/** Runs `work` over `items` with at most `concurrency` at a time. */
export async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/** The processes a process started (Linux /proc): npm start's Azurite is its child. */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may hold spaces, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

/**
 * Every message a payment's transaction recorded (receipt email, notification) and whether its
 * effect is there: the receipt's .eml in the email outbox, the notification row. Counts, per
 * message, how many effects exist (more than one would be a doubled delivery).
 */
export async function deliveryReport(dataDir: string, transactionIds: string[]): Promise<DeliveryReport> {
  const db = sqliteOf(dataDir);
  try {
    return await deliveryReportOf(db, path.join(dataDir, 'outbox'), transactionIds);
  } finally {
    await db.destroy();
  }
}

export interface DeliveryReport {
  receiptsMissing: number;
  receiptsDoubled: number;
  noticesMissing: number;
  noticesDoubled: number;
}

/** The same report on any database (the scale-out test's T-SQL one) and email outbox folder. */
export async function deliveryReportOf(db: Db, emlDir: string, transactionIds: string[]): Promise<DeliveryReport> {
  const rows = await db<{ id: string; queue: string; body: string }>('outbox').select('id', 'queue', 'body');
  const wanted = new Set(transactionIds);
  const receipts = new Map<string, string>();
  const notices = new Map<string, string>();
  for (const row of rows) {
    const body = JSON.parse(row.body) as { kind: string; transactionId?: string; data?: { transactionId?: string } };
    if (row.queue === 'invoice-emails' && body.kind === 'receipt' && wanted.has(body.transactionId ?? ''))
      receipts.set(body.transactionId ?? '', row.id);
    if (body.kind === 'PAYMENT_CONFIRMED' && wanted.has(body.data?.transactionId ?? ''))
      notices.set(body.data?.transactionId ?? '', row.id);
  }
  const emls = fs.existsSync(emlDir) ? fs.readdirSync(emlDir).filter((name) => name.endsWith('.eml')) : [];
  const emlCount = new Map<string, number>();
  for (const name of emls) {
    const messageId = name.slice(name.indexOf('-') + 1, -'.eml'.length);
    emlCount.set(messageId, (emlCount.get(messageId) ?? 0) + 1);
  }
  const noticeRows = await db<{ source_message_id: string }>('notifications')
    .whereIn('source_message_id', [...notices.values()])
    .select('source_message_id');
  const noticeCount = new Map<string, number>();
  for (const row of noticeRows)
    noticeCount.set(row.source_message_id, (noticeCount.get(row.source_message_id) ?? 0) + 1);

  let receiptsMissing = 0;
  let receiptsDoubled = 0;
  let noticesMissing = 0;
  let noticesDoubled = 0;
  for (const id of transactionIds) {
    const receipt = emlCount.get(receipts.get(id) ?? '') ?? 0;
    const notice = noticeCount.get(notices.get(id) ?? '') ?? 0;
    if (receipt === 0) receiptsMissing++;
    if (receipt > 1) receiptsDoubled++;
    if (notice === 0) noticesMissing++;
    if (notice > 1) noticesDoubled++;
  }
  return { receiptsMissing, receiptsDoubled, noticesMissing, noticesDoubled };
}

/** Payments in the database: how many per invoice, and which transaction ids exist. */
export async function paymentLedger(dataDir: string): Promise<{ perInvoice: Map<string, number>; ids: Set<string> }> {
  const db = sqliteOf(dataDir);
  try {
    return await paymentLedgerOf(db);
  } finally {
    await db.destroy();
  }
}

export async function paymentLedgerOf(db: Db): Promise<{ perInvoice: Map<string, number>; ids: Set<string> }> {
  const rows = await db<{ id: string; invoice_id: string; type: string }>('transactions')
    .where({ type: 'PAYMENT' })
    .select('id', 'invoice_id');
  const perInvoice = new Map<string, number>();
  for (const row of rows) perInvoice.set(row.invoice_id, (perInvoice.get(row.invoice_id) ?? 0) + 1);
  return { perInvoice, ids: new Set(rows.map((row) => row.id)) };
}

/** Prints one test's figures and leaves them for the run's summary (test/faults/figures-reporter.cjs). */
export function report(name: string, figures: Record<string, string | number>): void {
  const dir = path.join(projectRoot(), 'test-artifacts', 'faults');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify({ name, figures }, null, 2));
  console.log(
    `${name}\n${Object.entries(figures)
      .map(([key, value]) => `  ${key}: ${value}`)
      .join('\n')}`,
  );
}
