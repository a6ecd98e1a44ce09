import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import fc from 'fast-check';

import { percentile } from '../../bench/stats';
import { GATEWAY_TIMEOUT_MS } from '../../shared/clients/gateway.client';
import { SANDBOX_KEYS } from '../../shared/config';
import { signedEvent, type WompiTransaction } from '../../shared/formats/wompi';
import { call, customerWithCoupon, decideAtCheckout, waitFor } from '../support/app';
import type { CompiledApp } from '../support/compiled';
import { childPids, preparePayableInvoices, report, sqliteOf, startApp } from './support';

/**
 * The gateway's faults (issue #28), on the app as `npm start` runs it with its sandbox: the host
 * killed between the gateway's approval and its event, the gateway unreachable for a while, and
 * fuzzed events at the webhook.
 * The reconciler is what catches both up; here it runs every 2 s and asks after 5 s
 * (PAYMENT_RECONCILE_AFTER_SECONDS; 2 minutes in production), so the test sees it within a minute.
 */
/** As the issue asks: the gateway gone for two minutes, the reconciler's whole wait. */
const OUTAGE_MS = 120_000;
const RECONCILER = { RECONCILE_PAYMENTS_SCHEDULE: '*/2 * * * * *', PAYMENT_RECONCILE_AFTER_SECONDS: '5' };

const running: CompiledApp[] = [];
afterAll(async () => {
  await Promise.all(running.map((app) => app.stop()));
});

async function start(dataDir: string, extra: NodeJS.ProcessEnv = {}): Promise<CompiledApp> {
  const app = await startApp(dataDir, { ...RECONCILER, ...extra });
  running.push(app);
  return app;
}

