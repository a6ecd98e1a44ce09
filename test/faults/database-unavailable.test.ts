import path from 'node:path';

import Database from 'better-sqlite3';

import { call } from '../support/app';
import type { CompiledApp } from '../support/compiled';
import {
  pay,
  type PayOutcome,
  payUntilAnswered,
  planPayments,
  preparePayableInvoices,
  report,
  startApp,
} from './support';

/**
 * The database file unavailable to the running host: another process (a backup, the CLI, a
 * second host) holds its write lock. Writes answer 503 with Retry-After instead of hanging or
 * failing with 500, reads go on, and once the lock is gone the same host pays again, no restart.
 */
let app: CompiledApp | undefined;
afterAll(async () => {
  await app?.stop();
});

test('when another process holds the database file’s lock, then payments answer 503 with Retry-After, reads go on, and the host recovers without a restart', async () => {
  const dataDir = process.env.DATA_DIR ?? '';
  const contracts = await preparePayableInvoices(dataDir, 8, 50_000_000);
  app = await startApp(dataDir);
  const base = app.base;
  const plan = await planPayments(base, contracts, 8);
  const before = await pay(base, plan[0]!);
  expect(before?.status).toBe(201);

  const locker = new Database(path.join(dataDir, 'cuponeras.sqlite'));
  locker.exec('BEGIN IMMEDIATE');
  const lockedAt = Date.now();
  const refused: PayOutcome[] = [];
  let problem: { contentType: string | null; code: unknown } | undefined;
  for (const payment of plan.slice(1, 4)) {
    const res = await call(base, 'POST', `/invoices/${payment.invoiceId}/pay`, {
      token: payment.token,
      body: { couponCode: payment.couponCode, paymentMethod: 'PSE' },
      headers: { 'Idempotency-Key': payment.idempotencyKey },
    });
    refused.push({ status: res.status, ms: 0, retryAfter: Number(res.headers.get('retry-after')) });
    problem = { contentType: res.headers.get('content-type'), code: res.body.code };
  }
  const secondsToRefuse = (Date.now() - lockedAt) / 1000 / refused.length;
  const history = await call(base, 'GET', '/transactions', { token: plan[0]!.token });
  const health = await call(base, 'GET', '/health');

  locker.exec('COMMIT');
  locker.close();
  const releasedAt = Date.now();
  // The clients retry with the same keys, as Retry-After tells them.
  const retried = [];
  for (const payment of plan.slice(1, 4))
    retried.push(await payUntilAnswered(() => base, payment, Date.now() + 30_000));
  const recoverySeconds = (Date.now() - releasedAt) / 1000;

  report('database-unavailable', {
    'payments while the file was locked': refused.length,
    'answers while locked': refused
      .map((outcome) => `${outcome.status} (Retry-After ${outcome.retryAfter})`)
      .join(', '),
    'seconds to answer 503': secondsToRefuse.toFixed(1),
    'payment history (a read) while locked': history.status,
    '/health while locked': health.status,
    'answers after the lock was released': retried.map((outcome) => outcome.status).join(', '),
    'seconds to recover (no restart)': recoverySeconds.toFixed(1),
    'host restarted': app.child.exitCode === null ? 'no' : 'yes',
  });
  expect(refused.map((outcome) => outcome.status)).toEqual([503, 503, 503]);
  expect(refused.every((outcome) => (outcome.retryAfter ?? 0) > 0)).toBe(true);
  expect(problem).toEqual({
    contentType: expect.stringContaining('application/problem+json'),
    code: 'SERVICE_UNAVAILABLE',
  });
  expect(history.status).toBe(200);
  expect(retried.map((outcome) => outcome.status)).toEqual([201, 201, 201]);
  expect(app.child.exitCode).toBeNull();
}, 120_000);
