import { randomUUID } from 'node:crypto';

import { DEMO_OPERATOR } from '../../scripts/demoData';
import { call, customerWithCoupon, newCustomer, type SeededApp, startSeededApp } from '../support/app';

/**
 * The operator's journey: find a customer's payment by contract number (or invoice, coupon,
 * email), reverse it, and see every step in the audit log; customers get 403 on every
 * operator route.
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

async function customerPays(contractNumber: string) {
  const { customer, coupon } = await customerWithCoupon(app.url, contractNumber);
  const paid = await call(app.url, 'POST', `/invoices/${coupon.invoiceId}/pay`, {
    token: customer.token,
    body: { couponCode: coupon.code, paymentMethod: 'CARD' },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  expect(paid.status).toBe(201);
  return { customer, coupon, payment: paid.body.transaction };
}

test('when an operator finds a customer’s payment by contract number and reverses it, then the search shows it reversed and the audit log has both steps', async () => {
  const { customer, payment } = await customerPays('10000012');
  // The manual clock stands still: each step a second later, so "newest first" has one answer.
  const step = () => app.clock.advance(1000);
  step();
  const found = await call(app.url, 'GET', '/operator/transactions?contractNumber=10000012', { token: operator.token });
  expect(found.status).toBe(200);
  expect(found.body.items).toEqual([
    expect.objectContaining({
      id: payment.id,
      type: 'PAYMENT',
      contractNumber: '10000012',
      userEmail: customer.email,
      reversed: false,
    }),
  ]);

  step();
  const reversed = await call(app.url, 'POST', `/transactions/${payment.id}/reverse`, {
    token: operator.token,
    body: { reason: 'Pago duplicado reportado por el banco' },
  });
  expect(reversed.status).toBe(201);
  step();
  const after = await call(app.url, 'GET', '/operator/transactions?contractNumber=10000012', { token: operator.token });
  expect(after.body.items.map((t: { type: string; reversed: boolean }) => [t.type, t.reversed])).toEqual([
    ['REVERSAL', false],
    ['PAYMENT', true],
  ]);

  step();
  const audit = await call(app.url, 'GET', '/operator/audit', { token: operator.token });
  expect(audit.status).toBe(200);
  const actions = audit.body.items.map((e: { action: string; subjectId: string }) => [e.action, e.subjectId]);
  // The one-step payment went through the sandbox gateway: its reversal also records the refund there.
  expect(actions.slice(0, 2)).toEqual([
    ['AUDIT_VIEWED', '*'],
    ['TRANSACTIONS_SEARCHED', '10000012'],
  ]);
  expect([...actions.slice(2, 4)].sort()).toEqual([
    ['PAYMENT_REFUND', payment.id],
    ['PAYMENT_REVERSED', payment.id],
  ]);
  expect(actions[4]).toEqual(['TRANSACTIONS_SEARCHED', '10000012']);
  const reversal = audit.body.items.find((e: { action: string }) => e.action === 'PAYMENT_REVERSED');
  expect(reversal).toMatchObject({
    actorId: operator.id,
    actorEmail: DEMO_OPERATOR.email,
    subjectType: 'transaction',
    details: { reason: 'Pago duplicado reportado por el banco', reversalId: reversed.body.transaction.id },
  });
});

test('when the operator filters by invoice number, coupon code (as printed), email or type, then only matching transactions come back', async () => {
  const { customer, coupon, payment } = await customerPays('10000013');
  const search = async (query: string) =>
    (await call(app.url, 'GET', `/operator/transactions?${query}`, { token: operator.token })).body.items.map(
      (t: { id: string }) => t.id,
    );
  expect(await search(`invoiceNumber=${payment.invoiceNumber}`)).toEqual([payment.id]);
  expect(await search(`couponCode=${encodeURIComponent(coupon.codeFormatted)}`)).toEqual([payment.id]);
  expect(await search(`email=${encodeURIComponent(customer.email.toUpperCase())}`)).toEqual([payment.id]);
  expect(await search(`email=${encodeURIComponent(customer.email)}&type=REVERSAL`)).toEqual([]);
  expect(await search('contractNumber=99999999')).toEqual([]);
});

test('when there are more transactions than a page, then the cursor walks them all once, newest first', async () => {
  for (const contract of ['10000014', '10000015', '10000016']) await customerPays(contract);
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${cursor}` : '';
    const page = await call(app.url, 'GET', `/operator/transactions?limit=2${query}`, { token: operator.token });
    expect(page.status).toBe(200);
    seen.push(...page.body.items.map((t: { id: string }) => t.id));
    cursor = page.body.nextCursor;
  } while (cursor);
  expect(new Set(seen).size).toBe(seen.length);
  expect(seen.length).toBeGreaterThanOrEqual(5);
});

test('when an operator opens a contract, then it comes unmasked with its invoices, every user’s coupons and transactions, and the view is audited', async () => {
  const { customer, payment } = await customerPays('10000017');
  app.clock.advance(1000);
  const res = await call(app.url, 'GET', '/operator/contracts/10000017', { token: operator.token });
  expect(res.status).toBe(200);
  expect(res.body.contract.holderName).not.toContain('*');
  expect(res.body.contract.address).not.toContain('**');
  expect(res.body.contract.holderDocumentType).toBe('CC');
  expect(res.body.invoices.length).toBe(6);
  expect(res.body.coupons).toEqual([expect.objectContaining({ status: 'USED', userEmail: customer.email })]);
  expect(res.body.transactions).toEqual([expect.objectContaining({ id: payment.id, reversed: false })]);
  app.clock.advance(1000);
  const audit = await call(app.url, 'GET', '/operator/audit?limit=2', { token: operator.token });
  expect(audit.body.items[1]).toMatchObject({ action: 'CONTRACT_VIEWED', subjectId: '10000017' });

  const missing = await call(app.url, 'GET', '/operator/contracts/99999999', { token: operator.token });
  expect([missing.status, missing.body.code]).toEqual([404, 'CONTRACT_NOT_FOUND']);
});

test('when a customer calls an operator route, then 403 FORBIDDEN and nothing is audited', async () => {
  const customer = await newCustomer(app.url);
  const before = await app.services.db('audit_log').count({ n: '*' });
  for (const route of ['/operator/transactions', '/operator/contracts/10000001', '/operator/audit']) {
    const res = await call(app.url, 'GET', route, { token: customer.token });
    expect([route, res.status, res.body.code]).toEqual([route, 403, 'FORBIDDEN']);
  }
  expect(await app.services.db('audit_log').count({ n: '*' })).toEqual(before);
});

test('when filters are malformed, then 400 VALIDATION_FAILED naming the field', async () => {
  for (const [query, field] of [
    ['contractNumber=12ab', 'query.contractNumber'],
    ['couponCode=123', 'query.couponCode'],
    ['email=nope', 'query.email'],
    ['type=REFUND', 'query.type'],
    ['from=2026-13-01', 'query.from'],
  ]) {
    const res = await call(app.url, 'GET', `/operator/transactions?${query}`, { token: operator.token });
    expect([query, res.status, res.body.errors?.[0]?.path]).toEqual([query, 400, field]);
  }
});
