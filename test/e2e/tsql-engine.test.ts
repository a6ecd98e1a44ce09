import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { DEMO_OPERATOR } from '../../scripts/demoData';
import { call, newCustomer, waitFor } from '../support/app';
import { type CompiledApp, runCompiledScript, startCompiledApp } from '../support/compiled';

// The whole app on the T-SQL engine, as an operator would run it against Azure SQL: the compiled
// scripts migrate (twice) and seed this file's own database, then `npm start` serves it with
// DB_ENGINE=mssql and a journey walks every state change through the real host.
let app: CompiledApp;
let base: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  env = {
    ...process.env,
    DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'cuponeras-tsql-')),
    APP_ENV: 'development',
    BCRYPT_COST: '10',
  };
  expect(env.DB_ENGINE).toBe('mssql');
  expect(await runCompiledScript('migrate', env)).toMatch(/^Applied 0001_initial, 0002_dba_schema/);
  expect(await runCompiledScript('migrate', env)).toMatch(/^Already up to date/);
  expect(await runCompiledScript('seed', env)).toMatch(/^Seeded 51 contracts/);
  delete env.AzureWebJobsStorage; // npm start brings its own Azurite
  app = await startCompiledApp(env, 60_000);
  base = app.base;
}, 180_000);

afterAll(async () => {
  await app?.stop();
});

/** A new customer's access token, registered and logged in through the compiled app. */
const customer = async () => (await newCustomer(base)).token;

test('when the app runs on the T-SQL engine, then health reports the database up', async () => {
  const res = await call(base, 'GET', '/health');
  expect(res.status).toBe(200);
  expect(res.body.checks.database.status).toBe('up');
});

test('when a customer searches, prints, pays (and retries), then history, notifications and an operator reversal all hold on the T-SQL engine', async () => {
  const token = await customer();
  const found = await call(base, 'POST', '/invoices/search', { token, body: { contractNumber: '10000003' } });
  expect(found.status).toBe(200);
  const coupon = found.body.coupons[0];
  expect(coupon).toMatchObject({ status: 'ACTIVE', code: expect.stringMatching(/^\d{12}$/) });

  const pdf = await fetch(`${base}/coupons/${coupon.code}/pdf`, { headers: { Authorization: `Bearer ${token}` } });
  expect(pdf.status).toBe(200);
  expect(
    Buffer.from(await pdf.arrayBuffer())
      .subarray(0, 5)
      .toString(),
  ).toBe('%PDF-');

  const key = randomUUID();
  const pay = () =>
    call(base, 'POST', `/invoices/${coupon.invoiceId}/pay`, {
      token,
      body: { couponCode: coupon.code, paymentMethod: 'PSE' },
      headers: { 'Idempotency-Key': key },
    });
  const paid = await pay();
  expect(paid.status).toBe(201);
  expect(paid.body.invoice.status).toBe('PAID');
  const replay = await pay();
  expect(replay.status).toBe(201);
  expect(replay.headers.get('idempotent-replayed')).toBe('true');
  expect(replay.body).toEqual(paid.body);

  const history = await call(base, 'GET', '/transactions', { token });
  expect(history.body.items.map((t: { id: string }) => t.id)).toEqual([paid.body.transaction.id]);
  const confirmed = await waitFor(async () => {
    const res = await call(base, 'GET', '/notifications', { token });
    return res.body.items.find((n: { kind: string }) => n.kind === 'PAYMENT_CONFIRMED');
  });
  expect(confirmed.readAt).toBeNull();

  const operator = await call(base, 'POST', '/auth/login', {
    body: { email: DEMO_OPERATOR.email, password: DEMO_OPERATOR.password },
  });
  const reversed = await call(base, 'POST', `/transactions/${paid.body.transaction.id}/reverse`, {
    token: operator.body.accessToken,
    body: { reason: 'Prueba en el motor T-SQL' },
  });
  expect(reversed.status).toBe(201);
  expect(reversed.body.invoice.status).toBe('UNPAID');
  const again = await call(base, 'POST', `/transactions/${paid.body.transaction.id}/reverse`, {
    token: operator.body.accessToken,
    body: { reason: 'Prueba en el motor T-SQL' },
  });
  expect(again.body.code).toBe('ALREADY_REVERSED');
});

test('when 20 customers pay the same invoice at once with their own coupons, then exactly one payment succeeds', async () => {
  const tokens = await Promise.all(Array.from({ length: 20 }, () => customer()));
  const coupons = await Promise.all(
    tokens.map(async (token) => {
      const found = await call(base, 'POST', '/invoices/search', { token, body: { contractNumber: '10000004' } });
      return found.body.coupons[0] as { code: string; invoiceId: string };
    }),
  );
  const invoiceId = coupons[0]?.invoiceId;
  expect(coupons.every((c) => c.invoiceId === invoiceId)).toBe(true);

  const answers = await Promise.all(
    tokens.map((token, i) =>
      call(base, 'POST', `/invoices/${invoiceId}/pay`, {
        token,
        body: { couponCode: coupons[i]?.code, paymentMethod: 'CARD' },
        headers: { 'Idempotency-Key': randomUUID() },
      }),
    ),
  );
  const statuses = answers.map((a) => a.status);
  expect(statuses.filter((s) => s === 201)).toHaveLength(1);
  expect(statuses.filter((s) => s === 409)).toHaveLength(19);
  expect(new Set(answers.filter((a) => a.status === 409).map((a) => a.body.code))).toEqual(
    new Set(['INVOICE_ALREADY_PAID']),
  );
});
