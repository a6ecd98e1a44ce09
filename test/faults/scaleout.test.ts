import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { type AzuriteProcess, startAzurite } from '../../local/azurite';
import { mssqlSettings } from '../../local/mssqlSettings';
import { seedDemoData, seedUnpaidContracts } from '../../scripts/demoData';
import type { Db } from '../../shared/clients/sql.client';
import { SANDBOX_KEYS } from '../../shared/config';
import { signedEvent } from '../../shared/formats/wompi';
import { newId } from '../../shared/models/ids';
import { migrateLatest } from '../../sql/migrator';
import { call, logIn, newCustomer, searchCoupon, waitFor } from '../support/app';
import { type CompiledApp, startCompiledApp } from '../support/compiled';
import { createMssqlDatabase, mssqlClient } from '../support/engines';
import {
  deliveryReportOf,
  inParallel,
  paymentLedgerOf,
  type PayOutcome,
  payUntilAnswered,
  type PlannedPayment,
  report,
} from './support';

/**
 * Scale-out (issue #17): three hosts, as three Functions instances, on ONE T-SQL database and ONE
 * Azurite. Requests spread round-robin; every instance runs the queue consumers and all the
 * timers; nothing is shared between the processes but the database and the storage account.
 */
const SESSION_CACHE_SECONDS = 2;
const COUPON_LOOKUPS_PER_MINUTE = 12;
const INVOICES = 150; // each raced by two customers: 300 payments
const CONCURRENCY = 20;
const KILL_AFTER_ANSWERS = 100;

const hasEngine = Boolean(process.env.MSSQL_TEST_CONNECTION);
if (!hasEngine && process.env.MSSQL_TESTS_REQUIRED === 'true') {
  throw new Error('the scale-out test needs the T-SQL engine: MSSQL_TEST_CONNECTION is not set');
}
if (!hasEngine) console.log('Scale-out test skipped: set MSSQL_TEST_CONNECTION (scripts/tsql-engine.sh start).');
const suite = hasEngine ? describe : describe.skip;

let db: Db;
let database: string;
let azurite: AzuriteProcess;
let dataDir: string;
const hosts: CompiledApp[] = [];
let contracts: string[] = [];
let turn = 0;

/** The next live instance, round-robin (a killed one is passed over, as a load balancer would). */
function nextBase(): string {
  for (let i = 0; i < hosts.length; i++) {
    const host = hosts[turn++ % hosts.length];
    if (host && host.child.exitCode === null && host.child.signalCode === null) return host.base;
  }
  throw new Error('no instance is alive');
}

