import { randomUUID } from 'node:crypto';

import { QueueClient } from '@azure/storage-queue';

import { startAzurite } from '../../local/azurite';
import * as sandbox from '../../shared/controllers/sandbox.controller';
import { call, customerWithCoupon, logIn, newCustomer, type SeededApp, startSeededApp, waitFor } from '../support/app';

let app: SeededApp;
let operator: { token: string; id: string };

beforeAll(async () => {
  // Queue triggers off: the consumers are another issue; here the messages must reach the queues.
  app = await startSeededApp({ queues: false });
  operator = await app.operator();
}, 60_000);
afterAll(async () => {
  await app.stop();
});

let nextContract = 10000001;
/** Each test takes its own demo contract so that tests don't share invoices. */
const freshContract = () => String(nextContract++);

async function search(token: string, contractNumber: string) {
  return call(app.url, 'POST', '/invoices/search', { token, body: { contractNumber } });
}

async function pay(
  token: string,
  invoiceId: string,
  couponCode: string,
  key: string = randomUUID(),
  paymentMethod = 'PSE',
) {
  return call(app.url, 'POST', `/invoices/${invoiceId}/pay`, {
    token,
    body: { couponCode, paymentMethod },
    headers: { 'Idempotency-Key': key },
  });
}

/** A customer, the unpaid invoice of a fresh contract and the customer's coupon for it. */
const customerWithFreshCoupon = () => customerWithCoupon(app.url, freshContract());

