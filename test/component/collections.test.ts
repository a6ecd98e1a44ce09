import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';

import * as collections from '../../shared/controllers/collection.controller';
import { type CollectionFileSpec, collectionFileText } from '../../shared/models/asobancaria';
import { DEMO_OPERATOR, seedDemoData } from '../../sql/seed';
import { call, logIn, newCustomer, startTestApp, type TestApp, waitFor } from '../support/app';

let app: TestApp;
let operator: { token: string; id: string };

beforeAll(async () => {
  app = await startTestApp({ queues: true, blobs: true });
  await seedDemoData(app.services.db, { now: app.clock.now() });
  operator = await logIn(app.url, DEMO_OPERATOR.email, DEMO_OPERATOR.password);
}, 60_000);
afterAll(async () => {
  await app.stop();
});

let nextContract = 10000001;
let nextAuthorization = 100000;

interface PrintedCoupon {
  code: string;
  amount: number;
  invoiceId: string;
  customer: { token: string; id: string; email: string; password: string };
}

/** A customer prints the coupon of a demo contract's current invoice (each call a contract of its own). */
async function printedCoupon(): Promise<PrintedCoupon> {
  const customer = await newCustomer(app.url);
  const found = await call(app.url, 'POST', '/invoices/search', {
    token: customer.token,
    body: { contractNumber: String(nextContract++) },
  });
  const coupon = found.body.coupons[0];
  return { code: coupon.code, amount: coupon.amount, invoiceId: coupon.invoiceId, customer };
}

type Detail = CollectionFileSpec['batches'][number]['details'][number];
const collected = (coupon: PrintedCoupon, extra: Partial<Detail> = {}): Detail => ({
  reference: coupon.code,
  amountCents: coupon.amount * 100,
  authorization: String(nextAuthorization++),
  ...extra,
});

function bankFile(details: Detail[][], collectionDate = '2026-12-01'): string {
  return collectionFileText({
    header: { collectionDate, bankCode: '007' },
    batches: details.map((d) => ({ details: d })),
  });
}

const load = (text: string, fileName = 'recaudo.txt') =>
  collections.importCollection(app.services, () => Readable.from([Buffer.from(text, 'latin1')]), {
    source: 'CLI',
    fileName,
  });

async function paymentsOf(invoiceId: string): Promise<{ payment_method: string; bank_authorization: string | null }[]> {
  return app.services
    .db('transactions')
    .where({ invoice_id: invoiceId, type: 'PAYMENT' })
    .select('payment_method', 'bank_authorization');
}

