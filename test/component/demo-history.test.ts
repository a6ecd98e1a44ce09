import { DEMO_CUSTOMER, DEMO_OPERATOR, seedDemoData } from '../../scripts/demoData';
import { call, logIn, type SeededApp, startSeededApp, waitFor } from '../support/app';

/** The demo (npm start) shows something on every screen: the demo customer comes with a history. */
let app: SeededApp;
beforeAll(async () => {
  app = await startSeededApp({ queues: true, history: true });
  // Seeding again (every npm start does) adds nothing.
  await seedDemoData(app.services.db, { now: app.clock.now(), history: true });
  await app.host.runTimer('dispatchOutbox');
}, 60_000);
afterAll(async () => {
  await app.stop();
});

test('when the demo customer logs in, then history, cuponera, contracts and notifications all have content', async () => {
  const { token } = await logIn(app.url, DEMO_CUSTOMER.email, DEMO_CUSTOMER.password);
  const history = await call(app.url, 'GET', '/transactions', { token });
  expect(history.body.items.map((t: { type: string; reversed: boolean }) => [t.type, t.reversed])).toEqual([
    ['REVERSAL', false],
    ['PAYMENT', true],
    ['PAYMENT', false],
  ]);
  const cuponera = await call(app.url, 'GET', '/coupons', { token });
  expect(new Set(cuponera.body.items.map((c: { status: string }) => c.status))).toEqual(
    new Set(['ACTIVE', 'USED', 'EXPIRED', 'CANCELLED']),
  );
  const contracts = await call(app.url, 'GET', '/contracts', { token });
  expect(contracts.body.items.map((c: { contractNumber: string }) => c.contractNumber)).toEqual([
    '10000001',
    '10000002',
    '10000003',
    '10000004',
    '10000005',
  ]);
  const kinds = await waitFor(async () => {
    const res = await call(app.url, 'GET', '/notifications?limit=50', { token });
    const seen = new Set(res.body.items.map((n: { kind: string }) => n.kind));
    return seen.size >= 5 ? seen : undefined;
  });
  expect(kinds).toEqual(
    new Set(['COUPON_GENERATED', 'PAYMENT_CONFIRMED', 'PAYMENT_REVERSED', 'COUPON_EXPIRED', 'COUPON_CANCELLED']),
  );
  // The operator's reversal is in the audit log, like any other.
  const operator = await logIn(app.url, DEMO_OPERATOR.email, DEMO_OPERATOR.password);
  const audit = await call(app.url, 'GET', '/operator/audit', { token: operator.token });
  expect(audit.body.items.map((e: { action: string }) => e.action)).toContain('PAYMENT_REVERSED');
});