async function outboxCount(queue: string): Promise<number> {
  const row = await app.services.db('outbox').where({ queue }).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

describe('searchInvoice', () => {
  test('when a contract is searched, then its invoices come newest first with masked holder data and a coupon per unpaid invoice', async () => {
    const customer = await newCustomer(app.url);
    const res = await search(customer.token, freshContract());
    expect(res.status).toBe(200);
    expect(res.body.contract.holderName).toMatch(/^\p{L}\*+( \p{L}\*+)+$/u);
    expect(res.body.contract.address).toMatch(/\*\* # \*\*-\*\*/);
    const periods = res.body.invoices.map((i: { period: string }) => i.period);
    expect(periods).toEqual([...periods].sort().reverse());
    const unpaid = res.body.invoices.filter((i: { status: string }) => i.status === 'UNPAID');
    expect(res.body.coupons).toHaveLength(unpaid.length);
    expect(res.body.coupons[0]).toMatchObject({
      status: 'ACTIVE',
      amount: unpaid[0].amount,
      barcode: { humanReadable: expect.stringMatching(/^\(415\)\d{13}\(8020\)\d{12}\(3900\)\d+\(96\)\d{8}$/) },
    });
  });

  test('when the same user searches again, then the same coupon comes back', async () => {
    const { customer, coupon, found } = await customerWithFreshCoupon();
    const again = await search(customer.token, found.body.contract.number);
    expect(again.body.coupons[0].code).toBe(coupon.code);
  });

  test('when the same search arrives twice at once, then one coupon exists', async () => {
    const customer = await newCustomer(app.url);
    const contract = freshContract();
    const [a, b] = await Promise.all([search(customer.token, contract), search(customer.token, contract)]);
    expect(a.body.coupons[0].code).toBe(b.body.coupons[0].code);
    const active = await app.services
      .db('coupons')
      .where({ user_id: customer.id, status: 'ACTIVE' })
      .count({ n: '*' })
      .first();
    expect(Number(active?.n)).toBe(a.body.coupons.length);
  });

  test('when the contract does not exist, then 404 CONTRACT_NOT_FOUND; when it is not digits, then 400', async () => {
    const customer = await newCustomer(app.url);
    expect((await search(customer.token, '99999999')).body.code).toBe('CONTRACT_NOT_FOUND');
    const bad = await search(customer.token, '1000-ABC');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('body.contractNumber');
  });

  test('when contract 10000099 is searched, then nothing is unpaid and no coupon is made', async () => {
    const customer = await newCustomer(app.url);
    const res = await search(customer.token, '10000099');
    expect(res.body.invoices.every((i: { status: string }) => i.status === 'PAID')).toBe(true);
    expect(res.body.coupons).toEqual([]);
  });

  test('when no token is sent, then 401', async () => {
    expect((await call(app.url, 'POST', '/invoices/search', { body: { contractNumber: '10000001' } })).status).toBe(
      401,
    );
  });
});

describe('coupons', () => {
  test('when the owner asks for a coupon, then detail with barcode; another user gets 404', async () => {
    const { customer, coupon } = await customerWithFreshCoupon();
    const mine = await call(app.url, 'GET', `/coupons/${coupon.code}`, { token: customer.token });
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({
      code: coupon.code,
      status: 'ACTIVE',
      invoice: { id: coupon.invoiceId, status: 'UNPAID' },
    });
    const stranger = await newCustomer(app.url);
    const theirs = await call(app.url, 'GET', `/coupons/${coupon.code}`, { token: stranger.token });
    expect(theirs.status).toBe(404);
    expect(theirs.body.code).toBe('COUPON_NOT_FOUND');
  });

  test('when a coupon code has a typo, then 400 before any lookup', async () => {
    const { customer, coupon } = await customerWithFreshCoupon();
    const typo = coupon.code.slice(0, 11) + String((Number(coupon.code[11]) + 1) % 10);
    const res = await call(app.url, 'GET', `/coupons/${typo}`, { token: customer.token });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe('params.code');
  });

  test('when the PDF is asked for from the browser, then a printable PDF comes back, never cached, its file name readable by the page', async () => {
    const { customer, coupon } = await customerWithFreshCoupon();
    const res = await fetch(`${app.url}/coupons/${coupon.code}/pdf`, {
      headers: { Authorization: `Bearer ${customer.token}`, Origin: 'http://localhost:5173' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-disposition')).toBe(`inline; filename="cupon-${coupon.code}.pdf"`);
    expect(res.headers.get('access-control-expose-headers')).toContain('Content-Disposition');
    const pdf = Buffer.from(await res.arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(5000); // text plus the barcode image
  });

  test('when an ACTIVE coupon is cancelled, then it is CANCELLED, a second cancel is 409 and paying with it is refused', async () => {
    const { customer, coupon, invoiceId } = await customerWithFreshCoupon();
    const cancelled = await call(app.url, 'POST', `/coupons/${coupon.code}/cancel`, { token: customer.token });
    expect(cancelled.body.status).toBe('CANCELLED');
    expect((await call(app.url, 'POST', `/coupons/${coupon.code}/cancel`, { token: customer.token })).body.code).toBe(
      'COUPON_CANCELLED',
    );
    const res = await pay(customer.token, invoiceId, coupon.code);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('COUPON_CANCELLED');
  });

  test('the cuponera is paged by cursor, filtered by status, newest first', async () => {
    const customer = await newCustomer(app.url);
    for (let i = 0; i < 3; i++) {
      await search(customer.token, freshContract());
      app.clock.advance(1000);
    }
    const first = await call(app.url, 'GET', '/coupons?limit=2&status=ACTIVE', { token: customer.token });
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await call(app.url, 'GET', `/coupons?limit=2&status=ACTIVE&cursor=${first.body.nextCursor}`, {
      token: customer.token,
    });
    const all = [...first.body.items, ...second.body.items];
    expect(new Set(all.map((c: { code: string }) => c.code)).size).toBe(all.length);
    expect(all.map((c: { issuedAt: string }) => c.issuedAt)).toEqual(
      [...all.map((c: { issuedAt: string }) => c.issuedAt)].sort().reverse(),
    );
    expect((await call(app.url, 'GET', '/coupons?cursor=garbage', { token: customer.token })).status).toBe(400);
    expect((await call(app.url, 'GET', '/coupons?limit=500', { token: customer.token })).status).toBe(400);
  });
});

describe('payInvoice', () => {
  test('when the whole flow runs (search → coupon → pay → history), then the invoice is PAID, the coupon USED, and history shows it', async () => {
    const { customer, coupon, invoiceId } = await customerWithFreshCoupon();
    const paid = await pay(customer.token, invoiceId, coupon.codeFormatted, randomUUID(), 'CARD');
    expect(paid.status).toBe(201);
    expect(paid.body).toMatchObject({
      transaction: {
        type: 'PAYMENT',
        invoiceId,
        couponCode: coupon.code,
        amount: coupon.amount,
        paymentMethod: 'CARD',
      },
      invoice: { id: invoiceId, status: 'PAID', overdue: false },
      coupon: { code: coupon.code, status: 'USED' },
    });
    const history = await call(app.url, 'GET', '/transactions', { token: customer.token });
    expect(history.body.items[0]).toMatchObject({
      id: paid.body.transaction.id,
      contractNumber: expect.any(String),
      invoiceNumber: expect.any(String),
    });
  });

  test.each([
    ['the coupon is someone else’s', 'COUPON_NOT_FOUND', 404],
    ['the coupon is for another invoice', 'COUPON_INVOICE_MISMATCH', 422],
  ])('when %s, then %s', async (_case, code, status) => {
    const a = await customerWithFreshCoupon();
    const b = await customerWithFreshCoupon();
    const res =
      code === 'COUPON_NOT_FOUND'
        ? await pay(b.customer.token, a.invoiceId, a.coupon.code)
        : await pay(a.customer.token, b.invoiceId, a.coupon.code);
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
  });

  test('when the coupon was already used, then 409 COUPON_ALREADY_USED or INVOICE_ALREADY_PAID', async () => {
    const { customer, coupon, invoiceId } = await customerWithFreshCoupon();
    expect((await pay(customer.token, invoiceId, coupon.code)).status).toBe(201);
    const again = await pay(customer.token, invoiceId, coupon.code);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('INVOICE_ALREADY_PAID');
  });

  test('when another user paid the invoice first, then the second user gets INVOICE_ALREADY_PAID and their coupon was cancelled', async () => {
    const first = await customerWithFreshCoupon();
    const second = await newCustomer(app.url);
    const theirs = (await search(second.token, first.found.body.contract.number)).body.coupons[0];
    expect((await pay(first.customer.token, first.invoiceId, first.coupon.code)).status).toBe(201);
    expect((await pay(second.token, first.invoiceId, theirs.code)).body.code).toBe('INVOICE_ALREADY_PAID');
    expect((await call(app.url, 'GET', `/coupons/${theirs.code}`, { token: second.token })).body.status).toBe(
      'CANCELLED',
    );
  });

  test('when the coupon has expired, then 409 COUPON_EXPIRED', async () => {
    const { customer, coupon, invoiceId } = await customerWithFreshCoupon();
    app.clock.set(new Date(Date.parse(coupon.expiresAt) + 1000));
    const { token } = await logIn(app.url, customer.email, customer.password); // the old access token expired too
    const res = await pay(token, invoiceId, coupon.code);
    app.clock.set(new Date());
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('COUPON_EXPIRED');
  });

  test('when the Idempotency-Key is missing, then 400 IDEMPOTENCY_KEY_REQUIRED', async () => {
    const { customer, coupon, invoiceId } = await customerWithFreshCoupon();
    const res = await call(app.url, 'POST', `/invoices/${invoiceId}/pay`, {
      token: customer.token,
      body: { couponCode: coupon.code, paymentMethod: 'PSE' },
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
  });

  test('when the payment method is unknown, then 400 naming body.paymentMethod', async () => {
    const { customer, coupon, invoiceId } = await customerWithFreshCoupon();
    const res = await pay(customer.token, invoiceId, coupon.code, randomUUID(), 'BITCOIN');
    expect(res.body.errors[0].path).toBe('body.paymentMethod');
  });

  test('when the same Idempotency-Key is sent 20 times at once, then one payment and 20 identical answers (or 409 while running)', async () => {
    const { customer, coupon, invoiceId } = await customerWithFreshCoupon();
    const key = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => pay(customer.token, invoiceId, coupon.code, key)),
    );
    const successes = answers.filter((a) => a.status === 201);
    expect(successes.length).toBeGreaterThanOrEqual(1);
    expect(answers.every((a) => a.status === 201 || a.body.code === 'IDEMPOTENCY_REQUEST_IN_PROGRESS')).toBe(true);
    expect(new Set(successes.map((a) => a.text)).size).toBe(1);
    const later = await Promise.all(Array.from({ length: 20 }, () => pay(customer.token, invoiceId, coupon.code, key)));
    expect(
      later.every(
        (a) => a.status === 201 && a.text === successes[0]?.text && a.headers.get('idempotent-replayed') === 'true',
      ),
    ).toBe(true);
    const rows = await app.services
      .db('transactions')
      .where({ invoice_id: invoiceId, type: 'PAYMENT' })
      .count({ n: '*' })
      .first();
    expect(Number(rows?.n)).toBe(1);
  });

  test('when the same key comes with a different body, then 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const { customer, coupon, invoiceId } = await customerWithFreshCoupon();
    const key = randomUUID();
    expect((await pay(customer.token, invoiceId, coupon.code, key, 'PSE')).status).toBe(201);
    const reused = await pay(customer.token, invoiceId, coupon.code, key, 'CASH');
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  test('when a refused payment is retried with its key, then the same refusal is replayed', async () => {
    const { customer, coupon, invoiceId } = await customerWithFreshCoupon();
    await call(app.url, 'POST', `/coupons/${coupon.code}/cancel`, { token: customer.token });
    const key = randomUUID();
    const first = await pay(customer.token, invoiceId, coupon.code, key);
    const replay = await pay(customer.token, invoiceId, coupon.code, key);
    expect(first.body.code).toBe('COUPON_CANCELLED');
    expect(replay.text).toBe(first.text);
    expect(replay.headers.get('content-type')).toContain('application/problem+json');
  });

  test('when storing the idempotent answer fails, then the payment rolls back with it: never a payment without its stored answer', async () => {
    const { customer, coupon, invoiceId } = await customerWithFreshCoupon();
    const request = { userId: customer.id, invoiceId, couponCode: coupon.code, paymentMethod: 'PSE' as const };
    await expect(
      sandbox.payInOneStep(app.services, request, async () => {
        throw new Error('the idempotency store is down');
      }),
    ).rejects.toThrow('the idempotency store is down');
    const invoice = await app.services.db('invoices').where({ id: invoiceId }).first('status');
    expect(invoice.status).toBe('UNPAID');
    expect(await app.services.db('transactions').where({ invoice_id: invoiceId })).toEqual([]);
    expect((await pay(customer.token, invoiceId, coupon.code)).status).toBe(201);
  });

  test('when the same key is used by another user, then it is their own key (scoped per user)', async () => {
    const a = await customerWithFreshCoupon();
    const b = await customerWithFreshCoupon();
    const key = randomUUID();
    expect((await pay(a.customer.token, a.invoiceId, a.coupon.code, key)).status).toBe(201);
    expect((await pay(b.customer.token, b.invoiceId, b.coupon.code, key)).status).toBe(201);
  });

  test('when 50 payments of one invoice arrive at once (10 users × 5), then exactly one succeeds and one PAYMENT row exists', async () => {
    const contract = freshContract();
    const payers = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const customer = await newCustomer(app.url);
        const found = await search(customer.token, contract);
        return { customer, coupon: found.body.coupons[0] };
      }),
    );
    const invoiceId = payers[0]?.coupon.invoiceId as string;
    const attempts = payers.flatMap((p) =>
      Array.from({ length: 5 }, () => pay(p.customer.token, invoiceId, p.coupon.code)),
    );
    const answers = await Promise.all(attempts);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(
      answers
        .filter((a) => a.status !== 201)
        .every(
          (a) =>
            a.status === 409 &&
            ['INVOICE_ALREADY_PAID', 'COUPON_ALREADY_USED', 'COUPON_CANCELLED'].includes(a.body.code),
        ),
    ).toBe(true);
    const rows = await app.services.db('transactions').where({ invoice_id: invoiceId }).count({ n: '*' }).first();
    expect(Number(rows?.n)).toBe(1);
  });

  test('when a payment commits, then its receipt email and notification are in the outbox and reach their queues with unique message ids', async () => {
    const before = await outboxCount('invoice-emails');
    const { customer, coupon, invoiceId } = await customerWithFreshCoupon();
    const paid = await pay(customer.token, invoiceId, coupon.code);
    expect(await outboxCount('invoice-emails')).toBe(before + 1);
    // The answer does not wait for the queue: the dispatch that follows the commit sends it.
    const queue = new QueueClient(app.azurite.connectionString, 'invoice-emails');
    const { bodies, receipt } = await waitFor(async () => {
      const emails = await queue.peekMessages({ numberOfMessages: 32 });
      const bodies = emails.peekedMessageItems.map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString()));
      const receipt = bodies.find((b) => b.transactionId === paid.body.transaction.id);
      return receipt ? { bodies, receipt } : undefined;
    });
    expect(receipt).toMatchObject({
      v: 2,
      kind: 'receipt',
      userId: customer.id,
      invoiceId,
      messageId: expect.any(String),
    });
    expect(new Set(bodies.map((b) => b.messageId)).size).toBe(bodies.length);
  });
});

describe('reversePayment', () => {
  test('when an operator reverses a payment, then the invoice is UNPAID again, a REVERSAL is recorded, and a second reversal is 409', async () => {
    const { customer, coupon, invoiceId } = await customerWithFreshCoupon();
    const paid = await pay(customer.token, invoiceId, coupon.code);
    app.clock.advance(1000);
    const reversed = await call(app.url, 'POST', `/transactions/${paid.body.transaction.id}/reverse`, {
      token: operator.token,
      body: { reason: 'Pago duplicado en el banco' },
    });
    expect(reversed.status).toBe(201);
    expect(reversed.body).toMatchObject({
      transaction: { type: 'REVERSAL', reversesId: paid.body.transaction.id },
      invoice: { id: invoiceId, status: 'UNPAID' },
    });
    const twice = await call(app.url, 'POST', `/transactions/${paid.body.transaction.id}/reverse`, {
      token: operator.token,
      body: { reason: 'Otra vez' },
    });
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('ALREADY_REVERSED');
    const history = await call(app.url, 'GET', '/transactions', { token: customer.token });
    expect(history.body.items.map((t: { type: string }) => t.type)).toEqual(['REVERSAL', 'PAYMENT']);
    const notices = await app.services
      .db('outbox')
      .where({ queue: 'notifications' })
      .where('body', 'like', '%PAYMENT_REVERSED%')
      .where('body', 'like', `%${customer.id}%`);
    expect(notices).toHaveLength(1);
  });

  test('when a customer calls the operator route, then 403 FORBIDDEN', async () => {
    const customer = await newCustomer(app.url);
    const res = await call(app.url, 'POST', `/transactions/${randomUUID()}/reverse`, {
      token: customer.token,
      body: { reason: 'Quiero mi plata' },
    });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('FORBIDDEN');
  });

  test('when the transaction id is not a UUID, then 400 VALIDATION_FAILED on the id (it never reaches the uniqueidentifier column)', async () => {
    const res = await call(app.url, 'POST', '/transactions/not-an-id/reverse', {
      token: operator.token,
      body: { reason: 'No existe' },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'params.id', message: 'Identificador no válido.' }]);
  });

  test('when the transaction does not exist, then 404', async () => {
    const res = await call(app.url, 'POST', `/transactions/${randomUUID()}/reverse`, {
      token: operator.token,
      body: { reason: 'No existe' },
    });
    expect(res.body.code).toBe('TRANSACTION_NOT_FOUND');
  });
});

describe('history', () => {
  test('users see only their own transactions, and a bad or too-wide range is 400', async () => {
    const a = await customerWithFreshCoupon();
    await pay(a.customer.token, a.invoiceId, a.coupon.code);
    const stranger = await newCustomer(app.url);
    expect((await call(app.url, 'GET', '/transactions', { token: stranger.token })).body.items).toEqual([]);
    expect(
      (await call(app.url, 'GET', '/transactions?from=2026-12-01&to=2026-11-01', { token: a.customer.token })).body
        .errors[0].path,
    ).toBe('query.from');
    expect(
      (await call(app.url, 'GET', '/transactions?from=2024-01-01&to=2026-11-01', { token: a.customer.token })).status,
    ).toBe(400);
    expect((await call(app.url, 'GET', '/transactions?from=ayer', { token: a.customer.token })).status).toBe(400);
  });

  test('a range in Colombian days includes the whole day', async () => {
    const a = await customerWithFreshCoupon();
    await pay(a.customer.token, a.invoiceId, a.coupon.code);
    const today = new Date(app.clock.now().getTime() - 5 * 3600_000).toISOString().slice(0, 10);
    const inRange = await call(app.url, 'GET', `/transactions?from=${today}&to=${today}`, { token: a.customer.token });
    expect(inRange.body.items).toHaveLength(1);
    const before = await call(app.url, 'GET', '/transactions?from=2026-01-01&to=2026-01-31', {
      token: a.customer.token,
    });
    expect(before.body.items).toHaveLength(0);
  });
});

describe('expireCoupons', () => {
  test('when coupons pass their expiry, then the timer expires them once, even when two runs overlap, each with one notice', async () => {
    const { customer, coupon } = await customerWithFreshCoupon();
    app.clock.set(new Date(Date.parse(coupon.expiresAt) + 60_000));
    const noticesBefore = await outboxCount('notifications');
    await Promise.all([app.host.runTimer('expireCoupons'), app.host.runTimer('expireCoupons')]);
    await app.host.runTimer('expireCoupons');
    const { token } = await logIn(app.url, customer.email, customer.password);
    const detail = await call(app.url, 'GET', `/coupons/${coupon.code}`, { token });
    expect(detail.body.status).toBe('EXPIRED');
    const expiredNotices = await app.services
      .db('outbox')
      .where({ queue: 'notifications' })
      .where('body', 'like', `%COUPON_EXPIRED%${coupon.code}%`);
    expect(expiredNotices).toHaveLength(1);
    expect(await outboxCount('notifications')).toBeGreaterThan(noticesBefore);
    expect(app.logs.some((line) => /expireCoupons: expired \d+ coupons in \d+ batches, \d+ ms/.test(line))).toBe(true);
    app.clock.set(new Date());
  });

  test('when the user searches after the coupon expired, then a new ACTIVE coupon is issued', async () => {
    const { customer, coupon, found } = await customerWithFreshCoupon();
    app.clock.set(new Date(Date.parse(coupon.expiresAt) + 1000));
    const { token } = await logIn(app.url, customer.email, customer.password);
    const again = await search(token, found.body.contract.number);
    app.clock.set(new Date());
    expect(again.body.coupons[0].code).not.toBe(coupon.code);
    expect(again.body.coupons[0].status).toBe('ACTIVE');
  });
});

describe('the outbox under a queue outage', () => {
  test('when the queue service is down, the payment still succeeds; its messages wait in the outbox and are delivered once it is back', async () => {
    const { customer, coupon, invoiceId } = await customerWithFreshCoupon();
    const port = app.azurite.port;
    await app.azurite.stop();
    const paid = await pay(customer.token, invoiceId, coupon.code);
    expect(paid.status).toBe(201);
    const pending = await app.services
      .db('outbox')
      .whereNull('dispatched_at')
      .where('body', 'like', `%${paid.body.transaction.id}%`);
    expect(pending.length).toBe(2);

    app.azurite = await startAzurite({ location: `${process.env.DATA_DIR}/azurite`, port });
    app.clock.advance(10 * 60_000); // past the retry back-off
    await app.host.runTimer('dispatchOutbox');
    const left = await app.services
      .db('outbox')
      .whereNull('dispatched_at')
      .where('body', 'like', `%${paid.body.transaction.id}%`);
    expect(left).toEqual([]);
    const emails = await new QueueClient(app.azurite.connectionString, 'invoice-emails').peekMessages({
      numberOfMessages: 32,
    });
    expect(
      emails.peekedMessageItems.some((m) =>
        Buffer.from(m.messageText, 'base64').toString().includes(paid.body.transaction.id),
      ),
    ).toBe(true);
    app.clock.set(new Date());
  });
});
