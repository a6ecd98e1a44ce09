import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { DEMO_CUSTOMER, DEMO_OPERATOR } from '../../scripts/demoData';
import { projectRoot } from '../../shared/projectFiles';
import { MIGRATIONS } from '../../sql/migrations';
import { call, waitFor } from '../support/app';
import { type CompiledApp, startCompiledApp } from '../support/compiled';

// The quick start itself: the compiled app started the way `npm start` starts it, on a fresh data
// dir, exporting its telemetry over OTLP (HTTP, JSON) to a collector of this test's own.
let app: CompiledApp;
let base: string;
let dataDir: string;
const output = () => app.output();

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: Record<string, unknown> }[];
}
/** What the collector received, by OTLP path (/v1/traces, /v1/metrics, /v1/logs), as JSON. */
const received = new Map<string, unknown[]>();
const collector = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const list = received.get(req.url ?? '') ?? [];
    list.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    received.set(req.url ?? '', list);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
  });
});
const exportedSpans = (): OtlpSpan[] =>
  ((received.get('/v1/traces') ?? []) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }[]).flatMap((r) =>
    r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)),
  );

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cuponeras-start-'));
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    APP_ENV: 'development',
    DB_ENGINE: 'sqlite',
    BCRYPT_COST: '10',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_BLRP_SCHEDULE_DELAY: '100',
    OTEL_METRIC_EXPORT_INTERVAL: '500',
  };
  delete env.AzureWebJobsStorage;
  delete env.JWT_SECRET;
  delete env.CORS_ORIGINS;
  app = await startCompiledApp(env);
  base = app.base;
}, 120_000);

afterAll(async () => {
  await app?.stop();
  collector.close();
});

test('when started on an empty data dir, then it migrates, seeds and serves /api/health with both checks up', async () => {
  expect(output()).toContain(`Database migrated (${MIGRATIONS.map((m) => m.name).join(', ')})`);
  expect(output()).toMatch(/Demo data: 51 contracts/);
  const res = await call(base, 'GET', '/health');
  expect(res.status).toBe(200);
  expect(res.body.checks).toMatchObject({ database: { status: 'up' }, queues: { status: 'up' } });
});

test('when a new user registers, logs in, calls /me, refreshes and logs out, then each step answers as documented', async () => {
  const email = 'lucia.zapata@example.com';
  const password = 'montañas verdes de Antioquia';
  const registered = await call(base, 'POST', '/auth/register', {
    body: {
      email,
      password,
      fullName: 'Lucía Zapata Mejía',
      documentType: 'CC',
      documentNumber: '1017234567',
      phone: '300 123 4567',
      acceptTerms: true,
    },
  });
  expect(registered.status).toBe(201);
  const login = await call(base, 'POST', '/auth/login', { body: { email, password } });
  expect(login.status).toBe(200);
  const me = await call(base, 'GET', '/me', { token: login.body.accessToken });
  expect(me.body).toMatchObject({ email, phone: '+573001234567', role: 'customer' });
  const refreshed = await call(base, 'POST', '/auth/refresh', { body: { refreshToken: login.body.refreshToken } });
  expect(refreshed.status).toBe(200);
  const logout = await call(base, 'POST', '/auth/logout', { body: { refreshToken: refreshed.body.refreshToken } });
  expect(logout.status).toBe(204);
  expect((await call(base, 'GET', '/me', { token: refreshed.body.accessToken })).status).toBe(401);
});