suite('three instances on one database and one storage account', () => {
  beforeAll(async () => {
    database = await createMssqlDatabase();
    db = mssqlClient(database);
    await migrateLatest(db);
    await seedDemoData(db, { bcryptCost: 10 });
    contracts = await seedUnpaidContracts(db, { count: INVOICES + 41, firstNumber: 40_000_000, invoicePrefix: 'SO' });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cuponeras-scaleout-'));
    azurite = await startAzurite({ location: path.join(dataDir, 'azurite'), blob: true });
    const { AzureWebJobsStorage: _own, ...inherited } = process.env;
    const env: NodeJS.ProcessEnv = {
      ...inherited,
      ...mssqlSettings(database),
      APP_ENV: 'development',
      // One storage account and one mailbox folder (the email service) for all three.
      AzureWebJobsStorage: azurite.connectionString,
      DATA_DIR: dataDir,
      JWT_SECRET: 'scale-out-test-secret-shared-by-every-instance',
      BCRYPT_COST: '10',
      SESSION_CACHE_SECONDS: String(SESSION_CACHE_SECONDS),
      COUPON_LOOKUPS_MAX_PER_USER_PER_MINUTE: String(COUPON_LOOKUPS_PER_MINUTE),
      SEARCH_MAX_PER_USER_PER_MINUTE: '1000',
      SEARCH_MAX_CONTRACTS_PER_USER_PER_DAY: '1000',
      REGISTER_MAX_PER_CLIENT_PER_HOUR: '1000',
      // Every request here comes from 127.0.0.1: the per-client login cap would be hit by the setup alone.
      LOGIN_MAX_ATTEMPTS_PER_CLIENT: '10000',
      // Every timer on every instance, often: overlapping runs must not double anything.
      EXPIRE_COUPONS_SCHEDULE: '*/2 * * * * *',
      WARN_EXPIRING_COUPONS_SCHEDULE: '*/2 * * * * *',
      OUTBOX_DISPATCH_SCHEDULE: '*/2 * * * * *',
      PURGE_SCHEDULE: '*/3 * * * * *',
      OUTBOX_DELIVERY_LEASE_SECONDS: '10',
      IDEMPOTENCY_LOCK_SECONDS: '5',
    };
    hosts.push(...(await Promise.all([0, 1, 2].map(() => startCompiledApp(env, 90_000)))));
  }, 240_000);

  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.stop()));
    await azurite?.stop();
    await db?.destroy();
    if (database) {
      const master = mssqlClient('master');
      await master.raw(`DROP DATABASE [${database}]`).catch(() => undefined);
      await master.destroy();
    }
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  test('when one Idempotency-Key reaches all three instances at once, then there is one payment and every answer is the same', async () => {
    const [A, B, C] = hosts.map((h) => h.base) as [string, string, string];
    const customer = await newCustomer(A);
    const found = await call(B, 'POST', '/invoices/search', {
      token: customer.token,
      body: { contractNumber: contracts[INVOICES] },
    });
    const coupon = found.body.coupons[0] as { invoiceId: string; code: string };
    const payment: PlannedPayment = {
      token: customer.token,
      userId: customer.id,
      invoiceId: coupon.invoiceId,
      couponCode: coupon.code,
      idempotencyKey: randomUUID(),
    };
    const bases = [A, B, C];
    const answers = await Promise.all(bases.map((base) => payUntilAnswered(() => base, payment, Date.now() + 60_000)));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
    expect(new Set(answers.map((a) => a.transactionId)).size).toBe(1);
    const payments = await db('transactions')
      .where({ invoice_id: coupon.invoiceId, type: 'PAYMENT' })
      .count<{ n: number }[]>({ n: '*' });
    expect(Number(payments[0]?.n)).toBe(1);
  });

  test('when the gateway sends one approval 20 times at once, spread over two instances, then it is stored once and pays the invoice once', async () => {
    const [A, B] = hosts.map((h) => h.base) as [string, string, string];
    const customer = await newCustomer(A);
    const found = await call(A, 'POST', '/invoices/search', {
      token: customer.token,
      body: { contractNumber: contracts[INVOICES + 40] },
    });
    const coupon = found.body.coupons[0] as { invoiceId: string; code: string };
    const created = await call(B, 'POST', '/payments', {
      token: customer.token,
      body: { couponCodes: [coupon.code], paymentMethod: 'PSE' },
      headers: { 'Idempotency-Key': randomUUID() },
    });
    expect(created.status).toBe(201);
    const approval = signedEvent(
      {
        id: `scaleout-${randomUUID()}`,
        reference: created.body.reference as string,
        amount_in_cents: (created.body.amount as number) * 100,
        currency: 'COP',
        status: 'APPROVED',
      },
      SANDBOX_KEYS.eventsSecret,
      new Date(),
    );
    const deliveries = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fetch(`${i % 2 === 0 ? A : B}/payments/events`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(approval),
        }).then((response) => response.status),
      ),
    );
    expect(deliveries).toEqual(Array.from({ length: 20 }, () => 200));
    const events = await db('payment_events').where({ reference: created.body.reference });
    const payments = await db('transactions').where({ invoice_id: coupon.invoiceId, type: 'PAYMENT' });
    const payment = await call(A, 'GET', `/payments/${created.body.id}`, { token: customer.token });
    report('scaleout-gateway-event', {
      'deliveries of one approval': 20,
      instances: 2,
      'events stored': events.length,
      'PAYMENT rows': payments.length,
    });
    expect(events).toHaveLength(1);
    expect(payments).toHaveLength(1);
    expect(payment.body.status).toBe('APPROVED');
    expect(payment.body.transactionIds).toEqual([String(payments[0]?.id).toLowerCase()]);
  });

  test('when a session ends on instance A (logout, then a password change), then B and C refuse its tokens within the session cache time', async () => {
    const [A, B, C] = hosts.map((h) => h.base) as [string, string, string];
    const customer = await newCustomer(A);
    const login = await call(A, 'POST', '/auth/login', {
      body: { email: customer.email, password: customer.password },
    });
    const { accessToken, refreshToken } = login.body as { accessToken: string; refreshToken: string };
    for (const base of [B, C]) expect((await call(base, 'GET', '/me', { token: accessToken })).status).toBe(200);

    const refusedWithin = async (token: string) => {
      const started = Date.now();
      const lags: number[] = [];
      for (const base of [A, B, C]) {
        await waitFor(async () => (await call(base, 'GET', '/me', { token })).status === 401, 15_000);
        lags.push(Date.now() - started);
      }
      return lags;
    };
    expect((await call(A, 'POST', '/auth/logout', { body: { refreshToken } })).status).toBe(204);
    expect((await call(A, 'GET', '/me', { token: accessToken })).status).toBe(401); // at once where it happened
    const logoutLags = await refusedWithin(accessToken);

    // Password change on A: the other session's token dies everywhere, the caller's own stays.
    const other = await logIn(B, customer.email, customer.password);
    for (const base of [B, C]) expect((await call(base, 'GET', '/me', { token: other.token })).status).toBe(200);
    const change = await call(A, 'POST', '/auth/password', {
      token: customer.token,
      body: { currentPassword: customer.password, newPassword: 'otra clave larga de pruebas en Envigado' },
    });
    expect(change.status).toBe(204);
    expect((await call(A, 'GET', '/me', { token: other.token })).status).toBe(401);
    const changeLags = await refusedWithin(other.token);
    for (const base of [A, B, C]) expect((await call(base, 'GET', '/me', { token: customer.token })).status).toBe(200);

    // The bound README states: the cache time, plus the time of a request on this busy machine.
    const worst = Math.max(...logoutLags, ...changeLags);
    expect(worst).toBeLessThanOrEqual(SESSION_CACHE_SECONDS * 1000 + 5_000);
    report('scale-out: revocation across instances', {
      'session cache (s)': SESSION_CACHE_SECONDS,
      'logout → refused on A, B, C (ms)': logoutLags.join(', '),
      'password change → refused on A, B, C (ms)': changeLags.join(', '),
    });
  });

  test('when a client spreads its attempts over the instances, then quotas and login throttles count them all', async () => {
    const customer = await newCustomer(nextBase());
    // Login throttle: five wrong passwords, round-robin; the sixth attempt is refused by whichever instance gets it.
    const wrong = [];
    for (let i = 0; i < 5; i++) {
      wrong.push(
        (
          await call(nextBase(), 'POST', '/auth/login', {
            body: { email: customer.email, password: `equivocada ${i}` },
          })
        ).status,
      );
    }
    expect(wrong).toEqual([401, 401, 401, 401, 401]);
    for (let i = 0; i < 3; i++) {
      expect(
        (
          await call(nextBase(), 'POST', '/auth/login', {
            body: { email: customer.email, password: customer.password },
          })
        ).status,
      ).toBe(429);
    }

    // A per-minute quota: its count is in the database, so instance does not matter. A run that
    // straddles a minute boundary starts over (the window is the calendar minute).
    const found = await call(nextBase(), 'POST', '/invoices/search', {
      token: customer.token,
      body: { contractNumber: contracts[INVOICES + 1] },
    });
    const code = (found.body.coupons[0] as { code: string }).code;
    for (let attempt = 1; ; attempt++) {
      while (new Date().getSeconds() > 40) await new Promise((r) => setTimeout(r, 500));
      const minute = Math.floor(Date.now() / 60_000);
      const statuses: number[] = [];
      for (let i = 0; i < COUPON_LOOKUPS_PER_MINUTE + 3; i++) {
        statuses.push((await call(nextBase(), 'GET', `/coupons/${code}`, { token: customer.token })).status);
      }
      if (Math.floor(Date.now() / 60_000) !== minute && attempt < 3) continue;
      const allowed = statuses.filter((s) => s === 200).length;
      expect(allowed).toBeLessThanOrEqual(COUPON_LOOKUPS_PER_MINUTE);
      expect(statuses.slice(-3)).toEqual([429, 429, 429]);
      break;
    }
  });

  test('when every instance runs the expiry and warning timers at once, then no coupon is expired or warned twice', async () => {
    const customer = await newCustomer(nextBase());
    const now = Date.now();
    const invoices = await db('invoices')
      .whereIn(
        'number',
        contracts.slice(INVOICES + 2, INVOICES + 40).map((n) => `SO${n}`),
      )
      .select<{ id: string; amount: number }[]>('id', 'amount');
    const due = invoices.slice(0, 19);
    const soon = invoices.slice(19);
    const coupon = (invoice: { id: string; amount: number }, i: number, expiresAt: number) => ({
      id: newId(),
      code: String(900_000_000_000 + Math.floor(Math.random() * 90_000_000_000) + i),
      user_id: customer.id,
      invoice_id: invoice.id,
      amount: invoice.amount,
      status: 'ACTIVE',
      issued_at: new Date(now - 48 * 3600_000),
      expires_at: new Date(expiresAt),
    });
    const rows = [
      ...due.map((inv, i) => coupon(inv, i, now - 60_000)),
      ...soon.map((inv, i) => coupon(inv, 100 + i, now + 2 * 3600_000)),
    ];
    await db.batchInsert('coupons', rows, 50);
    const count = async (kind: string) =>
      db('notifications').where({ user_id: customer.id, kind }).select<{ coupon_code: string }[]>('coupon_code');
    await waitFor(
      async () =>
        (await count('COUPON_EXPIRED')).length >= due.length && (await count('COUPON_EXPIRING')).length >= soon.length,
      60_000,
    );
    // Several more rounds of every timer on every instance.
    await new Promise((r) => setTimeout(r, 6_000));
    const expired = await count('COUPON_EXPIRED');
    const warned = await count('COUPON_EXPIRING');
    expect(expired).toHaveLength(due.length);
    expect(new Set(expired.map((n) => n.coupon_code)).size).toBe(due.length);
    expect(warned).toHaveLength(soon.length);
    expect(new Set(warned.map((n) => n.coupon_code)).size).toBe(soon.length);
    const statuses = await db('coupons')
      .whereIn(
        'id',
        rows.map((r) => r.id),
      )
      .select<{ status: string }[]>('status');
    expect(statuses.filter((s) => s.status === 'EXPIRED')).toHaveLength(due.length);
    report('scale-out: timers on three instances', {
      'coupons due': due.length,
      'COUPON_EXPIRED notices': expired.length,
      'coupons ending within 24 h': soon.length,
      'COUPON_EXPIRING notices': warned.length,
    });
  }, 120_000);

  test('when 300 payments race for 150 invoices through the three instances and one is killed (kill -9) midway, then each invoice is paid once and every receipt and notification arrives once', async () => {
    // Customers in pairs; both of a pair hold a coupon for the same ten invoices.
    const plan: PlannedPayment[] = [];
    const pairs = INVOICES / 10;
    const customers = await Promise.all(Array.from({ length: pairs * 2 }, () => newCustomer(nextBase())));
    const searches: { customer: (typeof customers)[number]; contractNumber: string }[] = [];
    for (let p = 0; p < pairs; p++) {
      for (const contractNumber of contracts.slice(p * 10, p * 10 + 10)) {
        for (const customer of [customers[2 * p], customers[2 * p + 1]])
          if (customer) searches.push({ customer, contractNumber });
      }
    }
    // Searched in plan order, so both coupons of an invoice sit side by side and go to different instances.
    const planned = new Array<PlannedPayment | undefined>(searches.length);
    await inParallel(
      searches.map((s, i) => ({ ...s, i })),
      CONCURRENCY,
      async ({ customer, contractNumber, i }) => {
        const { coupon } = await searchCoupon(nextBase(), customer.token, contractNumber);
        planned[i] = {
          token: customer.token,
          userId: customer.id,
          invoiceId: coupon.invoiceId,
          couponCode: coupon.code,
          idempotencyKey: randomUUID(),
        };
      },
    );
    for (const p of planned) if (p) plan.push(p);
    expect(plan).toHaveLength(INVOICES * 2);

    const victim = hosts[2] as CompiledApp;
    const answers = new Map<string, PayOutcome & { tries: number }>();
    let killedAt = 0;
    await inParallel(plan, CONCURRENCY, async (payment) => {
      const outcome = await payUntilAnswered(nextBase, payment, Date.now() + 120_000);
      answers.set(payment.idempotencyKey, outcome);
      if (answers.size >= KILL_AFTER_ANSWERS && !killedAt) {
        killedAt = answers.size;
        victim.kill('SIGKILL');
      }
    });
    expect(victim.child.signalCode ?? (await new Promise((r) => victim.child.once('exit', (_c, s) => r(s))))).toBe(
      'SIGKILL',
    );

    const successes = [...answers.values()].filter((a) => a.status === 201);
    const refusals = [...answers.values()].filter((a) => a.status === 409);
    const unexpected = [...answers.values()].filter((a) => a.status !== 201 && a.status !== 409);
    const ledger = await paymentLedgerOf(db);
    const raced = new Set(plan.map((p) => p.invoiceId));
    const perInvoice = [...raced].map((id) => ledger.perInvoice.get(id) ?? 0);
    expect(unexpected).toEqual([]);
    expect(successes).toHaveLength(INVOICES);
    expect(perInvoice.every((n) => n === 1)).toBe(true);
    for (const s of successes) expect(ledger.ids.has(s.transactionId ?? '')).toBe(true);

    // The consumers on the two survivors (and the sweeper, for what the dead one held) deliver everything, once.
    const ids = successes.map((s) => s.transactionId ?? '');
    const outboxDir = path.join(dataDir, 'outbox');
    let delivery = await deliveryReportOf(db, outboxDir, ids);
    await waitFor(async () => {
      delivery = await deliveryReportOf(db, outboxDir, ids);
      return delivery.receiptsMissing === 0 && delivery.noticesMissing === 0;
    }, 90_000);
    expect(delivery).toEqual({ receiptsMissing: 0, receiptsDoubled: 0, noticesMissing: 0, noticesDoubled: 0 });
    report('scale-out: 300 payments, three instances, one killed', {
      instances: 3,
      'payments attempted': plan.length,
      'paid (201)': successes.length,
      'refused (409, the other racer)': refusals.length,
      'retried after no answer or in progress': [...answers.values()].filter((a) => a.tries > 1).length,
      'killed after answers': killedAt,
      receipts: ids.length - delivery.receiptsMissing,
      notifications: ids.length - delivery.noticesMissing,
      duplicates: delivery.receiptsDoubled + delivery.noticesDoubled + perInvoice.filter((n) => n > 1).length,
      lost: delivery.receiptsMissing + delivery.noticesMissing + perInvoice.filter((n) => n === 0).length,
    });
  }, 300_000);
});
