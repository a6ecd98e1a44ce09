import { randomUUID } from 'node:crypto';

import { DEMO_OPERATOR } from '../../scripts/demoData';
import { WompiApiGateway } from '../../shared/clients/gateway.client';
import { SANDBOX_KEYS } from '../../shared/config';
import * as gatewayPayments from '../../shared/controllers/gatewayPayment.controller';
import * as sandbox from '../../shared/controllers/sandbox.controller';
import { signedEvent, type WompiTransaction } from '../../shared/formats/wompi';
import {
  call,
  decideAtCheckout,
  logIn,
  newCustomer,
  searchCoupon,
  type SeededApp,
  startSeededApp,
  waitFor,
} from '../support/app';

/**
 * Online payments through the embedded Wompi-compatible sandbox, over real HTTP: the checkout
 * link, the page, the customer's decision, the signed event to the webhook, and the reconciler
 * for the event that never came. Money moves only on a valid checksum.
 */
let app: SeededApp;
let operator: { token: string; id: string };

beforeAll(async () => {
  app = await startSeededApp({ queues: false });
  operator = await app.operator();
}, 60_000);

afterAll(async () => {
  await app.stop();
});

let nextContract = 10000011;
const freshContract = () => String(nextContract++);

async function customerWithCoupons(contracts = 1) {
  const customer = await newCustomer(app.url);
  const coupons = [];
  for (let i = 0; i < contracts; i++) {
    coupons.push((await searchCoupon(app.url, customer.token, freshContract())).coupon);
  }
  return { customer, coupons };
}

async function createPayment(token: string, couponCodes: string[], key = randomUUID()) {
  return call(app.url, 'POST', '/payments', {
    token,
    body: { couponCodes, paymentMethod: 'PSE' },
    headers: { 'Idempotency-Key': key },
  });
}

async function paymentOf(token: string, id: string) {
  return (await call(app.url, 'GET', `/payments/${id}`, { token })).body;
}

async function invoiceStatus(invoiceId: string): Promise<string> {
  const row = await app.services.db('invoices').where({ id: invoiceId }).first('status');
  return String(row?.status);
}

function event(transaction: Partial<WompiTransaction> & { reference: string; amount_in_cents: number }) {
  return signedEvent(
    { id: `test-${randomUUID()}`, currency: 'COP', status: 'APPROVED', ...transaction },
    SANDBOX_KEYS.eventsSecret,
    app.clock.now(),
  );
}

describe('POST /payments', () => {
  test('when a customer pays two invoices, then one PENDING payment for their sum carries a signed checkout link', async () => {
    const { customer, coupons } = await customerWithCoupons(2);
    const res = await createPayment(
      customer.token,
      coupons.map((c) => c.code),
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'PENDING',
      statusLabel: 'En proceso',
      currency: 'COP',
      amount: coupons[0].amount + coupons[1].amount,
      paymentMethodLabel: 'PSE (débito a cuenta)',
    });
    expect(res.body.invoices).toHaveLength(2);
    const link = new URL(res.body.checkoutUrl);
    expect(link.searchParams.get('amount-in-cents')).toBe(String(res.body.amount * 100));
    expect(link.searchParams.get('reference')).toBe(res.body.reference);
    expect(link.searchParams.get('signature:integrity')).toMatch(/^[0-9a-f]{64}$/);
    for (const c of coupons) expect(await invoiceStatus(c.invoiceId)).toBe('UNPAID');
  });

  test('when an invoice is already in a PENDING payment, then another payment of it is PAYMENT_IN_PROGRESS naming that payment', async () => {
    const { customer, coupons } = await customerWithCoupons();
    const first = await createPayment(customer.token, [coupons[0].code]);
    const second = await createPayment(customer.token, [coupons[0].code]);
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: 'PAYMENT_IN_PROGRESS', paymentId: first.body.id });
  });

  test('when ten requests race for one invoice, then exactly one payment is created', async () => {
    const { customer, coupons } = await customerWithCoupons();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => createPayment(customer.token, [coupons[0].code])),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409).every((a) => a.body.code === 'PAYMENT_IN_PROGRESS')).toBe(true);
    const rows = await app.services.db('payment_items').where({ invoice_id: coupons[0].invoiceId });
    expect(rows).toHaveLength(1);
  });

  test("when someone else's payment is asked for, then it is 404", async () => {
    const { customer, coupons } = await customerWithCoupons();
    const created = await createPayment(customer.token, [coupons[0].code]);
    const stranger = await newCustomer(app.url);
    expect((await call(app.url, 'GET', `/payments/${created.body.id}`, { token: stranger.token })).status).toBe(404);
    expect((await call(app.url, 'GET', `/payments/${created.body.id}`, { token: operator.token })).status).toBe(200);
  });
});

