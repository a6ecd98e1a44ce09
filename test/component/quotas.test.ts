import { newCouponCode } from '../../shared/models/coupon.model';
import { call, newCustomer, type SeededApp, startSeededApp } from '../support/app';

// The defaults of DESIGN.md ("Quotas"), small enough to reach in a test: registrations per client
// per hour, searches per user per minute, distinct contracts per user per day, coupon look-ups.
process.env.REGISTER_MAX_PER_CLIENT_PER_HOUR = '3';
process.env.SEARCH_MAX_PER_USER_PER_MINUTE = '5';
process.env.SEARCH_MAX_CONTRACTS_PER_USER_PER_DAY = '3';
process.env.COUPON_LOOKUPS_MAX_PER_USER_PER_MINUTE = '4';

let app: SeededApp;
beforeAll(async () => {
  app = await startSeededApp({ queues: false });
}, 60_000);
afterAll(async () => {
  await app.stop();
});

function register(i: number, client: string) {
  return call(app.url, 'POST', '/auth/register', {
    body: {
      email: `cuota${i}@example.com`,
      password: 'una clave larga de cuotas',
      fullName: 'Cliente de Cuotas',
      documentType: 'CC',
      documentNumber: String(55_000_000 + i),
      acceptTerms: true,
    },
    headers: { 'X-Forwarded-For': client },
  });
}

test('when one client registers more accounts in an hour than allowed, then 429 TOO_MANY_REQUESTS with Retry-After; another client still may', async () => {
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await register(i, '203.0.113.77')).status);
  expect(statuses).toEqual([201, 201, 201, 429]);
  const refused = await register(10, '203.0.113.77');
  expect(refused.body.code).toBe('TOO_MANY_REQUESTS');
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  expect((await register(11, '203.0.113.78')).status).toBe(201);
  app.clock.advance(3600_000);
  expect((await register(12, '203.0.113.77')).status).toBe(201);
});

test('when a user searches too often in a minute, then 429 until the minute ends', async () => {
  const customer = await newCustomer(app.url);
  const search = () =>
    call(app.url, 'POST', '/invoices/search', { token: customer.token, body: { contractNumber: '10000001' } });
  const statuses = [];
  for (let i = 0; i < 6; i++) statuses.push((await search()).status);
  expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  app.clock.advance(60_000);
  expect((await search()).status).toBe(200);
});

test('when a user searches more distinct contracts in a day than allowed, then new contracts are refused and known ones still answer', async () => {
  app.clock.set(new Date('2026-12-01T15:00:00.000Z')); // mid-day: the minute quota resets inside this day
  const customer = await newCustomer(app.url);
  const search = (contractNumber: string) =>
    call(app.url, 'POST', '/invoices/search', { token: customer.token, body: { contractNumber } });
  for (const contract of ['10000011', '10000012', '10000013']) expect((await search(contract)).status).toBe(200);
  const fourth = await search('10000014');
  expect(fourth.status).toBe(429);
  expect(fourth.body.detail).toContain('contratos distintos');
  expect((await search('10000014')).status).toBe(429); // refusing it did not make it "known"
  app.clock.advance(60_000); // past the per-minute quota, still the same day
  expect((await search('10000012')).status).toBe(200);
  const coupons = await app.services
    .db('coupons as k')
    .join('invoices as i', 'i.id', 'k.invoice_id')
    .join('contracts as c', 'c.id', 'i.contract_id')
    .where({ 'k.user_id': customer.id, 'c.number': '10000014' });
  expect(coupons).toEqual([]); // no coupon, no notice for the refused contract
});

test('when a user looks up coupon codes faster than allowed (guessing), then 429 before any lookup', async () => {
  const customer = await newCustomer(app.url);
  const statuses = [];
  for (let i = 0; i < 5; i++) {
    statuses.push((await call(app.url, 'GET', `/coupons/${newCouponCode()}`, { token: customer.token })).status);
  }
  expect(statuses).toEqual([404, 404, 404, 404, 429]);
});
