import { randomUUID } from 'node:crypto';

import { DEMO_CUSTOMER } from '../sql/seed';

/** What the benchmarks report of a series of timings. */
export interface Latency {
  count: number;
  p50: number;
  p99: number;
}

export function latency(times: number[]): Latency {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (p: number) => +(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0).toFixed(1);
  return { count: times.length, p50: at(0.5), p99: at(0.99) };
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
