import { randomUUID } from 'node:crypto';

import { DEMO_OPERATOR } from '../../scripts/demoData';
import { call, customerWithCoupon, logIn, newCustomer, type SeededApp, startSeededApp } from '../support/app';

/** What the customer screens read in one call each: my contracts, the invoice PDF, labelled and linked items. */
let app: SeededApp;
beforeAll(async () => {
  app = await startSeededApp({ queues: false });
}, 60_000);
afterAll(async () => {
  await app.stop();
});

test('when a customer looked up two contracts and paid one invoice, then "my contracts" shows what each still owes', async () => {
  const customer = await newCustomer(app.url);
  // 10000011 owes two invoices (every seventh contract also owes an overdue one); 10000002 owes one.
  const first = await call(app.url, 'POST', '/invoices/search', {
    token: customer.token,
    body: { contractNumber: '10000011' },
  });
  await call(app.url, 'POST', '/invoices/search', { token: customer.token, body: { contractNumber: '10000002' } });
  const owed = first.body.invoices.filter((i: { status: string }) => i.status === 'UNPAID');
  expect(owed.length).toBe(2);
  const [older, newer] = [...owed].sort((a: { dueDate: string }, b: { dueDate: string }) =>
    a.dueDate.localeCompare(b.dueDate),
  );
  const coupon = first.body.coupons.find((c: { invoiceId: string }) => c.invoiceId === older.id);
  await call(app.url, 'POST', `/invoices/${older.id}/pay`, {
    token: customer.token,
    body: { couponCode: coupon.code, paymentMethod: 'CASH' },
    headers: { 'Idempotency-Key': randomUUID() },
  });

  const res = await call(app.url, 'GET', '/contracts', { token: customer.token });
  expect(res.status).toBe(200);
  expect(res.body.items).toEqual([
    expect.objectContaining({ contractNumber: '10000002', unpaidCount: 1 }),
    {
      contractNumber: '10000011',
      city: expect.any(String),
      unpaidCount: 1,
      unpaidTotal: newer.amount,
      nextDueDate: newer.dueDate,
    },
  ]);
  const stranger = await newCustomer(app.url);
  expect((await call(app.url, 'GET', '/contracts', { token: stranger.token })).body.items).toEqual([]);
});

test('when the invoice PDF is asked for, then its owner gets it and anyone who never looked the contract up gets 404', async () => {
  const { customer, found } = await customerWithCoupon(app.url, '10000003');
  const invoice = found.body.invoices[0];
  const res = await fetch(`${app.url}/invoices/${invoice.id}/pdf`, {
    headers: { Authorization: `Bearer ${customer.token}` },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/pdf');
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('content-disposition')).toBe(`inline; filename="factura-${invoice.number}.pdf"`);
  expect(
    Buffer.from(await res.arrayBuffer())
      .subarray(0, 5)
      .toString(),
  ).toBe('%PDF-');

  const stranger = await newCustomer(app.url);
  const refused = await call(app.url, 'GET', `/invoices/${invoice.id}/pdf`, { token: stranger.token });
  expect([refused.status, refused.body.code]).toEqual([404, 'INVOICE_NOT_FOUND']);
});

test('when a payment is reversed, then the history marks it reversed, labels every code in Spanish, and the cuponera says what each coupon pays', async () => {
  const { customer, found, coupon } = await customerWithCoupon(app.url, '10000005');
  expect(coupon.statusLabel).toBe('Activo');
  expect(found.body.invoices[0].statusLabel).toBe('Pendiente de pago');
  const paid = await call(app.url, 'POST', `/invoices/${coupon.invoiceId}/pay`, {
    token: customer.token,
    body: { couponCode: coupon.code, paymentMethod: 'CARD' },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  const operator = await logIn(app.url, DEMO_OPERATOR.email, DEMO_OPERATOR.password);
  app.clock.advance(1000);
  await call(app.url, 'POST', `/transactions/${paid.body.transaction.id}/reverse`, {
    token: operator.token,
    body: { reason: 'Cobro duplicado' },
  });

  const history = await call(app.url, 'GET', '/transactions', { token: customer.token });
  expect(
    history.body.items.map((t: Record<string, unknown>) => [t.type, t.typeLabel, t.paymentMethodLabel, t.reversed]),
  ).toEqual([
    ['REVERSAL', 'Reversión', 'Tarjeta', false],
    ['PAYMENT', 'Pago', 'Tarjeta', true],
  ]);

  const cuponera = await call(app.url, 'GET', '/coupons', { token: customer.token });
  const invoice = found.body.invoices.find((i: { id: string }) => i.id === coupon.invoiceId);
  expect(cuponera.body.items.find((c: { code: string }) => c.code === coupon.code)).toMatchObject({
    code: coupon.code,
    status: 'USED',
    statusLabel: 'Usado (pagado)',
    invoice: { number: invoice.number, period: invoice.period, dueDate: invoice.dueDate, contractNumber: '10000005' },
  });
});

test('when fields are invalid, then each gets one message of our own in Spanish (usted), never library text', async () => {
  const res = await call(app.url, 'POST', '/auth/register', {
    body: { email: 'no-es-correo', password: 'una clave larga de Medellín', fullName: '', documentType: 'XX' },
  });
  expect(res.status).toBe(400);
  const messages = Object.fromEntries(
    res.body.errors.map((e: { path: string; message: string }) => [e.path, e.message]),
  );
  expect(res.body.errors.filter((e: { path: string }) => e.path === 'body.fullName')).toHaveLength(1);
  expect(messages).toMatchObject({
    'body.email': 'Ingrese un correo electrónico válido.',
    'body.documentType': 'Tipo de documento: CC, CE, NIT, PA o TI.',
    'body.documentNumber': 'Este campo es obligatorio.',
  });
  const customer = await newCustomer(app.url);
  const page = await call(app.url, 'GET', '/coupons?limit=0', { token: customer.token });
  expect(page.body.errors).toEqual([{ path: 'query.limit', message: 'Debe ser 1 o más.' }]);
  for (const message of Object.values(messages) as string[]) expect(message).not.toMatch(/se esperaba|Demasiado/);
});