describe('importCollections', () => {
  test('when a bank collects a coupon printed from the app, then the invoice is PAID by a BANK payment with a receipt and a notification', async () => {
    const coupon = await printedCoupon();
    const report = await load(bankFile([[collected(coupon, { authorization: '482913' })]]));
    expect(report).toMatchObject({ status: 'COMPLETED', bankCode: '007', collectionDate: '2026-12-01' });
    expect(report.counts).toMatchObject({ records: 1, applied: 1 });
    expect(report.records[0]).toMatchObject({ outcome: 'APPLIED', couponCode: coupon.code, couponExpired: false });

    const history = await call(app.url, 'GET', '/transactions', { token: coupon.customer.token });
    expect(history.body.items[0]).toMatchObject({
      type: 'PAYMENT',
      paymentMethod: 'BANK',
      paymentMethodLabel: 'Recaudo bancario',
      bankAuthorization: '482913',
      couponCode: coupon.code,
      amount: coupon.amount,
    });
    const printed = await call(app.url, 'GET', `/coupons/${coupon.code}`, { token: coupon.customer.token });
    expect(printed.body.status).toBe('USED');
    const notice = await waitFor(async () => {
      const list = await call(app.url, 'GET', '/notifications', { token: coupon.customer.token });
      return list.body.items.find((n: { kind: string }) => n.kind === 'PAYMENT_CONFIRMED');
    });
    expect(notice.body).toContain('El banco nos reportó su pago');
    const receipt = await waitFor(() =>
      app.services
        .db('email_deliveries')
        .where({ user_id: coupon.customer.id, kind: 'receipt', status: 'SENT' })
        .first(),
    );
    const eml = fs
      .readdirSync(app.services.config.email.outboxDir)
      .map((file) => fs.readFileSync(path.join(app.services.config.email.outboxDir, file), 'utf8'))
      .find((text) => text.includes(String(receipt.message_id)) || text.includes('Recaudo bancario'));
    expect(eml).toBeDefined();
  });

  test('when one file holds every case, then each record ends with its outcome and only the good one moves money', async () => {
    const good = await printedCoupon();
    const paidOnline = await printedCoupon();
    const short = await printedCoupon();
    const expired = await printedCoupon();
    const pay = await call(app.url, 'POST', `/invoices/${paidOnline.invoiceId}/pay`, {
      token: paidOnline.customer.token,
      body: { couponCode: paidOnline.code, paymentMethod: 'PSE' },
      headers: { 'Idempotency-Key': `online-${paidOnline.code}` },
    });
    expect(pay.status).toBe(201);
    // A file the bank sent yesterday already carried this authorization and sequence.
    const first = await load(bankFile([[collected(good, { authorization: '700001', sequence: '0000001' })]]));
    expect(first.counts.applied).toBe(1);
    // The coupon's 72 h are over before the collection day: the bank took the money anyway.
    app.clock.advance(5 * 24 * 3600_000);
    await app.host.runTimer('expireCoupons');
    // Five days on, everybody's access token has expired: they log in again.
    operator = await logIn(app.url, DEMO_OPERATOR.email, DEMO_OPERATOR.password);
    for (const who of [expired, paidOnline])
      who.customer = { ...who.customer, ...(await logIn(app.url, who.customer.email, who.customer.password)) };
    expect(
      (await call(app.url, 'GET', `/coupons/${expired.code}`, { token: expired.customer.token })).body.status,
    ).toBe('EXPIRED');

    const report = await load(
      bankFile(
        [
          [
            collected(good, { authorization: '700001', sequence: '0000001' }),
            collected(paidOnline),
            collected(short, { amountCents: short.amount * 100 - 50_000 }),
          ],
          [collected(expired), { reference: '000000000001', amountCents: 1_000_000, authorization: '999999' }],
        ],
        '2026-12-07',
      ),
      'recaudo-2.txt',
    );
    expect(report.records.map((r) => r.outcome)).toEqual([
      'DUPLICATE',
      'ALREADY_PAID',
      'AMOUNT_MISMATCH',
      'APPLIED',
      'UNKNOWN_REFERENCE',
    ]);
    expect(report.records[3]?.couponExpired).toBe(true);
    expect(report.counts).toEqual({
      records: 5,
      applied: 1,
      duplicate: 1,
      alreadyPaid: 1,
      amountMismatch: 1,
      unknownReference: 1,
    });
    expect(report.appliedTotal).toBe(expired.amount);
    expect(await paymentsOf(good.invoiceId)).toHaveLength(1);
    expect(await paymentsOf(paidOnline.invoiceId)).toEqual([{ payment_method: 'PSE', bank_authorization: null }]);
    expect(await paymentsOf(short.invoiceId)).toHaveLength(0);
    expect(await paymentsOf(expired.invoiceId)).toEqual([
      { payment_method: 'BANK', bank_authorization: expect.any(String) },
    ]);

    // The operator lists the two exceptions, resolves one, and both steps are audited.
    const open = await call(app.url, 'GET', '/operator/collection-exceptions', { token: operator.token });
    const mine = open.body.items.filter((r: { couponCode: string }) =>
      [paidOnline.code, short.code].includes(r.couponCode),
    );
    expect(mine.map((r: { outcome: string }) => r.outcome).sort()).toEqual(['ALREADY_PAID', 'AMOUNT_MISMATCH']);
    const refund = mine.find((r: { outcome: string }) => r.outcome === 'ALREADY_PAID');
    const resolved = await call(app.url, 'POST', `/operator/collection-exceptions/${refund.id}/resolve`, {
      token: operator.token,
      body: { resolution: 'Devuelto al cliente, radicado 2026-77' },
    });
    expect(resolved.body).toMatchObject({ resolution: 'Devuelto al cliente, radicado 2026-77' });
    const twice = await call(app.url, 'POST', `/operator/collection-exceptions/${refund.id}/resolve`, {
      token: operator.token,
      body: { resolution: 'otra vez' },
    });
    expect(twice.body.code).toBe('COLLECTION_EXCEPTION_RESOLVED');
    const still = await call(app.url, 'GET', '/operator/collection-exceptions', { token: operator.token });
    expect(still.body.items.map((r: { id: string }) => r.id)).not.toContain(refund.id);
  });

  test('when the same file comes again, then it is the same collection and nothing changes', async () => {
    const coupon = await printedCoupon();
    const text = bankFile([[collected(coupon)]]);
    const first = await load(text);
    const payments = await app.services.db('transactions').count({ n: '*' }).first();
    const outbox = await app.services.db('outbox').count({ n: '*' }).first();
    const again = await load(text, 'otro-nombre.txt');
    expect(again.id).toBe(first.id);
    expect(again.counts).toEqual(first.counts);
    expect(await app.services.db('transactions').count({ n: '*' }).first()).toEqual(payments);
    expect(await app.services.db('outbox').count({ n: '*' }).first()).toEqual(outbox);
  });

  test('when a control total does not add up, then the whole file is REJECTED at that line and nothing is applied', async () => {
    const coupon = await printedCoupon();
    const lines = bankFile([[collected(coupon)]]).split('\r\n');
    // The batch control (line 4) claims one peso more than its record.
    lines[3] = `08${'1'.padStart(9, '0')}${String(coupon.amount * 100 + 100).padStart(18, '0')}0001${' '.repeat(129)}`;
    const report = await load(lines.join('\r\n'));
    expect(report.status).toBe('REJECTED');
    expect(report.error).toMatch(/^Línea 4: el lote 1 declara un total de \$ [\d.]+,00 y sus registros suman/);
    expect(report.records).toEqual([]);
    expect(await paymentsOf(coupon.invoiceId)).toHaveLength(0);

    const truncated = await load(bankFile([[collected(coupon)]]).slice(0, 400));
    expect(truncated.error).toMatch(/^Línea 3: el registro tiene \d+ caracteres; deben ser 162/);
  });

  test('when a collection races an online payment of the same invoice, then exactly one wins and the other is ALREADY_PAID', async () => {
    const coupons = await Promise.all([1, 2, 3, 4].map(() => printedCoupon()));
    const [bank, ...online] = await Promise.all([
      load(bankFile([coupons.map((c) => collected(c))])),
      ...coupons.map((c) =>
        call(app.url, 'POST', `/invoices/${c.invoiceId}/pay`, {
          token: c.customer.token,
          body: { couponCode: c.code, paymentMethod: 'CARD' },
          headers: { 'Idempotency-Key': `race-${c.code}` },
        }),
      ),
    ]);
    for (const [i, coupon] of coupons.entries()) {
      const record = bank.records[i];
      const response = online[i];
      expect(await paymentsOf(coupon.invoiceId)).toHaveLength(1);
      if (record?.outcome === 'APPLIED') expect(response?.status).toBe(409);
      else {
        expect(record?.outcome).toBe('ALREADY_PAID');
        expect(response?.status).toBe(201);
      }
    }
  });

  test('when applying stops half-way (the host dies), then loading the file again resumes after what was stored', async () => {
    const coupons = await Promise.all([1, 2, 3].map(() => printedCoupon()));
    const text = bankFile([coupons.map((c) => collected(c))]);
    let reads = 0;
    const dying = () => {
      reads++;
      // The check reads it whole; the application's read dies after the first record (line 3).
      const lines = text.split('\r\n');
      return reads === 1
        ? Readable.from([Buffer.from(text)])
        : Readable.from(
            (async function* () {
              yield Buffer.from(lines.slice(0, 3).join('\r\n') + '\r\n');
              throw new Error('host killed');
            })(),
          );
    };
    await expect(
      collections.importCollection(app.services, dying, { source: 'CLI', fileName: 'r.txt' }),
    ).rejects.toThrow('host killed');
    const resumed = await load(text);
    expect(resumed.status).toBe('COMPLETED');
    expect(resumed.counts.applied).toBe(3);
    for (const coupon of coupons) expect(await paymentsOf(coupon.invoiceId)).toHaveLength(1);
  });

  test('when an operator uploads a bank file, then the blob trigger applies it and the reconciliation lists it with its totals', async () => {
    const coupon = await printedCoupon();
    const text = bankFile([[collected(coupon), { reference: '000000000002', amountCents: 250_000 }]]);
    const upload = await call(app.url, 'POST', '/operator/collections', {
      token: operator.token,
      raw: text,
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(upload.status).toBe(202);
    const report = await waitFor(async () => {
      const res = await call(app.url, 'GET', `/operator/collections/${upload.body.collectionId}`, {
        token: operator.token,
      });
      return res.body.status === 'COMPLETED' && res.body;
    });
    expect(report).toMatchObject({ source: 'UPLOAD', counts: { applied: 1, unknownReference: 1 } });
    expect(report.reportedTotal).toBe(coupon.amount + 2500);
    expect(report.appliedTotal).toBe(coupon.amount);

    const again = await call(app.url, 'POST', '/operator/collections', {
      token: operator.token,
      raw: text,
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(again.body).toEqual({ collectionId: upload.body.collectionId, alreadyLoaded: true });

    const today = new Date(app.clock.now().getTime() - 5 * 3600_000).toISOString().slice(0, 10);
    const listed = await call(app.url, 'GET', `/operator/collections?from=${today}&to=${today}`, {
      token: operator.token,
    });
    expect(listed.body.items.find((f: { id: string }) => f.id === upload.body.collectionId)).toMatchObject({
      counts: { records: 2, applied: 1 },
      reportedTotal: coupon.amount + 2500,
    });
    const customer = await newCustomer(app.url);
    const forbidden = await call(app.url, 'POST', '/operator/collections', {
      token: customer.token,
      raw: text,
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(forbidden.status).toBe(403);
  });
});