/** A customer's PENDING payment of one contract's invoice, approved at the sandbox's checkout without its event. */
async function approvedWithoutEvent(base: string, contractNumber: string) {
  const { customer, coupon } = await customerWithCoupon(base, contractNumber);
  const created = await call(base, 'POST', '/payments', {
    token: customer.token,
    body: { couponCodes: [coupon.code], paymentMethod: 'CARD' },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  expect(created.status).toBe(201);
  const decided = await decideAtCheckout(created.body.checkoutUrl as string, 'APPROVED_NO_EVENT');
  expect(decided.status).toBe(303);
  return { customer, coupon, paymentId: created.body.id as string };
}

const paymentStatus = async (base: string, token: string, id: string) =>
  (await call(base, 'GET', `/payments/${id}`, { token })).body.status as string;

test('when the host is killed (kill -9) between the gateway approving a payment and its event, then after the restart the reconciler finds the approval and pays the invoice once', async () => {
  const dataDir = path.join(process.env.DATA_DIR ?? '', 'crash-before-event');
  fs.mkdirSync(dataDir, { recursive: true });
  const [contract = ''] = await preparePayableInvoices(dataDir, 1, 31_000_000);
  const first = await start(dataDir);
  const azurite = childPids(first.child.pid ?? 0);
  const { customer, coupon, paymentId } = await approvedWithoutEvent(first.base, contract);
  expect(await paymentStatus(first.base, customer.token, paymentId)).toBe('PENDING');

  const exited = new Promise((resolve) => first.child.once('exit', resolve));
  first.kill('SIGKILL');
  for (const pid of azurite) process.kill(pid, 'SIGKILL');
  await exited;

  const restartedAt = Date.now();
  const second = await start(dataDir);
  await waitFor(async () => (await paymentStatus(second.base, customer.token, paymentId)) === 'APPROVED', 60_000);
  const caughtUpSeconds = (Date.now() - restartedAt) / 1000;
  const db = sqliteOf(dataDir);
  const payments = await db('transactions').where({ invoice_id: coupon.invoiceId, type: 'PAYMENT' });
  const invoice = await db('invoices').where({ id: coupon.invoiceId }).first('status');
  await db.destroy();
  report('gateway-crash', {
    'seconds from restart to APPROVED (reconciler every 2 s, after 5 s)': caughtUpSeconds.toFixed(1),
    'PAYMENT rows': payments.length,
  });
  expect(invoice.status).toBe('PAID');
  expect(payments).toHaveLength(1);
}, 180_000);

test('when the gateway stops answering for 2 minutes, then payments stay PENDING, no request waits on it, and every approval is applied once it answers again', async () => {
  const dataDir = path.join(process.env.DATA_DIR ?? '', 'gateway-outage');
  fs.mkdirSync(dataDir, { recursive: true });
  const contracts = await preparePayableInvoices(dataDir, 5, 32_000_000);

  // The gateway's API behind a switch: while down it accepts connections and never answers (the
  // worst kind of outage: only the client's timeout ends a call); up, it is the app's own sandbox.
  let down = true;
  let target = '';
  const stalled: http.ServerResponse[] = [];
  const gateway = http.createServer((request, response) => {
    if (down) {
      stalled.push(response);
      return;
    }
    void fetch(`${target}${request.url ?? ''}`, {
      method: request.method,
      headers: { authorization: request.headers.authorization ?? '' },
    })
      .then(async (answer) => {
        response.writeHead(answer.status, { 'Content-Type': answer.headers.get('content-type') ?? 'application/json' });
        response.end(await answer.text());
      })
      .catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  const gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/v1`;
  try {
    const app = await start(dataDir, { WOMPI_API_URL: gatewayUrl });
    target = `${app.base}/sandbox`;
    const approved: Awaited<ReturnType<typeof approvedWithoutEvent>>[] = [];
    for (const contract of contracts) approved.push(await approvedWithoutEvent(app.base, contract));

    // Two minutes of outage: the reconciler tries every 2 s; the app keeps answering.
    const latencies: number[] = [];
    const outageEnds = Date.now() + OUTAGE_MS;
    while (Date.now() < outageEnds) {
      const started = performance.now();
      const health = await fetch(`${app.base}/health`);
      await health.arrayBuffer();
      const searched = await call(app.base, 'POST', '/invoices/search', {
        token: approved[0]?.customer.token,
        body: { contractNumber: contracts[0] },
      });
      latencies.push(performance.now() - started);
      expect(health.status).toBe(200);
      expect(searched.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const statuses = await Promise.all(approved.map((p) => paymentStatus(app.base, p.customer.token, p.paymentId)));
    expect(statuses).toEqual(approved.map(() => 'PENDING'));
    const callsDuringOutage = stalled.length;
    expect(callsDuringOutage).toBeGreaterThan(0);

    down = false;
    for (const response of stalled) response.destroy();
    const backAt = Date.now();
    await waitFor(async () => {
      const now = await Promise.all(approved.map((p) => paymentStatus(app.base, p.customer.token, p.paymentId)));
      return now.every((status) => status === 'APPROVED');
    }, 90_000);
    const db = sqliteOf(dataDir);
    const paidRows = await db('transactions')
      .whereIn(
        'invoice_id',
        approved.map((p) => p.coupon.invoiceId),
      )
      .where({ type: 'PAYMENT' });
    await db.destroy();
    report('gateway-outage', {
      'payments approved at the gateway during the outage': approved.length,
      'outage seconds': OUTAGE_MS / 1000,
      'reconciler calls left hanging by the gateway': callsDuringOutage,
      'slowest health + search during the outage (ms)': Math.max(...latencies).toFixed(0),
      'median health + search during the outage (ms)': percentile(latencies, 50).toFixed(0),
      'seconds from the gateway back to all APPROVED': ((Date.now() - backAt) / 1000).toFixed(1),
      'PAYMENT rows': paidRows.length,
    });
    // A request that waited on the gateway would take its whole timeout (the reconciler's calls
    // hang that long); half of it still leaves room for two busy cores shared with other tests.
    expect(Math.max(...latencies)).toBeLessThan(GATEWAY_TIMEOUT_MS / 2);
    expect(paidRows).toHaveLength(approved.length);
  } finally {
    gateway.closeAllConnections();
    gateway.close();
  }
}, 240_000);

test('when 1,000 fuzzed events reach the webhook (shapes, types, properties lists, checksums, sizes), then none gets a 5xx, every refusal is problem+json, and only correctly signed ones are stored', async () => {
  const dataDir = path.join(process.env.DATA_DIR ?? '', 'gateway-fuzz');
  fs.mkdirSync(dataDir, { recursive: true });
  await preparePayableInvoices(dataDir, 1, 33_000_000);
  const app = await start(dataDir);
  const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const valid = (transaction: Partial<WompiTransaction>) =>
    signedEvent(
      {
        id: `fuzz-${randomUUID()}`,
        reference: `CUP${randomUUID().replace(/-/g, '')}`,
        amount_in_cents: 100_000,
        currency: 'COP',
        status: 'APPROVED',
        ...transaction,
      },
      SANDBOX_KEYS.eventsSecret,
      new Date(),
    );
  const scalar = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.string({ minLength: 5000, maxLength: 20_000 }),
  );
  const body = fc.oneof(
    // Anything at all, JSON or not.
    fc.anything().map((value) => JSON.stringify(value) ?? 'undefined'),
    fc.string(),
    // A signed event with one field of the transaction replaced (its checksum then lies, or not).
    fc
      .record({
        field: fc.constantFrom('id', 'status', 'amount_in_cents', 'reference', 'currency', 'payment_method_type'),
        value: scalar,
      })
      .map(({ field, value }) => {
        const event = valid({}) as unknown as { data: { transaction: Record<string, unknown> } };
        event.data.transaction[field] = value;
        return JSON.stringify(event);
      }),
    // The properties list or the checksum tampered with.
    fc.record({ properties: fc.array(fc.string()), checksum: fc.string() }).map(({ properties, checksum }) => {
      const event = valid({});
      return JSON.stringify({ ...event, signature: { properties, checksum } });
    }),
    // Correctly signed, with odd but typed values: stored, and an unknown reference.
    fc
      .record({ status: fc.constantFrom('APPROVED', 'DECLINED', 'VOIDED', 'ERROR', 'PENDING'), cents: fc.nat() })
      .map(({ status, cents }) => JSON.stringify(valid({ status: status, amount_in_cents: cents }))),
  );
  // The demo history's one-step payments stored their events at start: only the fuzz's count here.
  const before = sqliteOf(dataDir);
  const storedBefore = Number((await before('payment_events').count<{ n: number }[]>({ n: '*' }))[0]?.n);
  await before.destroy();
  const statuses = new Map<number, number>();
  let notProblem = 0;
  let signedSent = 0;
  await fc.assert(
    fc.asyncProperty(body, async (raw) => {
      const response = await fetch(`${app.base}/payments/events`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: raw,
      });
      const text = await response.text();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status !== 200 && !(response.headers.get('content-type') ?? '').includes('application/problem+json'))
        notProblem++;
      if (response.status === 200) signedSent++;
      return response.status < 500 || text === '';
    }),
    { numRuns: 1_000, seed },
  );
  const db = sqliteOf(dataDir);
  const stored = await db('payment_events').count<{ n: number }[]>({ n: '*' });
  await db.destroy();
  report('gateway-fuzz', {
    seed,
    events: 1_000,
    'answers by status': JSON.stringify(Object.fromEntries(statuses)),
    '5xx': [...statuses].filter(([status]) => status >= 500).reduce((sum, [, n]) => sum + n, 0),
    'refusals not problem+json': notProblem,
    'events stored': Number(stored[0]?.n) - storedBefore,
  });
  expect([...statuses.keys()].filter((status) => status >= 500)).toEqual([]);
  expect(notProblem).toBe(0);
  expect(Number(stored[0]?.n) - storedBefore).toBe(signedSent);
}, 240_000);
