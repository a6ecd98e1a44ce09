import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';

import { startAzurite } from '../local/azurite';
import { functionFilesFromMain, type RunningHost, startHost } from '../local/host';
import { DEMO_CUSTOMER } from '../scripts/demoData';
import { resetConfig } from '../shared/config';
import { requestBodyLimit } from '../shared/http/bodyLimit';
import { percentile } from './stats';

/** What the benchmarks report of a series of timings. */
export interface Latency {
  count: number;
  p50: number;
  p99: number;
}

export function latency(times: number[]): Latency {
  const at = (p: number) => +percentile(times, p).toFixed(1);
  return { count: times.length, p50: at(50), p99: at(99) };
}

export async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}

/** Runs work over items, `concurrency` at a time. */
export async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

export interface Payable {
  code: string;
  invoiceId: string;
}

/** The demo customer's calls the benchmarks time: search a contract, pay a coupon. A refusal throws. */
export async function customerClient(baseUrl: string) {
  const login = await fetch(`${baseUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: DEMO_CUSTOMER.email, password: DEMO_CUSTOMER.password }),
  });
  if (!login.ok) throw new Error(`login answered ${login.status}`);
  const { accessToken } = (await login.json()) as { accessToken: string };
  const call = (route: string, body: unknown, headers: Record<string, string> = {}) =>
    timed(async () => {
      const res = await fetch(baseUrl + route, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}`, ...headers },
        body: JSON.stringify(body),
      });
      const answer = (await res.json()) as { coupons?: Payable[] };
      if (!res.ok) throw new Error(`${route} answered ${res.status}: ${JSON.stringify(answer)}`);
      return answer;
    });
  return {
    token: accessToken,
    /** The contract's unpaid invoices' coupons, and how long the search took. */
    search: async (contractNumber: string): Promise<[Payable[], number]> => {
      const [answer, ms] = await call('/invoices/search', { contractNumber });
      return [answer.coupons ?? [], ms];
    },
    /** How long the payment took. */
    pay: async (coupon: Payable): Promise<number> =>
      (
        await call(
          `/invoices/${coupon.invoiceId}/pay`,
          { couponCode: coupon.code, paymentMethod: 'PSE' },
          { 'Idempotency-Key': randomUUID() },
        )
      )[1],
  };
}

/**
 * The app in this process, as the in-process benchmarks drive it: settings for one client doing
 * thousands of requests (quotas lifted so it measures the work, not the 429s; bcrypt cost 10),
 * an Azurite of its own under dataDir, the local host with its timers off (a benchmark runs the
 * timers' work itself when it measures it). Settings already set win.
 */
export async function startBenchHost(dataDir: string): Promise<{ host: RunningHost; stop: () => Promise<void> }> {
  const env = process.env;
  env.APP_ENV ??= 'test';
  env.JWT_SECRET ??= randomBytes(32).toString('hex');
  env.BCRYPT_COST ??= '10';
  for (const [quota, lifted] of [
    ['REGISTER_MAX_PER_CLIENT_PER_HOUR', '100000'],
    ['SEARCH_MAX_PER_USER_PER_MINUTE', '100000'],
    ['SEARCH_MAX_CONTRACTS_PER_USER_PER_DAY', '100000'],
    ['COUPON_LOOKUPS_MAX_PER_USER_PER_MINUTE', '100000'],
    ['LOGIN_MAX_ATTEMPTS_PER_CLIENT', '10000'], // the highest the setting takes
  ] as const) {
    env[quota] ??= lifted;
  }
  const azurite = await startAzurite({ location: path.join(dataDir, 'azurite') });
  env.AzureWebJobsStorage = azurite.connectionString;
  const host = await startHost({
    bodyPolicy: requestBodyLimit,
    port: 0,
    functionFiles: functionFilesFromMain(),
    log: () => undefined,
    timers: false,
  });
  return {
    host,
    stop: async () => {
      await host.stop();
      await azurite.stop();
    },
  };
}

/**
 * Runs a part of the bench that points the app's settings elsewhere (DB_ENGINE and SQL_* for the
 * T-SQL engine, DATA_DIR), then puts the settings back as they were, so the next part starts on
 * its own (a part that found DB_ENGINE=mssql left behind would open a database already dropped).
 */
export async function withSettingsRestored<T>(work: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  try {
    return await work();
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    resetConfig();
  }
}
