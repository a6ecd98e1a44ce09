import path from 'node:path';

import { percentile } from '../../bench/stats';
import { type AzuriteProcess, freePort, startAzurite } from '../../local/azurite';
import { call } from '../support/app';
import type { CompiledApp } from '../support/compiled';
import {
  deliveryReport,
  inParallel,
  pay,
  type PayOutcome,
  planPayments,
  preparePayableInvoices,
  report,
  startApp,
} from './support';

/**
 * The queue service down while customers pay: payments go on at their normal speed (the circuit
 * breaker stops the request path from calling a queue known to be down), nothing is lost, and
 * once the queue is back the outbox sweeper delivers every receipt and notification.
 */
const PER_PHASE = 100;
const CONCURRENCY = 2;

let app: CompiledApp | undefined;
let azurite: AzuriteProcess | undefined;
afterAll(async () => {
  await app?.stop();
  await azurite?.stop();
});

async function payAll(base: string, plan: Awaited<ReturnType<typeof planPayments>>): Promise<PayOutcome[]> {
  const outcomes: PayOutcome[] = [];
  await inParallel(plan, CONCURRENCY, async (payment) => {
    const outcome = await pay(base, payment);
    if (!outcome) throw new Error('a payment got no answer');
    outcomes.push(outcome);
  });
  return outcomes;
}

test('when the queue service is down during 100 payments, then they keep their normal speed (p99 within 2×) and every message arrives once it is back', async () => {
  const dataDir = process.env.DATA_DIR ?? '';
  const contracts = await preparePayableInvoices(dataDir, 2 * PER_PHASE + 10, 40_000_000);
  // The queue service is the test's own, on a port it keeps, so it can be stopped and started again.
  const location = path.join(dataDir, 'azurite');
  const port = await freePort();
  azurite = await startAzurite({ location, port });
  app = await startApp(dataDir, { AzureWebJobsStorage: azurite.connectionString });
  const base = app.base;
  const plan = await planPayments(base, contracts, 10);
  const [warmUp, normal, outage] = [plan.slice(0, 10), plan.slice(10, 110), plan.slice(110)];

  await payAll(base, warmUp);
  const normalOutcomes = await payAll(base, normal);

  await azurite.stop();
  const outageOutcomes = await payAll(base, outage);
  const health = await call(base, 'GET', '/health');

  const outageEnded = Date.now();
  azurite = await startAzurite({ location, port });

  const all = [...normalOutcomes, ...outageOutcomes];
  expect(all.filter((outcome) => outcome.status !== 201)).toEqual([]);
  const transactionIds = outageOutcomes.map((outcome) => outcome.transactionId ?? '');
  let deliveries = await deliveryReport(dataDir, transactionIds);
  while (deliveries.receiptsMissing + deliveries.noticesMissing > 0 && Date.now() - outageEnded < 90_000) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    deliveries = await deliveryReport(dataDir, transactionIds);
  }

  const p99Normal = percentile(
    normalOutcomes.map((outcome) => outcome.ms),
    99,
  );
  const p99Outage = percentile(
    outageOutcomes.map((outcome) => outcome.ms),
    99,
  );
  report('queue-outage', {
    'payments with the queue up': normalOutcomes.length,
    'payments with the queue down': outageOutcomes.length,
    'answered 201 while down': outageOutcomes.filter((outcome) => outcome.status === 201).length,
    'pay p50 / p99 ms, queue up': `${percentile(
      normalOutcomes.map((o) => o.ms),
      50,
    ).toFixed(1)} / ${p99Normal.toFixed(1)}`,
    'pay p50 / p99 ms, queue down': `${percentile(
      outageOutcomes.map((o) => o.ms),
      50,
    ).toFixed(1)} / ${p99Outage.toFixed(1)}`,
    'p99 ratio down / up (bound 2)': (p99Outage / p99Normal).toFixed(2),
    '/health while down': `${health.status} queues ${health.body.checks?.queues?.status}`,
    'receipts missing after recovery': deliveries.receiptsMissing,
    'notifications missing after recovery': deliveries.noticesMissing,
    'doubled (receipts + notifications)': deliveries.receiptsDoubled + deliveries.noticesDoubled,
    'seconds from queue back to all delivered': ((Date.now() - outageEnded) / 1000).toFixed(1),
  });
  expect(p99Outage).toBeLessThanOrEqual(2 * p99Normal);
  expect(health.status).toBe(503);
  expect(deliveries).toEqual({ receiptsMissing: 0, receiptsDoubled: 0, noticesMissing: 0, noticesDoubled: 0 });
}, 240_000);
