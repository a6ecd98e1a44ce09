import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { QueueClient } from '@azure/storage-queue';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { simpleParser } from 'mailparser';

import { DEMO_OPERATOR, seedDemoData } from '../../scripts/demoData';
import { collectionFileText } from '../../shared/formats/asobancaria';
import { signedEvent } from '../../shared/formats/wompi';
import { projectRoot } from '../../shared/projectFiles';
import { type ApiResponse, call, logIn, newCustomer, startTestApp, type TestApp, waitFor } from '../support/app';

/**
 * The frontend's contract: for each documented route, real answers of the local host (a success
 * and at least one error) validate against the schemas the OpenAPI document gives for that status.
 */
type Doc = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
  >;
};
const doc = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'openapi.json'), 'utf8')) as Doc;
const ajv = new Ajv2020({ strict: false, allErrors: true });
// The formats the document uses are checked, not warned about once per schema compiled.
addFormats(ajv);
ajv.addFormat('int32', {
  type: 'number',
  validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
});
ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
ajv.addSchema(doc, 'openapi');

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
const checked = new Map<string, Set<string>>();

/** Asserts that a real response matches the documented response of `method path` for its status. */
function expectDocumented(method: string, template: string, res: ApiResponse): void {
  const responses = doc.paths[template]?.[method.toLowerCase()]?.responses;
  expect(responses).toBeDefined();
  const documented = responses?.[String(res.status)];
  if (!documented)
    throw new Error(`${method} ${template} answered ${res.status}, which is not documented: ${res.text.slice(0, 300)}`);
  const contentType = (res.headers.get('content-type') ?? '').split(';')[0] ?? '';
  const media = documented.content?.[contentType] ?? documented.content?.['*/*'];
  if (documented.content && !media)
    throw new Error(
      `${method} ${template} ${res.status} answered ${contentType}, documented ${Object.keys(documented.content).join(', ')}`,
    );
  if (media && contentType.includes('json')) {
    const validate = ajv.getSchema(
      `openapi#/${pointer('paths', template, method.toLowerCase(), 'responses', String(res.status), 'content', contentType, 'schema')}`,
    );
    if (!validate?.(res.body))
      throw new Error(
        `${method} ${template} ${res.status} does not match its schema: ${ajv.errorsText(validate?.errors)}\n${res.text.slice(0, 500)}`,
      );
  }
  const key = `${method} ${template}`;
  checked.set(key, new Set([...(checked.get(key) ?? []), res.status < 400 ? 'success' : 'error']));
}

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ queues: true, blobs: true });
  await seedDemoData(app.services.db, { now: app.clock.now() });
}, 60_000);
afterAll(async () => {
  await app.stop();
});

test('every documented route answers on the local host (no ROUTE_NOT_FOUND)', async () => {
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const method of Object.keys(item)) {
      const url = template.replace('{file}', 'swagger-ui.css').replace(/\{[^}]+\}/g, '123456789012');
      const res = await call(app.url, method.toUpperCase(), url);
      expect({ route: `${method} ${template}`, code: res.body?.code }).not.toEqual({
        route: `${method} ${template}`,
        code: 'ROUTE_NOT_FOUND',
      });
      expect(res.status).not.toBe(405);
    }
  }
});

