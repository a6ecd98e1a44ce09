import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { type AzuriteProcess, freePort, startAzurite } from '../../local/azurite';
import { type RunningHost, startHost } from '../../local/host';
import { DEMO_OPERATOR, seedDemoData } from '../../scripts/demoData';
import { ManualClock } from '../../shared/clients/clock.client';
import type { DbOrTx } from '../../shared/clients/sql.client';
import { resetConfig } from '../../shared/config';
import { requestBodyLimit } from '../../shared/http/bodyLimit';
import { newId } from '../../shared/models/ids';
import { insertRows } from '../../shared/models/insertRows';
import { projectRoot } from '../../shared/projectFiles';
import { disposeServices, type Services, services, setServices } from '../../shared/services';
import { migrateLatest } from '../../sql/migrator';

/** The app's function modules, from source (jest transpiles them). */
export function sourceFunctionFiles(): string[] {
  const dir = path.join(projectRoot(), 'functions');
  return fs
    .readdirSync(dir)
    .map((name) => path.join(dir, name, 'index.ts'))
    .filter((file) => fs.existsSync(file));
}

export interface TestApp {
  url: string;
  host: RunningHost;
  azurite: AzuriteProcess;
  services: Services;
  clock: ManualClock;
  logs: string[];
  stop(): Promise<void>;
}

/**
 * The whole app for a test file: a real Azurite on a free port, a fresh SQLite file in the file's
 * own data dir (migrated), and the local host serving every function on a free port.
 */
export async function startTestApp(
  options: {
    queues?: boolean;
    timers?: boolean;
    clock?: ManualClock;
    visibilityTimeoutSeconds?: number;
    /** Also Azurite's blob service: the upload routes and the import blob triggers. */
    blobs?: boolean;
  } = {},
): Promise<TestApp> {
  const dataDir = process.env.DATA_DIR ?? '';
  const azurite = await startAzurite({ location: path.join(dataDir, 'azurite'), blob: options.blobs });
  process.env.AzureWebJobsStorage = azurite.connectionString;
  // The gateway sandbox is the host's own routes: its URLs name the host's port.
  const port = await freePort();
  process.env.WOMPI_API_URL = `http://127.0.0.1:${port}/api/sandbox/v1`;
  process.env.WOMPI_CHECKOUT_URL = `http://127.0.0.1:${port}/api/sandbox/checkout`;
  resetConfig();
  const clock = options.clock ?? new ManualClock(new Date());
  const app = setServices({ clock });
  await migrateLatest(app.db);
  const logs: string[] = [];
  const host = await startHost({
    bodyPolicy: requestBodyLimit,
    port,
    functionFiles: sourceFunctionFiles(),
    log: (line) => logs.push(line),
    queues: options.queues ?? true,
    timers: options.timers ?? false,
    queueSettings: { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 0, maxPollingIntervalMs: 200 },
    blobPollIntervalMs: 200,
  });
  const testApp: TestApp = {
    url: host.url,
    host,
    azurite,
    services: services(),
    clock,
    logs,
    stop: async () => {
      // An unexpected failure behind a 500 is easier to fix when the test run shows it.
      const unhandled = logs.filter((line) => line.includes('Unhandled error'));
      if (unhandled.length > 0)
        console.warn(`The app logged ${unhandled.length} unhandled error(s):\n${unhandled.join('\n')}`);
      await host.stop();
      await disposeServices();
      // A test may have replaced Azurite (restarted it): stop whichever runs now.
      await testApp.azurite.stop();
    },
  };
  return testApp;
}

export interface SeededApp extends TestApp {
  /** The demo operator's session, logged in on first use (a login counts against the login quotas). */
  operator(): Promise<{ token: string; id: string }>;
}

/** startTestApp with the demo data seeded at the app's clock (`history`: the demo's past payments too). */
export async function startSeededApp(
  options: Parameters<typeof startTestApp>[0] & { history?: boolean } = {},
): Promise<SeededApp> {
  const { history, ...appOptions } = options;
  const app = await startTestApp(appOptions);
  await seedDemoData(app.services.db, { now: app.clock.now(), ...(history ? { history } : {}) });
  let session: Promise<{ token: string; id: string }> | undefined;
  return Object.assign(app, {
    operator: () => (session ??= logIn(app.url, DEMO_OPERATOR.email, DEMO_OPERATOR.password)),
  });
}

