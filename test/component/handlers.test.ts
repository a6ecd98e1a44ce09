import { HttpRequest, type HttpResponseInit, InvocationContext } from '@azure/functions';

import { getInvoice } from '../../functions/getInvoice';
import { login } from '../../functions/login';
import { me } from '../../functions/me';
import { searchInvoice } from '../../functions/searchInvoice';
import { DEMO_CONTRACTS, DEMO_CUSTOMER, seedDemoData } from '../../scripts/demoData';
import { ManualClock } from '../../shared/clients/clock.client';
import { disposeServices, services, setServices } from '../../shared/services';
import { migrateLatest } from '../../sql/migrator';

/**
 * The function layer alone: handlers called as the Functions runtime calls them, with the
 * library's own HttpRequest and InvocationContext, no local host in between. The database is
 * real (a fresh migrated and seeded one); nothing here needs the queues.
 */
beforeAll(async () => {
  const clock = new ManualClock(new Date());
  await migrateLatest(setServices({ clock }).db);
  await seedDemoData(services().db, { now: clock.now() });
}, 60_000);
afterAll(async () => {
  await disposeServices();
});

function request(
  method: string,
  route: string,
  options: { body?: unknown; token?: string; params?: Record<string, string> } = {},
): HttpRequest {
  const headers: Record<string, string> = { 'x-forwarded-for': '203.0.113.7' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return new HttpRequest({
    method,
    url: `http://localhost:7071/api${route}`,
    headers,
    ...(options.params ? { params: options.params } : {}),
    ...(options.body !== undefined ? { body: { string: JSON.stringify(options.body) } } : {}),
  });
}

const context = (functionName: string) => new InvocationContext({ functionName, logHandler: () => undefined });

function json(response: HttpResponseInit): any {
  // any: bodies are asserted field by field
  if (typeof response.body !== 'string') throw new Error('expected a JSON text body');
  return JSON.parse(response.body);
}

async function demoToken(): Promise<string> {
  const response = await login(
    request('POST', '/auth/login', { body: { email: DEMO_CUSTOMER.email, password: DEMO_CUSTOMER.password } }),
    context('login'),
  );
  expect(response.status ?? 200).toBe(200);
  return json(response).accessToken;
}

test('when the login handler gets the demo customer’s credentials, then it answers tokens that are never cached', async () => {
  const response = await login(
    request('POST', '/auth/login', { body: { email: DEMO_CUSTOMER.email, password: DEMO_CUSTOMER.password } }),
    context('login'),
  );
  expect(response.status ?? 200).toBe(200);
  expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store' });
  expect(json(response)).toMatchObject({ tokenType: 'Bearer', user: { email: DEMO_CUSTOMER.email } });
});

test('when a handler is called without a token or with a malformed body, then it answers problem+json with a stable code', async () => {
  const anonymous = await me(request('GET', '/me'), context('me'));
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers).toMatchObject({ 'Content-Type': 'application/problem+json; charset=utf-8' });
  expect(json(anonymous).code).toBe('UNAUTHENTICATED');

  const token = await demoToken();
  const invalid = await searchInvoice(
    request('POST', '/invoices/search', { token, body: { contractNumber: 'doce' } }),
    context('searchInvoice'),
  );
  expect(invalid.status).toBe(400);
  expect(json(invalid).code).toBe('VALIDATION_FAILED');
});

test('when the search handler finds a demo contract, then the invoice handler serves its invoice to that customer by route parameter', async () => {
  const token = await demoToken();
  const found = await searchInvoice(
    request('POST', '/invoices/search', { token, body: { contractNumber: String(DEMO_CONTRACTS.first) } }),
    context('searchInvoice'),
  );
  expect(found.status ?? 200).toBe(200);
  const invoice = json(found).invoices[0];
  const detail = await getInvoice(
    request('GET', `/invoices/${invoice.id}`, { token, params: { invoiceId: invoice.id } }),
    context('getInvoice'),
  );
  expect(detail.status ?? 200).toBe(200);
  expect(json(detail)).toMatchObject({ id: invoice.id, number: invoice.number, amount: invoice.amount });
});