// Every route of the document in turn, with its success and its errors, as one walk (its steps build on each other).
test('every route answers as documented, on success and on error', async () => {
  const check = async (method: string, template: string, route: string, options: Parameters<typeof call>[3] = {}) => {
    const res = await call(app.url, method, route, options);
    expectDocumented(method, template, res);
    return res;
  };

  await check('GET', '/health', '/health');
  await check('GET', '/openapi.json', '/openapi.json');
  await check('GET', '/docs', '/docs');
  await check('GET', '/docs/assets/{file}', '/docs/assets/swagger-ui.css');
  await check('GET', '/docs/assets/{file}', '/docs/assets/secret.txt');

  const email = `contrato.${randomUUID().slice(0, 8)}@example.com`;
  const password = 'una frase larga de prueba';
  await check('POST', '/auth/register', '/auth/register', {
    body: {
      email,
      password,
      fullName: 'Ana María Londoño',
      documentType: 'CC',
      documentNumber: '52123987',
      acceptTerms: true,
    },
  });
  await check('POST', '/auth/register', '/auth/register', { body: { email: 'x' } });
  const login = await check('POST', '/auth/login', '/auth/login', { body: { email, password } });
  await check('POST', '/auth/login', '/auth/login', { body: { email, password: 'mala clave' } });
  const refreshed = await check('POST', '/auth/refresh', '/auth/refresh', {
    body: { refreshToken: login.body.refreshToken },
  });
  await check('POST', '/auth/refresh', '/auth/refresh', {
    body: { refreshToken: 'not-a-refresh-token-of-this-app-000' },
  });
  const token = refreshed.body.accessToken as string;
  await check('GET', '/me', '/me', { token });
  await check('GET', '/me', '/me');

  const found = await check('POST', '/invoices/search', '/invoices/search', {
    token,
    body: { contractNumber: '10000011' },
  });
  await check('POST', '/invoices/search', '/invoices/search', { token, body: { contractNumber: '99999999' } });
  const [coupon, second] = found.body.coupons;
  await check('GET', '/coupons', '/coupons?limit=1', { token });
  await check('GET', '/coupons', '/coupons?status=NOPE', { token });
  await check('GET', '/coupons/{code}', `/coupons/${coupon.code}`, { token });
  await check('GET', '/coupons/{code}', '/coupons/123', { token });
  await check('GET', '/coupons/{code}/pdf', `/coupons/${coupon.code}/pdf`, { token });
  await check('GET', '/coupons/{code}/pdf', `/coupons/${coupon.code}/pdf`);
  await check('POST', '/coupons/{code}/cancel', `/coupons/${second.code}/cancel`, { token });
  await check('POST', '/coupons/{code}/cancel', `/coupons/${second.code}/cancel`, { token });

  await check('GET', '/contracts', '/contracts', { token });
  await check('GET', '/contracts', '/contracts');
  await check('GET', '/invoices/{invoiceId}', `/invoices/${coupon.invoiceId}`, { token });
  await check('GET', '/invoices/{invoiceId}', `/invoices/${randomUUID()}`, { token });
  await check('GET', '/contracts/{contractNumber}/consumption', '/contracts/10000011/consumption?periods=6', { token });
  await check('GET', '/contracts/{contractNumber}/consumption', '/contracts/10000011/consumption?periods=0', { token });
  await check('GET', '/invoices/{invoiceId}/pdf', `/invoices/${coupon.invoiceId}/pdf`, { token });
  await check('GET', '/invoices/{invoiceId}/pdf', `/invoices/${randomUUID()}/pdf`, { token });
  await check('POST', '/invoices/{invoiceId}/email', `/invoices/${coupon.invoiceId}/email`, { token });
  await check('POST', '/invoices/{invoiceId}/email', `/invoices/${randomUUID()}/email`, { token });
  const pay = (key: string) =>
    check('POST', '/invoices/{invoiceId}/pay', `/invoices/${coupon.invoiceId}/pay`, {
      token,
      body: { couponCode: coupon.code, paymentMethod: 'PSE' },
      headers: { 'Idempotency-Key': key },
    });
  const paid = await pay(randomUUID());
  await pay(randomUUID()); // 409 INVOICE_ALREADY_PAID
  await check('POST', '/invoices/{invoiceId}/pay', `/invoices/${coupon.invoiceId}/pay`, {
    token,
    body: { couponCode: coupon.code, paymentMethod: 'PSE' },
  });

  await check('GET', '/transactions', '/transactions', { token });
  await check('GET', '/transactions', '/transactions?from=2026-12-31&to=2026-01-01', { token });
  const operator = await logIn(app.url, DEMO_OPERATOR.email, DEMO_OPERATOR.password);
  await check('POST', '/transactions/{id}/reverse', `/transactions/${paid.body.transaction.id}/reverse`, {
    token: operator.token,
    body: { reason: 'Prueba de contrato' },
  });
  await check('POST', '/transactions/{id}/reverse', `/transactions/${paid.body.transaction.id}/reverse`, {
    token,
    body: { reason: 'Prueba de contrato' },
  });
  await check('GET', '/operator/transactions', '/operator/transactions?contractNumber=10000011', {
    token: operator.token,
  });
  await check('GET', '/operator/transactions', '/operator/transactions', { token });
  await check('GET', '/operator/contracts/{contractNumber}', '/operator/contracts/10000011', { token: operator.token });
  await check('GET', '/operator/contracts/{contractNumber}', '/operator/contracts/99999999', { token: operator.token });
  await check('GET', '/operator/audit', '/operator/audit', { token: operator.token });
  await check('GET', '/operator/audit', '/operator/audit', { token });
  await check('GET', '/operator/system', '/operator/system', { token: operator.token });
  await check('GET', '/operator/system', '/operator/system', { token });

  // Poison queues: a message put on one by hand, listed, replayed; another discarded.
  const poison = new QueueClient(app.azurite.connectionString, 'notifications-poison');
  await poison.createIfNotExists();
  const poisoned = async () =>
    (await poison.sendMessage(Buffer.from('{"v":1,"kind":"PAYMENT_RECEIVED"}').toString('base64'))).messageId;
  const toReplay = await poisoned();
  await check('GET', '/operator/poison/{queue}', '/operator/poison/notifications', { token: operator.token });
  await check('GET', '/operator/poison/{queue}', '/operator/poison/no-existe', { token: operator.token });
  const replay = '/operator/poison/{queue}/{messageId}/replay';
  await check('POST', replay, `/operator/poison/notifications/${toReplay}/replay`, { token: operator.token });
  await check('POST', replay, `/operator/poison/notifications/${randomUUID()}/replay`, { token: operator.token });
  const discard = '/operator/poison/{queue}/{messageId}/discard';
  await check('POST', discard, `/operator/poison/notifications/${await poisoned()}/discard`, { token: operator.token });
  await check('POST', discard, `/operator/poison/notifications/${randomUUID()}/discard`, { token: operator.token });

  // The billing feed and a bank's file: the reversed payment's coupon, collected again, is ALREADY_PAID.
  const feed = fs.readFileSync(path.join(projectRoot(), 'docs/examples/facturas.csv'), 'utf8');
  const asCsv = { 'Content-Type': 'text/csv' };
  const queued = await check('POST', '/operator/imports/invoices', '/operator/imports/invoices', {
    token: operator.token,
    raw: feed,
    headers: asCsv,
  });
  await check('POST', '/operator/imports/invoices', '/operator/imports/invoices', { token, raw: feed, headers: asCsv });
  await waitFor(
    async () =>
      (await call(app.url, 'GET', `/operator/imports/${queued.body.importId}`, { token: operator.token })).body
        .status === 'COMPLETED',
  );
  await check('GET', '/operator/imports/{importId}', `/operator/imports/${queued.body.importId}`, {
    token: operator.token,
  });
  await check('GET', '/operator/imports/{importId}', `/operator/imports/${randomUUID()}`, { token: operator.token });
  const lines = fs.readFileSync(path.join(projectRoot(), 'docs/examples/lineas-factura.csv'), 'utf8');
  const linesQueued = await check('POST', '/operator/imports/invoice-lines', '/operator/imports/invoice-lines', {
    token: operator.token,
    raw: lines,
    headers: asCsv,
  });
  await check('POST', '/operator/imports/invoice-lines', '/operator/imports/invoice-lines', {
    token,
    raw: lines,
    headers: asCsv,
  });
  await waitFor(
    async () =>
      (await call(app.url, 'GET', `/operator/imports/${linesQueued.body.importId}`, { token: operator.token })).body
        .status === 'COMPLETED',
  );
  const bankFile = collectionFileText({
    header: { collectionDate: '2026-12-01', bankCode: '007' },
    batches: [{ details: [{ reference: coupon.code, amountCents: coupon.amount * 100 }] }],
  });
  const asText = { 'Content-Type': 'text/plain' };
  const uploaded = await check('POST', '/operator/collections', '/operator/collections', {
    token: operator.token,
    raw: bankFile,
    headers: asText,
  });
  await check('POST', '/operator/collections', '/operator/collections', {
    token: operator.token,
    raw: bankFile,
    headers: asCsv,
  });
  const collectionRoute = `/operator/collections/${uploaded.body.collectionId}`;
  await waitFor(
    async () => (await call(app.url, 'GET', collectionRoute, { token: operator.token })).body.status === 'COMPLETED',
  );
  await check('GET', '/operator/collections/{collectionId}', collectionRoute, { token: operator.token });
  await check('GET', '/operator/collections/{collectionId}', `/operator/collections/${randomUUID()}`, {
    token: operator.token,
  });
  await check('GET', '/operator/collections', '/operator/collections?from=2026-11-01&to=2026-12-31', {
    token: operator.token,
  });
  await check('GET', '/operator/collections', '/operator/collections?from=2026-12-31&to=2026-01-01', {
    token: operator.token,
  });
  const open = await check('GET', '/operator/collection-exceptions', '/operator/collection-exceptions', {
    token: operator.token,
  });
  await check('GET', '/operator/collection-exceptions', '/operator/collection-exceptions', { token });
  const resolve = `/operator/collection-exceptions/${open.body.items[0]?.id}/resolve`;
  const resolution = { body: { resolution: 'Devolución por transferencia' }, token: operator.token };
  await check('POST', '/operator/collection-exceptions/{recordId}/resolve', resolve, resolution);
  await check('POST', '/operator/collection-exceptions/{recordId}/resolve', resolve, resolution);

  const notices = await check('GET', '/notifications', '/notifications', { token });
  await check('GET', '/notifications', '/notifications?limit=0', { token });
  const someNotice = notices.body.items[0] ?? { id: randomUUID() };
  await check('POST', '/notifications/{id}/read', `/notifications/${someNotice.id}/read`, { token });
  await check('POST', '/notifications/{id}/read', `/notifications/${randomUUID()}/read`, { token });
  await check('POST', '/notifications/read-all', '/notifications/read-all', { token });
  await check('POST', '/notifications/read-all', '/notifications/read-all');

  // Accounts, with a person of their own (the checks above keep their session).
  await check('GET', '/privacy-policy', '/privacy-policy');
  const holder = await newCustomer(app.url);
  const emailedCode = async (kind: string) => {
    const row = await waitFor(() =>
      app.services
        .db('outbox')
        .where({ queue: 'account-emails' })
        .where('body', 'like', `%"kind":"${kind}"%`)
        .where('body', 'like', `%${holder.email}%`)
        .orderBy('created_at', 'desc')
        .first<{ id: string } | undefined>('id'),
    );
    const outboxDir = app.services.config.email.outboxDir;
    const file = await waitFor(
      () => fs.existsSync(outboxDir) && fs.readdirSync(outboxDir).find((f) => f.endsWith(`-${row.id}.eml`)),
    );
    const mail = await simpleParser(fs.readFileSync(path.join(outboxDir, file)));
    return /Código (?:de verificación|para restablecer): ([A-Za-z0-9_-]{43})/.exec(mail.text ?? '')?.[1] ?? '';
  };
  await check('POST', '/auth/verify-email/resend', '/auth/verify-email/resend', { token: holder.token });
  await check('POST', '/auth/verify-email/resend', '/auth/verify-email/resend');
  await check('POST', '/auth/verify-email', '/auth/verify-email', {
    body: { token: await emailedCode('verify-email') },
  });
  await check('POST', '/auth/verify-email', '/auth/verify-email', { body: { token: 'x' } });
  await check('PATCH', '/me', '/me', { token: holder.token, body: { fullName: 'Ana Lucía Gómez' } });
  await check('PATCH', '/me', '/me', { token: holder.token, body: {} });
  await check('GET', '/me/export', '/me/export', { token: holder.token });
  await check('GET', '/me/export', '/me/export');
  const newPassword = 'otra frase larga para el contrato';
  await check('POST', '/auth/password', '/auth/password', {
    token: holder.token,
    body: { currentPassword: 'no es la clave', newPassword },
  });
  await check('POST', '/auth/password', '/auth/password', {
    token: holder.token,
    body: { currentPassword: holder.password, newPassword },
  });
  await check('POST', '/auth/password-reset', '/auth/password-reset', { body: { email: holder.email } });
  await check('POST', '/auth/password-reset', '/auth/password-reset', { body: { email: 'no-es-correo' } });
  const resetCode = await emailedCode('password-reset');
  await check('POST', '/auth/password-reset/confirm', '/auth/password-reset/confirm', {
    body: { token: 'A'.repeat(43), newPassword },
  });
  const finalPassword = 'la última frase larga del contrato';
  await check('POST', '/auth/password-reset/confirm', '/auth/password-reset/confirm', {
    body: { token: resetCode, newPassword: finalPassword },
  });
  const again = await logIn(app.url, holder.email, finalPassword);
  await check('DELETE', '/me', '/me', { token: again.token, body: { password: 'no es la clave' } });
  await check('DELETE', '/me', '/me', { token: again.token, body: { password: finalPassword } });

  await check('POST', '/auth/logout', '/auth/logout', { body: { refreshToken: refreshed.body.refreshToken } });
  await check('POST', '/auth/logout', '/auth/logout', { body: {} });

  // Online payments through the gateway sandbox.
  const payer = await newCustomer(app.url);
  const otherPayer = await newCustomer(app.url);
  const payable = await check('POST', '/invoices/search', '/invoices/search', {
    token: payer.token,
    body: { contractNumber: '10000012' },
  });
  const payment = await check('POST', '/payments', '/payments', {
    token: payer.token,
    body: { couponCodes: [payable.body.coupons[0].code], paymentMethod: 'NEQUI' },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  await check('POST', '/payments', '/payments', {
    token: payer.token,
    body: { couponCodes: [payable.body.coupons[0].code], paymentMethod: 'NEQUI' },
    headers: { 'Idempotency-Key': randomUUID() },
  }); // 409 PAYMENT_IN_PROGRESS
  await check('GET', '/payments', '/payments?limit=1', { token: payer.token });
  await check('GET', '/payments', '/payments?status=NOPE', { token: payer.token });
  await check('GET', '/payments/{paymentId}', `/payments/${payment.body.id}`, { token: payer.token });
  await check('GET', '/payments/{paymentId}', `/payments/${payment.body.id}`, { token: otherPayer.token });
  const checkout = new URL(payment.body.checkoutUrl);
  await check('GET', '/sandbox/checkout', `/sandbox/checkout${checkout.search}`);
  await check('GET', '/sandbox/checkout', '/sandbox/checkout?reference=x');
  const form = new URLSearchParams(checkout.search);
  form.set('decision', 'APPROVED_NO_EVENT');
  const decided = await check('POST', '/sandbox/checkout', '/sandbox/checkout', {
    raw: form.toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  });
  await check('POST', '/sandbox/checkout', '/sandbox/checkout', {
    raw: 'decision=APPROVED',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  });
  const sandboxId = new URL(decided.headers.get('location') ?? '').searchParams.get('id') ?? '';
  const privateKey = { Authorization: `Bearer ${app.services.config.payments.privateKey}` };
  await check('GET', '/sandbox/v1/transactions/{id}', `/sandbox/v1/transactions/${sandboxId}`, { headers: privateKey });
  await check('GET', '/sandbox/v1/transactions/{id}', '/sandbox/v1/transactions/sbx-none', { headers: privateKey });
  await check('GET', '/sandbox/v1/transactions', `/sandbox/v1/transactions?reference=${payment.body.reference}`, {
    headers: privateKey,
  });
  await check('GET', '/sandbox/v1/transactions', '/sandbox/v1/transactions?reference=x');
  const approved = signedEvent(
    {
      id: sandboxId,
      reference: payment.body.reference,
      amount_in_cents: payment.body.amount * 100,
      currency: 'COP',
      status: 'APPROVED',
    },
    app.services.config.payments.eventsSecret,
    new Date(),
  );
  await check('POST', '/payments/events', '/payments/events', { body: approved });
  await check('POST', '/payments/events', '/payments/events', {
    body: { ...approved, signature: { ...approved.signature, checksum: 'A'.repeat(64) } },
  });
  await check('POST', '/sandbox/v1/transactions/{id}/void', `/sandbox/v1/transactions/${sandboxId}/void`, {
    headers: privateKey,
  });
  await check('POST', '/sandbox/v1/transactions/{id}/void', '/sandbox/v1/transactions/sbx-none/void', {
    headers: privateKey,
  });

  // Paying without an account.
  const guestClient = { 'X-Forwarded-For': '198.51.100.77' };
  const owed = await check('POST', '/guest/invoices/search', '/guest/invoices/search', {
    body: { contractNumber: '10000013' },
    headers: guestClient,
  });
  await check('POST', '/guest/invoices/search', '/guest/invoices/search', {
    body: { contractNumber: '99999999' },
    headers: guestClient,
  });
  const guestBody = {
    contractNumber: '10000013',
    invoiceNumbers: [owed.body.invoices[0].number],
    payerEmail: 'pagador@example.com',
    paymentMethod: 'PSE',
    acceptTerms: true,
  };
  const guestPayment = await check('POST', '/guest/payments', '/guest/payments', {
    body: guestBody,
    headers: { ...guestClient, 'Idempotency-Key': randomUUID() },
  });
  await check('POST', '/guest/payments', '/guest/payments', {
    body: { ...guestBody, acceptTerms: false },
    headers: { ...guestClient, 'Idempotency-Key': randomUUID() },
  });
  const paymentToken = { 'X-Payment-Token': guestPayment.body.paymentToken };
  await check('GET', '/guest/payments/{paymentId}', `/guest/payments/${guestPayment.body.id}`, {
    headers: paymentToken,
  });
  await check('GET', '/guest/payments/{paymentId}', `/guest/payments/${guestPayment.body.id}`, {
    headers: { 'X-Payment-Token': 'wrong' },
  });
  const guestCoupon = String(guestPayment.body.couponCodes[0]).replace(/\s/g, '');
  await check(
    'GET',
    '/guest/payments/{paymentId}/coupons/{code}/pdf',
    `/guest/payments/${guestPayment.body.id}/coupons/${guestCoupon}/pdf`,
    { headers: paymentToken },
  );
  await check(
    'GET',
    '/guest/payments/{paymentId}/coupons/{code}/pdf',
    `/guest/payments/${guestPayment.body.id}/coupons/${guestCoupon}/pdf`,
  );

  const other = await newCustomer(app.url);
  await check('GET', '/coupons/{code}', `/coupons/${coupon.code}`, { token: other.token });

  // Every documented operation was seen answering both a success and an error.
  const operations = Object.entries(doc.paths).flatMap(([template, item]) =>
    Object.keys(item).map((m) => `${m.toUpperCase()} ${template}`),
  );
  for (const operation of operations) {
    expect({ operation, seen: [...(checked.get(operation) ?? [])].sort() }).toEqual({
      operation,
      seen:
        operation === 'GET /openapi.json' ||
        operation === 'GET /docs' ||
        operation === 'GET /health' ||
        operation === 'GET /privacy-policy'
          ? ['success']
          : ['error', 'success'],
    });
  }
}, 120_000); // one walk over every route: about 25 s on the T-SQL engine on two busy cores