test('when the demo customer pays contract 10000001, then history shows it, a receipt .eml lands in DATA_DIR/outbox, a notification is unread, and the operator can reverse it', async () => {
  const customer = await call(base, 'POST', '/auth/login', {
    body: { email: DEMO_CUSTOMER.email, password: DEMO_CUSTOMER.password },
  });
  const token = customer.body.accessToken as string;
  const found = await call(base, 'POST', '/invoices/search', { token, body: { contractNumber: '10000001' } });
  const coupon = found.body.coupons[0];
  expect(coupon.barcode.humanReadable).toMatch(/^\(415\)7707181010011\(8020\)/);
  const pdf = await fetch(`${base}/coupons/${coupon.code}/pdf`, { headers: { Authorization: `Bearer ${token}` } });
  expect(pdf.headers.get('content-type')).toBe('application/pdf');
  const paid = await call(base, 'POST', `/invoices/${coupon.invoiceId}/pay`, {
    token,
    body: { couponCode: coupon.code, paymentMethod: 'CASH' },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  expect(paid.status).toBe(201);
  expect((await call(base, 'GET', '/transactions', { token })).body.items[0].id).toBe(paid.body.transaction.id);

  const outbox = path.join(dataDir, 'outbox');
  // Two emails: the verification sent at registration, and the receipt with its PDF.
  const emls = await waitFor(() => {
    const files = fs.existsSync(outbox) ? fs.readdirSync(outbox).filter((f) => f.endsWith('.eml')) : [];
    return files.length >= 2 ? files.map((f) => fs.readFileSync(path.join(outbox, f), 'utf8')) : undefined;
  });
  expect(emls.some((eml) => eml.includes('Subject: Confirme su correo para Cuponeras EPM'))).toBe(true);
  expect(emls.some((eml) => eml.includes('Content-Type: application/pdf'))).toBe(true);
  const notices = await waitFor(async () => {
    const res = await call(base, 'GET', '/notifications?unread=true', { token });
    return res.body.items.some((n: { kind: string }) => n.kind === 'PAYMENT_CONFIRMED') ? res.body : undefined;
  });
  expect(notices.unreadCount).toBeGreaterThan(0);

  // The payment is one trace at the collector: the request, its transaction, the receipt's send
  // to the queue, its consumer and the email.
  const payTrace = await waitFor(() => {
    const request = exportedSpans().find((s) => s.name === 'POST payInvoice');
    const inTrace = request ? exportedSpans().filter((s) => s.traceId === request.traceId) : [];
    const names = new Set(inTrace.map((s) => s.name));
    return ['db.transaction', 'send invoice-emails', 'process invoice-emails', 'email.send'].every((n) => names.has(n))
      ? inTrace
      : undefined;
  });
  const byId = new Map(payTrace.map((s) => [s.spanId, s]));
  // The email's send leads back, parent by parent, to the request.
  let span = payTrace.find((s) => s.name === 'email.send');
  const chain: string[] = [];
  while (span) {
    chain.unshift(span.name);
    span = span.parentSpanId ? byId.get(span.parentSpanId) : undefined;
  }
  expect(chain[0]).toBe('POST payInvoice');
  expect(chain).toEqual(expect.arrayContaining(['process invoice-emails', 'email.send']));
  expect(output()).toContain(`(trace ${payTrace[0]?.traceId})`);
  // Metrics and log records arrive too, and nothing exported names the customer.
  await waitFor(() => (received.get('/v1/metrics')?.length ?? 0) > 0 && (received.get('/v1/logs')?.length ?? 0) > 0);
  expect(JSON.stringify([...received.values()])).not.toContain(DEMO_CUSTOMER.email);

  const operator = await call(base, 'POST', '/auth/login', {
    body: { email: DEMO_OPERATOR.email, password: DEMO_OPERATOR.password },
  });
  const reversed = await call(base, 'POST', `/transactions/${paid.body.transaction.id}/reverse`, {
    token: operator.body.accessToken,
    body: { reason: 'Prueba de extremo a extremo' },
  });
  expect(reversed.body.invoice.status).toBe('UNPAID');
});

test('when the demo customer reads a demo invoice, then it has its lines, its contract six periods of consumption, and its PDF the detail page', async () => {
  const customer = await call(base, 'POST', '/auth/login', {
    body: { email: DEMO_CUSTOMER.email, password: DEMO_CUSTOMER.password },
  });
  const token = customer.body.accessToken as string;
  const found = await call(base, 'POST', '/invoices/search', { token, body: { contractNumber: '10000004' } });
  const invoice = found.body.invoices[0];
  const detail = await call(base, 'GET', `/invoices/${invoice.id}`, { token });
  expect(detail.body.lines.length).toBeGreaterThan(0);
  expect(detail.body.lines.reduce((sum: number, line: { amount: number }) => sum + line.amount, 0)).toBe(
    invoice.amount,
  );
  const consumption = await call(base, 'GET', '/contracts/10000004/consumption?periods=6', { token });
  expect(consumption.body.services[0].periods).toHaveLength(6);
  const pdf = await fetch(`${base}/invoices/${invoice.id}/pdf`, { headers: { Authorization: `Bearer ${token}` } });
  const text = Buffer.from(await pdf.arrayBuffer()).toString('latin1');
  expect(text.match(/\/Type \/Page\b/g)?.length).toBeGreaterThanOrEqual(2);
});

test('when a frontend dev server (Vite, localhost:5173) sends a preflight, then npm start admits it by default', async () => {
  const res = await fetch(`${base}/invoices/search`, {
    method: 'OPTIONS',
    headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'POST' },
  });
  expect(res.status).toBe(204);
  expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
});

test('when a setting is bad, then npm start names it, exits 1 and leaves no Azurite behind', async () => {
  const badDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cuponeras-bad-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: badDir,
    APP_ENV: 'development',
    DB_ENGINE: 'sqlite',
    BCRYPT_COST: '99',
  };
  delete env.AzureWebJobsStorage;
  const result = spawnSync(process.execPath, ['dist/scripts/start.js'], {
    cwd: projectRoot(),
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('BCRYPT_COST');
  // Azurite was started (it must be, to know the storage connection) and must be gone again.
  const orphans = fs
    .readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(badDir);
      } catch {
        return false; // the process ended while we looked
      }
    });
  expect(orphans).toEqual([]);
});

test('when Ctrl-C is pressed, then the host and Azurite stop and the process exits 0', async () => {
  const exited = new Promise<number | null>((resolve) => app.child.once('exit', (code) => resolve(code)));
  app.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(output()).toContain('SIGINT received, stopping');
});
