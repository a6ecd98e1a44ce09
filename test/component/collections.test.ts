import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';

import fc from 'fast-check';

import { DEMO_OPERATOR } from '../../scripts/demoData';
import * as collections from '../../shared/controllers/collection.controller';
import { ensureActiveCoupon } from '../../shared/controllers/coupon.controller';
import { importInvoices } from '../../shared/controllers/invoiceFeed.controller';
import { type CollectionFileSpec, collectionFileText } from '../../shared/formats/asobancaria';
import { findInvoice } from '../../shared/models/invoice.model';
import { call, customerWithCoupon, logIn, newCustomer, type SeededApp, startSeededApp, waitFor } from '../support/app';

let app: SeededApp;
let operator: { token: string; id: string };

beforeAll(async () => {
  app = await startSeededApp({ queues: true, blobs: true });
  operator = await app.operator();
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
  const { customer, coupon } = await customerWithCoupon(app.url, String(nextContract++));
  return { code: coupon.code, amount: coupon.amount, invoiceId: coupon.invoiceId, customer };
}

type Detail = CollectionFileSpec['batches'][number]['details'][number];
const collected = (coupon: PrintedCoupon, extra: Partial<Detail> = {}): Detail => ({
  reference: coupon.code,
  amountCents: coupon.amount * 100,
  authorization: String(nextAuthorization++),
  ...extra,
});

function bankFile(details: Detail[][], collectionDate = '2026-12-01', bankCode = '007'): string {
  return collectionFileText({
    header: { collectionDate, bankCode },
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
    // A file the bank sent earlier already carried this payment (same day, authorization, reference, amount).
    const first = await load(
      bankFile([[collected(good, { authorization: '700001', sequence: '0000001' })]], '2026-12-07'),
    );
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
      conflictingDuplicate: 0,
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

  test("when another day's file reuses an authorization and sequence for another coupon, then that coupon is paid too", async () => {
    const a = await printedCoupon();
    const b = await printedCoupon();
    const first = await load(
      bankFile([[collected(a, { authorization: '551177', sequence: '0000001' })]], '2026-12-01', '040'),
    );
    const second = await load(
      bankFile([[collected(b, { authorization: '551177', sequence: '0000001' })]], '2026-12-02', '040'),
    );
    expect(first.records[0]?.outcome).toBe('APPLIED');
    expect(second.records[0]?.outcome).toBe('APPLIED');
    expect(second.appliedTotal).toBe(second.reportedTotal);
    expect(await paymentsOf(a.invoiceId)).toHaveLength(1);
    expect(await paymentsOf(b.invoiceId)).toEqual([{ payment_method: 'BANK', bank_authorization: '551177' }]);
  });

  test('when one bank key (bank, day, authorization) comes with another coupon, then it is a CONFLICTING_DUPLICATE listed with both records', async () => {
    const a = await printedCoupon();
    const b = await printedCoupon();
    const report = await load(
      bankFile(
        [[collected(a, { authorization: '662288' }), collected(b, { authorization: '662288' })]],
        '2026-12-03',
        '040',
      ),
    );
    expect(report.records.map((r) => r.outcome)).toEqual(['APPLIED', 'CONFLICTING_DUPLICATE']);
    expect(report.counts).toMatchObject({ applied: 1, conflictingDuplicate: 1 });
    // No money goes unaccounted for: what was reported and not applied is the exception's amount.
    expect(report.reportedTotal - report.appliedTotal).toBe(b.amount);
    expect(await paymentsOf(b.invoiceId)).toHaveLength(0);

    const listed = await call(app.url, 'GET', `/operator/collection-exceptions?collectionId=${report.id}`, {
      token: operator.token,
    });
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0]).toMatchObject({
      source: 'COLLECTION',
      collectionId: report.id,
      outcome: 'CONFLICTING_DUPLICATE',
      couponCode: b.code,
      amount: b.amount,
      authorization: '662288',
      collectionDate: '2026-12-03',
      bankCode: '040',
      conflictsWith: { id: report.records[0]?.id, collectionId: report.id, couponCode: a.code, outcome: 'APPLIED' },
    });
    // The bank confirms which payment is real; the operator records it once.
    const resolved = await call(app.url, 'POST', `/operator/collection-exceptions/${listed.body.items[0].id}/resolve`, {
      token: operator.token,
      body: { resolution: 'El banco corrigió la autorización; reenvía el pago en el archivo del 4' },
    });
    expect(resolved.status).toBe(200);
  });

  test('when the same payment comes twice in one file, then the second is a DUPLICATE exception pointing at the first', async () => {
    const a = await printedCoupon();
    const twice = collected(a, { authorization: '773399' });
    const report = await load(bankFile([[twice, { ...twice, sequence: '0000002' }]], '2026-12-04', '040'));
    expect(report.records.map((r) => r.outcome)).toEqual(['APPLIED', 'DUPLICATE']);
    expect(report.records[1]?.conflictsWith).toMatchObject({ id: report.records[0]?.id, outcome: 'APPLIED' });
    expect(report.reportedTotal - report.appliedTotal).toBe(a.amount);
    expect(await paymentsOf(a.invoiceId)).toHaveLength(1);
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

describe('what a bank file reports is always accounted for', () => {
  let owner: { token: string; id: string };
  let nextNew = 31000000;
  let run = 0;
  beforeAll(async () => {
    owner = await newCustomer(app.url);
  });

  /** Fresh unpaid invoices through the billing feed, each with the owner's coupon. */
  async function freshCoupons(count: number): Promise<{ code: string; amount: number; invoiceId: string }[]> {
    const rows = Array.from({ length: count }, () => {
      const contract = String(nextNew++);
      const amount = 50_000 + (nextNew % 97) * 1_000;
      return { contract, invoice: `P-${contract}`, amount };
    });
    const csv = [
      'contract_number,holder_name,holder_document_type,holder_document_number,address,city,stratum,services,invoice_number,period,issue_date,due_date,amount',
      ...rows.map(
        (r) =>
          `${r.contract},Titular ${r.contract},CC,${r.contract},Calle 1,Medellín,3,Energía,${r.invoice},2026-11,2026-11-20,2026-12-28,${r.amount}`,
      ),
    ].join('\n');
    await importInvoices(app.services, Readable.from([csv]), { source: 'CLI', fileName: 'prop.csv' });
    const coupons = [];
    for (const r of rows) {
      const invoiceRow = await app.services.db('invoices').where({ number: r.invoice }).first('id');
      const invoice = await findInvoice(app.services.db, String(invoiceRow.id));
      if (!invoice) throw new Error(`invoice ${r.invoice} was not imported`);
      const coupon = await ensureActiveCoupon(app.services, owner.id, invoice);
      coupons.push({ code: coupon.code, amount: coupon.amount, invoiceId: invoice.id });
    }
    return coupons;
  }

  type Kind = { kind: 'fresh' | 'short' | 'unknown' } | { kind: 'repeat' | 'conflict' | 'repay'; of: number };
  const kindArb: fc.Arbitrary<Kind> = fc.oneof(
    fc.constantFrom<Kind>({ kind: 'fresh' }, { kind: 'short' }, { kind: 'unknown' }),
    fc.record({ kind: fc.constantFrom('repeat' as const, 'conflict' as const, 'repay' as const), of: fc.nat(20) }),
  );

  test('when files of random outcomes are applied, then reportedTotal − appliedTotal is the sum of their listed exceptions and appliedTotal the BANK payments made', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(kindArb, { minLength: 1, maxLength: 8 }), async (kinds) => {
        run++;
        const coupons = await freshCoupons(
          kinds.filter((k) => k.kind === 'fresh' || k.kind === 'short' || k.kind === 'conflict').length,
        );
        const details: Detail[] = [];
        for (const k of kinds) {
          const earlier = details.length > 0 && 'of' in k ? details[k.of % details.length] : undefined;
          const auth = String(100_000 + ((run * 37 + details.length * 7919) % 899_999));
          if (k.kind === 'fresh' || (k.kind !== 'short' && k.kind !== 'unknown' && !earlier)) {
            const c = coupons.shift() ?? (await freshCoupons(1))[0];
            if (!c) throw new Error('no coupon');
            details.push({ reference: c.code, amountCents: c.amount * 100, authorization: auth });
          } else if (k.kind === 'short') {
            const c = coupons.shift() ?? (await freshCoupons(1))[0];
            if (!c) throw new Error('no coupon');
            details.push({ reference: c.code, amountCents: c.amount * 100 - 100_000, authorization: auth });
          } else if (k.kind === 'unknown') {
            details.push({
              reference: `5${String(run).padStart(10, '0')}${details.length}`,
              amountCents: 123_400,
              authorization: auth,
            });
          } else if (k.kind === 'repeat' && earlier) {
            details.push({ ...earlier, sequence: undefined });
          } else if (k.kind === 'conflict' && earlier) {
            const c = coupons.shift() ?? (await freshCoupons(1))[0];
            if (!c) throw new Error('no coupon');
            details.push({ reference: c.code, amountCents: c.amount * 100, authorization: earlier.authorization });
          } else if (earlier) {
            details.push({ ...earlier, authorization: auth, sequence: undefined });
          }
        }
        const day = new Date(Date.UTC(2027, 0, 1) + run * 86_400_000).toISOString().slice(0, 10);
        const report = await load(bankFile([details], day, '051'), `prop-${run}.txt`);
        expect(report.status).toBe('COMPLETED');
        expect(report.reportedTotal).toBe(details.reduce((sum, d) => sum + d.amountCents, 0) / 100);

        const payments = await app.services
          .db('collection_records as r')
          .join('transactions as t', 't.id', 'r.transaction_id')
          .where('r.file_id', report.id)
          .select<{ amount: number; payment_method: string; type: string }[]>('t.amount', 't.payment_method', 't.type');
        expect(payments.every((p) => p.payment_method === 'BANK' && p.type === 'PAYMENT')).toBe(true);
        expect(payments.reduce((sum, p) => sum + Number(p.amount), 0)).toBe(report.appliedTotal);
        expect(payments).toHaveLength(report.counts.applied);

        let listed = 0;
        let cursor: string | undefined;
        do {
          const page = await call(
            app.url,
            'GET',
            `/operator/collection-exceptions?collectionId=${report.id}&limit=100${cursor ? `&cursor=${cursor}` : ''}`,
            { token: operator.token },
          );
          expect(page.status).toBe(200);
          listed += page.body.items.reduce((sum: number, r: { amount: number }) => sum + r.amount, 0);
          cursor = page.body.nextCursor ?? undefined;
        } while (cursor);
        expect(report.reportedTotal - report.appliedTotal).toBe(listed);
      }),
      { numRuns: 12 },
    );
  }, 120_000);
});