describe('the gateway decides', () => {
  test('when the customer approves at the checkout, then the signed event pays every invoice once and the customer returns to the app', async () => {
    const { customer, coupons } = await customerWithCoupons(2);
    const created = await createPayment(
      customer.token,
      coupons.map((c) => c.code),
    );
    const back = await decideAtCheckout(created.body.checkoutUrl, 'APPROVED');
    expect(back.status).toBe(303);
    const location = new URL(back.headers.get('location') ?? '');
    expect(location.searchParams.get('env')).toBe('test');
    const approved = await waitFor(async () => {
      const p = await paymentOf(customer.token, created.body.id);
      return p.status === 'APPROVED' ? p : undefined;
    });
    expect(approved.gatewayTransactionId).toBe(location.searchParams.get('id'));
    expect(approved.transactionIds).toHaveLength(2);
    expect(approved.checkoutUrl).toBeNull();
    for (const c of coupons) expect(await invoiceStatus(c.invoiceId)).toBe('PAID');
    const rows = await app.services.db('transactions').where({ payment_id: created.body.id });
    expect(rows.map((r) => r.gateway_transaction_id)).toEqual([
      approved.gatewayTransactionId,
      approved.gatewayTransactionId,
    ]);
  });

  test('when the customer declines, then the payment closes, the coupons stay ACTIVE and the invoice can be paid again', async () => {
    const { customer, coupons } = await customerWithCoupons();
    const created = await createPayment(customer.token, [coupons[0].code]);
    expect((await decideAtCheckout(created.body.checkoutUrl, 'DECLINED')).status).toBe(303);
    await waitFor(async () => (await paymentOf(customer.token, created.body.id)).status === 'DECLINED');
    const coupon = await app.services.db('coupons').where({ invoice_id: coupons[0].invoiceId }).first('status');
    expect(coupon.status).toBe('ACTIVE');
    expect(await invoiceStatus(coupons[0].invoiceId)).toBe('UNPAID');
    expect((await createPayment(customer.token, [coupons[0].code])).status).toBe(201);
    const notice = await app.services
      .db('outbox')
      .where({ queue: 'notifications' })
      .whereLike('body', '%PAYMENT_DECLINED%');
    expect(notice.length).toBeGreaterThan(0);
  });

  test('when one event arrives five times at once and again later, then it is stored and applied once', async () => {
    const { customer, coupons } = await customerWithCoupons();
    const created = await createPayment(customer.token, [coupons[0].code]);
    const signed = event({ reference: created.body.reference, amount_in_cents: created.body.amount * 100 });
    const post = () =>
      call(app.url, 'POST', '/payments/events', {
        body: signed,
        headers: { 'X-Event-Checksum': signed.signature.checksum },
      });
    const answers = await Promise.all(Array.from({ length: 5 }, post));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect((await post()).body).toEqual({ received: true });
    expect(await app.services.db('payment_events').where({ reference: created.body.reference })).toHaveLength(1);
    expect(await app.services.db('transactions').where({ payment_id: created.body.id })).toHaveLength(1);
  });

  test("when a delivery stored the event but failed before applying it, then the gateway's retry applies it", async () => {
    const { customer, coupons } = await customerWithCoupons();
    const created = await createPayment(customer.token, [coupons[0].code]);
    const signed = event({ reference: created.body.reference, amount_in_cents: created.body.amount * 100 });
    // What a delivery cut off between storing and applying leaves: the event, with no outcome.
    await app.services.db('payment_events').insert({
      id: randomUUID(),
      checksum: signed.signature.checksum.toLowerCase(),
      gateway_transaction_id: signed.data.transaction.id,
      reference: created.body.reference,
      status: 'APPROVED',
      amount_in_cents: created.body.amount * 100,
      currency: 'COP',
      payload: JSON.stringify(signed),
      received_at: app.clock.now(),
    });
    expect((await call(app.url, 'POST', '/payments/events', { body: signed })).status).toBe(200);
    expect((await paymentOf(customer.token, created.body.id)).status).toBe('APPROVED');
    const stored = await app.services.db('payment_events').where({ reference: created.body.reference });
    expect(stored.map((e) => e.outcome)).toEqual(['APPLIED']);
  });

  test('when an APPROVED event comes before a late PENDING one, then the payment stays APPROVED', async () => {
    const { customer, coupons } = await customerWithCoupons();
    const created = await createPayment(customer.token, [coupons[0].code]);
    const amount = created.body.amount * 100;
    const id = `test-${randomUUID()}`;
    await call(app.url, 'POST', '/payments/events', {
      body: event({ id, reference: created.body.reference, amount_in_cents: amount }),
    });
    app.clock.advance(1000);
    const late = event({ id, reference: created.body.reference, amount_in_cents: amount, status: 'PENDING' });
    expect((await call(app.url, 'POST', '/payments/events', { body: late })).status).toBe(200);
    expect((await paymentOf(customer.token, created.body.id)).status).toBe('APPROVED');
  });

  test('when an event is signed with another secret, or altered after signing, then it is 401 and nothing moves', async () => {
    const { customer, coupons } = await customerWithCoupons();
    const created = await createPayment(customer.token, [coupons[0].code]);
    const forged = signedEvent(
      {
        id: 'forged',
        reference: created.body.reference,
        amount_in_cents: created.body.amount * 100,
        currency: 'COP',
        status: 'APPROVED',
      },
      'not-the-secret',
      app.clock.now(),
    );
    const res = await call(app.url, 'POST', '/payments/events', { body: forged });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('INVALID_EVENT_SIGNATURE');
    const genuine = event({ reference: created.body.reference, amount_in_cents: 100 });
    genuine.data.transaction.amount_in_cents = created.body.amount * 100;
    expect((await call(app.url, 'POST', '/payments/events', { body: genuine })).status).toBe(401);
    expect((await paymentOf(customer.token, created.body.id)).status).toBe('PENDING');
    expect(await invoiceStatus(coupons[0].invoiceId)).toBe('UNPAID');
  });

  test('when the gateway approves another amount, then the payment is ERROR with an AMOUNT_MISMATCH exception and the invoice stays UNPAID', async () => {
    const { customer, coupons } = await customerWithCoupons();
    const created = await createPayment(customer.token, [coupons[0].code]);
    await call(app.url, 'POST', '/payments/events', {
      body: event({ reference: created.body.reference, amount_in_cents: 100 }),
    });
    expect((await paymentOf(customer.token, created.body.id)).status).toBe('ERROR');
    expect(await invoiceStatus(coupons[0].invoiceId)).toBe('UNPAID');
    const exceptions = await app.services.db('payment_exceptions').where({ payment_id: created.body.id });
    expect(exceptions.map((e) => e.outcome)).toEqual(['AMOUNT_MISMATCH']);
  });

  test('when an invoice was paid through another channel while the customer was at the checkout, then the approval is an ALREADY_PAID exception and the other invoice is paid', async () => {
    const { customer, coupons } = await customerWithCoupons(2);
    const created = await createPayment(
      customer.token,
      coupons.map((c) => c.code),
    );
    await app.services
      .db('invoices')
      .where({ id: coupons[0].invoiceId })
      .update({ status: 'PAID', paid_at: app.clock.now() });
    await call(app.url, 'POST', '/payments/events', {
      body: event({ reference: created.body.reference, amount_in_cents: created.body.amount * 100 }),
    });
    expect((await paymentOf(customer.token, created.body.id)).status).toBe('APPROVED');
    expect(await invoiceStatus(coupons[1].invoiceId)).toBe('PAID');
    const exceptions = await app.services.db('payment_exceptions').where({ payment_id: created.body.id });
    expect(exceptions.map((e) => [e.outcome, String(e.invoice_id).toLowerCase()])).toEqual([
      ['ALREADY_PAID', coupons[0].invoiceId],
    ]);
    expect(await app.services.db('transactions').where({ payment_id: created.body.id })).toHaveLength(1);
  });

  test("when the gateway's money paid nothing, then the operator finds it beside the bank's exceptions and resolves it", async () => {
    const { customer, coupons } = await customerWithCoupons();
    const created = await createPayment(customer.token, [coupons[0].code]);
    await app.services
      .db('invoices')
      .where({ id: coupons[0].invoiceId })
      .update({ status: 'PAID', paid_at: app.clock.now() });
    await call(app.url, 'POST', '/payments/events', {
      body: event({ reference: created.body.reference, amount_in_cents: created.body.amount * 100 }),
    });
    const listed = await call(app.url, 'GET', '/operator/collection-exceptions?source=GATEWAY&limit=100', {
      token: operator.token,
    });
    expect(listed.status).toBe(200);
    const item = listed.body.items.find((i: { paymentId?: string }) => i.paymentId === created.body.id);
    expect(item).toMatchObject({
      source: 'GATEWAY',
      outcome: 'ALREADY_PAID',
      amount: created.body.amount,
      reference: created.body.reference,
      resolvedAt: null,
    });
    const all = await call(app.url, 'GET', '/operator/collection-exceptions?limit=100', { token: operator.token });
    expect(all.body.items.map((i: { id: string }) => i.id)).toContain(item.id);
    const resolved = await call(app.url, 'POST', `/operator/collection-exceptions/${item.id}/resolve`, {
      token: operator.token,
      body: { resolution: 'Reembolsado por la pasarela el 3 de diciembre' },
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({
      source: 'GATEWAY',
      resolution: 'Reembolsado por la pasarela el 3 de diciembre',
    });
    const open = await call(app.url, 'GET', '/operator/collection-exceptions?source=GATEWAY&limit=100', {
      token: operator.token,
    });
    expect(open.body.items.map((i: { id: string }) => i.id)).not.toContain(item.id);
  });

  test('when an event names a reference nobody made, then it is stored and answered 200', async () => {
    const res = await call(app.url, 'POST', '/payments/events', {
      body: event({ reference: 'CUPNOBODY', amount_in_cents: 5000 }),
    });
    expect(res.status).toBe(200);
    const stored = await app.services.db('payment_events').where({ reference: 'CUPNOBODY' }).first('outcome');
    expect(stored.outcome).toBe('UNKNOWN_REFERENCE');
  });
});

describe('when the event never comes', () => {
  test('when the customer approved but no event was sent, then the reconciler finds the transaction at the gateway and pays the invoice', async () => {
    const { customer, coupons } = await customerWithCoupons();
    const created = await createPayment(customer.token, [coupons[0].code]);
    expect((await decideAtCheckout(created.body.checkoutUrl, 'APPROVED_NO_EVENT')).status).toBe(303);
    // Within two minutes the reconciler leaves it to the event; after them it asks the gateway.
    expect((await gatewayPayments.reconcilePayments(app.services)).applied).toBe(0);
    app.clock.advance(app.services.config.payments.reconcileAfterSeconds * 1000 + 1000);
    const run = await gatewayPayments.reconcilePayments(app.services);
    expect(run.applied).toBeGreaterThanOrEqual(1);
    expect((await paymentOf(customer.token, created.body.id)).status).toBe('APPROVED');
    expect(await invoiceStatus(coupons[0].invoiceId)).toBe('PAID');
  });

  test('when a payment passes its expiry with nothing at the gateway, then it is EXPIRED and its invoice free again', async () => {
    const { customer, coupons } = await customerWithCoupons();
    const created = await createPayment(customer.token, [coupons[0].code]);
    app.clock.advance(31 * 60_000);
    await gatewayPayments.reconcilePayments(app.services);
    // (Past the access token's life too: the rows say it.)
    const row = await app.services.db('payments').where({ id: created.body.id }).first('status');
    expect(row.status).toBe('EXPIRED');
    const items = await app.services.db('payment_items').where({ payment_id: created.body.id }).first('pending');
    expect(Boolean(items.pending)).toBe(false);
  });

  test('when the gateway does not answer, then the reconciler leaves the payment PENDING, even past its expiry, and applies it once the gateway is back', async () => {
    const { customer, coupons } = await customerWithCoupons();
    const created = await createPayment(customer.token, [coupons[0].code]);
    expect((await decideAtCheckout(created.body.checkoutUrl, 'APPROVED_NO_EVENT')).status).toBe(303);
    app.clock.advance(31 * 60_000);
    const down = new WompiApiGateway('http://127.0.0.1:9/api/sandbox/v1', SANDBOX_KEYS.privateKey);
    const run = await gatewayPayments.reconcilePayments({ ...app.services, gateway: down });
    expect(run.unreachable).toBeGreaterThanOrEqual(1);
    const row = async () => (await app.services.db('payments').where({ id: created.body.id }).first('status')).status;
    expect(await row()).toBe('PENDING');
    await gatewayPayments.reconcilePayments(app.services);
    expect(await row()).toBe('APPROVED');
    expect(await invoiceStatus(coupons[0].invoiceId)).toBe('PAID');
  });
});

describe('reversing a gateway payment', () => {
  async function approvedPayment(contracts: number, paymentMethod: string) {
    const { customer, coupons } = await customerWithCoupons(contracts);
    const created = await call(app.url, 'POST', '/payments', {
      token: customer.token,
      body: { couponCodes: coupons.map((c) => c.code), paymentMethod },
      headers: { 'Idempotency-Key': randomUUID() },
    });
    expect((await decideAtCheckout(created.body.checkoutUrl, 'APPROVED')).status).toBe(303);
    return waitFor(async () => {
      const p = await paymentOf(customer.token, created.body.id);
      return p.status === 'APPROVED' ? p : undefined;
    });
  }
  // Signed in again: earlier tests moved the clock past the first token's life.
  const reverse = async (transactionId: string) =>
    call(app.url, 'POST', `/transactions/${transactionId}/reverse`, {
      token: (await logIn(app.url, DEMO_OPERATOR.email, DEMO_OPERATOR.password)).token,
      body: { reason: 'El cliente desconoce el cobro' },
    });

  test('when a card payment of one invoice is reversed, then it is voided at the gateway', async () => {
    const paid = await approvedPayment(1, 'CARD');
    const res = await reverse(paid.transactionIds[0]);
    expect(res.status).toBe(201);
    expect(res.body.refund).toEqual({ status: 'VOIDED' });
    const sandbox = await app.services
      .db('sandbox_transactions')
      .where({ id: paid.gatewayTransactionId })
      .first('status');
    expect(sandbox.status).toBe('VOIDED');
  });

  test('when one invoice of a card payment of two is reversed, or a PSE payment, then the refund is MANUAL and the gateway keeps its transaction', async () => {
    const two = await approvedPayment(2, 'CARD');
    expect((await reverse(two.transactionIds[0])).body.refund).toEqual({ status: 'MANUAL' });
    const pse = await approvedPayment(1, 'PSE');
    expect((await reverse(pse.transactionIds[0])).body.refund).toEqual({ status: 'MANUAL' });
    const sandbox = await app.services
      .db('sandbox_transactions')
      .where({ id: two.gatewayTransactionId })
      .first('status');
    expect(sandbox.status).toBe('APPROVED');
    const audit = await app.services.db('audit_log').where({ action: 'PAYMENT_REFUND' });
    expect(audit.length).toBeGreaterThanOrEqual(3);
  });
});

describe('the one-step payment', () => {
  const payOneStep = (token: string, coupon: { code: string; invoiceId: string }, paymentMethod = 'CARD') =>
    call(app.url, 'POST', `/invoices/${coupon.invoiceId}/pay`, {
      token,
      body: { couponCode: coupon.code, paymentMethod },
      headers: { 'Idempotency-Key': randomUUID() },
    });

  test('when a customer pays in one step over the sandbox, then the answer names an APPROVED gateway payment whose signed event was stored and applied', async () => {
    const { customer, coupons } = await customerWithCoupons();
    const coupon = coupons[0];
    const paid = await payOneStep(customer.token, coupon, 'CASH');
    expect(paid.status).toBe(201);
    expect(paid.body).toMatchObject({
      transaction: { type: 'PAYMENT', paymentMethod: 'CASH', amount: coupon.amount },
      invoice: { status: 'PAID' },
      coupon: { status: 'USED' },
      paymentId: expect.any(String),
    });
    const payment = await paymentOf(customer.token, paid.body.paymentId);
    expect(payment).toMatchObject({
      status: 'APPROVED',
      amount: coupon.amount,
      transactionIds: [paid.body.transaction.id],
    });
    const stored = await app.services.db('payment_events').where({ payment_id: paid.body.paymentId });
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      status: 'APPROVED',
      outcome: 'APPLIED',
      gateway_transaction_id: payment.gatewayTransactionId,
    });
    const atSandbox = await call(app.url, 'GET', `/sandbox/v1/transactions/${payment.gatewayTransactionId}`, {
      headers: { Authorization: `Bearer ${SANDBOX_KEYS.privateKey}` },
    });
    expect(atSandbox.body.data).toMatchObject({ status: 'APPROVED', reference: payment.reference });
    // Reversed by an operator, a card payment's sandbox transaction is voided as any checkout's.
    const card = await customerWithCoupons();
    const byCard = await payOneStep(card.customer.token, card.coupons[0], 'CARD');
    expect(byCard.body).toMatchObject({ transaction: { paymentMethod: 'CARD' } });
    // A fresh operator session: the tests before moved the clock past the first one's access token.
    const operatorNow = await logIn(app.url, DEMO_OPERATOR.email, DEMO_OPERATOR.password);
    const reversed = await call(app.url, 'POST', `/transactions/${byCard.body.transaction.id}/reverse`, {
      token: operatorNow.token,
      body: { reason: 'Prueba de reversión del pago en un paso' },
    });
    expect(reversed.body.refund).toEqual({ status: 'VOIDED' });
  });

  test('when the invoice is at the checkout in another payment, then the one-step payment is PAYMENT_IN_PROGRESS and nothing is paid', async () => {
    const { customer, coupons } = await customerWithCoupons();
    const pending = await createPayment(customer.token, [coupons[0].code]);
    const oneStep = await payOneStep(customer.token, coupons[0]);
    expect(oneStep.status).toBe(409);
    expect(oneStep.body).toMatchObject({ code: 'PAYMENT_IN_PROGRESS', paymentId: pending.body.id });
    expect(await invoiceStatus(coupons[0].invoiceId)).toBe('UNPAID');
    expect(await app.services.db('payment_events').where({ reference: pending.body.reference })).toEqual([]);
  });

  test('when the gateway is a real one, then POST /invoices/{id}/pay is DIRECT_PAYMENT_DISABLED and nothing is paid', async () => {
    const { customer, coupons } = await customerWithCoupons();
    const withWompi = {
      ...app.services,
      config: { ...app.services.config, payments: { ...app.services.config.payments, provider: 'wompi' as const } },
    };
    await expect(
      sandbox.payInOneStep(withWompi, {
        userId: customer.id,
        invoiceId: coupons[0].invoiceId,
        couponCode: coupons[0].code,
        paymentMethod: 'PSE',
      }),
    ).rejects.toMatchObject({ code: 'DIRECT_PAYMENT_DISABLED', status: 403 });
    expect(await invoiceStatus(coupons[0].invoiceId)).toBe('UNPAID');
  });
});

describe('the sandbox', () => {
  test('when the checkout link is tampered with, then a browser gets a 400 page, anything else CHECKOUT_LINK_INVALID, and no transaction is made', async () => {
    const { customer, coupons } = await customerWithCoupons();
    const created = await createPayment(customer.token, [coupons[0].code]);
    const link = new URL(created.body.checkoutUrl);
    link.searchParams.set('amount-in-cents', '100');
    const page = await fetch(link, { headers: { Accept: 'text/html' } });
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('firma de integridad');
    const problem = await call(app.url, 'GET', `/sandbox/checkout${link.search}`);
    expect(problem.status).toBe(400);
    expect(problem.body.code).toBe('CHECKOUT_LINK_INVALID');
    expect(await app.services.db('sandbox_transactions').where({ reference: created.body.reference })).toHaveLength(0);
  });

  test("when its API is asked without the private key, then it refuses; with it, it answers in Wompi's shapes", async () => {
    const base = app.url + '/sandbox/v1/transactions?reference=CUPX';
    expect((await fetch(base)).status).toBe(401);
    const res = await fetch(base, { headers: { Authorization: `Bearer ${SANDBOX_KEYS.privateKey}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: [] });
  });
});