export interface ApiResponse<T = any> {
  // any: test bodies are asserted field by field
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A small fetch wrapper: JSON in, parsed JSON (or text) out. */
export async function call<T = any>( // any: see ApiResponse
  base: string,
  method: string,
  route: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  // A redirect (the sandbox checkout's 303) is answered as is: its target is the frontend, not this app.
  const response = await fetch(base + route, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

let userCounter = 0;

/** Registers a fresh customer and logs them in; returns the access token and user id. */
export async function newCustomer(
  base: string,
): Promise<{ token: string; id: string; email: string; password: string; documentNumber: string }> {
  userCounter++;
  const email = `cliente.${process.pid}.${userCounter}@example.com`;
  const password = 'clave larga de pruebas en Medellín';
  const documentNumber = String(70_000_000 + (process.pid % 1000) * 1000 + userCounter);
  const registered = await call(base, 'POST', '/auth/register', {
    body: {
      email,
      password,
      fullName: 'Cliente de Prueba',
      documentType: 'CC',
      documentNumber,
      acceptTerms: true,
    },
    headers: { 'X-Forwarded-For': `198.51.100.${userCounter % 250}` },
  });
  if (registered.status !== 201) throw new Error(`register failed: ${registered.text}`);
  return { ...(await logIn(base, email, password)), email, password, documentNumber };
}

export async function logIn(base: string, email: string, password: string): Promise<{ token: string; id: string }> {
  const res = await call(base, 'POST', '/auth/login', {
    body: { email, password },
    headers: { 'X-Forwarded-For': `192.0.2.${(userCounter % 250) + 1}` },
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.text}`);
  return { token: res.body.accessToken, id: res.body.user.id };
}

/** A customer's search of a contract: the answer and the coupon of its newest unpaid invoice. */
export async function searchCoupon(
  base: string,
  token: string,
  contractNumber: string,
): Promise<{ found: ApiResponse; coupon: any }> {
  // any: asserted field by field, as ApiResponse
  const found = await call(base, 'POST', '/invoices/search', { token, body: { contractNumber } });
  if (found.status !== 200) throw new Error(`search ${contractNumber}: ${found.status} ${found.text}`);
  return { found, coupon: found.body.coupons[0] };
}

/** A fresh customer who searched the contract, with their coupon for its newest unpaid invoice (if it owes one). */
export async function customerWithCoupon(base: string, contractNumber: string) {
  const customer = await newCustomer(base);
  const { found, coupon } = await searchCoupon(base, customer.token, contractNumber);
  return { customer, found, coupon, invoiceId: coupon?.invoiceId as string };
}

/** Polls until `probe` gives a value (not undefined/false), for effects that happen asynchronously. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A payer at the sandbox checkout (real HTTP): the page, then a decision; the answer is the 303 back. */
export async function decideAtCheckout(checkoutUrl: string, decision: string): Promise<Response> {
  const page = await fetch(checkoutUrl);
  if (page.status !== 200) throw new Error(`the checkout page answered ${page.status}`);
  const html = await page.text();
  const form = new URLSearchParams();
  for (const [, name, value] of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    form.set((name ?? '').replace(/&amp;/g, '&'), (value ?? '').replace(/&amp;/g, '&').replace(/&quot;/g, '"'));
  form.set('decision', decision);
  form.set('payment-method', 'PSE');
  return fetch(new URL('/api/sandbox/checkout', checkoutUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
}

/**
 * `count` customer accounts written straight to the users table (no API, no bcrypt: they never
 * log in), for the hundreds of owners or followers a timer's batches need. Emails and document
 * numbers count up from `base` (random unless given), so runs never collide.
 */
export async function insertCustomers(
  db: DbOrTx,
  options: { count: number; label: string; now: Date; base?: number },
): Promise<{ id: string; email: string }[]> {
  const base = options.base ?? 6_000_000_000 + randomInt(900_000_000);
  const users = Array.from({ length: options.count }, (_, i) => ({
    id: newId(),
    email: `${options.label.toLowerCase()}-${base + i}@example.com`,
    password_hash: 'x',
    full_name: `${options.label} ${i}`,
    document_type: 'CC',
    document_number: String(base + i),
    role: 'customer',
    failed_logins: 0,
    created_at: options.now,
    updated_at: options.now,
  }));
  await insertRows(db, 'users', users);
  return users;
}
