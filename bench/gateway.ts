import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { RunningHost } from '../local/host';
import { mssqlSettings } from '../local/mssqlSettings';
import { seedDemoData, seedUnpaidContracts } from '../scripts/demoData';
import { config, resetConfig } from '../shared/config';
import { signedEvent } from '../shared/formats/wompi';
import { disposeServices, services } from '../shared/services';
import { migrateLatest } from '../sql/migrator';
import { tsqlDatabase } from './engines';
import { customerClient, latency, type Payable, pool, startBenchHost, timed } from './support';

/**
 * The gateway path (issue #32): signed APPROVED events posted to the webhook, each paying its
 * PENDING payment (invoice PAID, coupon USED, receipt and notification in the outbox), on SQLite
 * and on the T-SQL engine of MSSQL_TEST_CONNECTION: events applied per second one at a time, and
 * the webhook's latencies while BENCH_GATEWAY_BURST events arrive at once.
 *
 *   eval "$(scripts/tsql-engine.sh start)"; npm run bench:gateway
 */
const SEQUENTIAL = Number(process.env.BENCH_GATEWAY_SEQUENTIAL ?? 200);
const BURST = Number(process.env.BENCH_GATEWAY_BURST ?? 1000);

interface PendingPayment {
  reference: string;
  amount: number;
}

async function measureEngine(label: string, settings: Record<string, string>, host: RunningHost) {
  await disposeServices();
  Object.assign(process.env, settings);
  resetConfig();
  const { db } = services();
  await migrateLatest(db);
  await seedDemoData(db, { bcryptCost: 10 });
  const contracts = await seedUnpaidContracts(db, {
    count: SEQUENTIAL + BURST,
    firstNumber: 22_000_000,
    invoicePrefix: 'G',
  });

  // Each contract's coupon, then its PENDING gateway payment, through the API.
  const customer = await customerClient(host.url);
  const coupons: Payable[] = [];
  await pool(contracts, 16, async (contract) => void coupons.push(...(await customer.search(contract))[0]));
  const payments: PendingPayment[] = [];
  await pool(coupons, 16, async (coupon) => {
    const res = await fetch(`${host.url}/payments`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${customer.token}`,
        'Idempotency-Key': randomUUID(),
      },
      body: JSON.stringify({ couponCodes: [coupon.code], paymentMethod: 'CARD' }),
    });
    if (res.status !== 201) throw new Error(`POST /payments answered ${res.status}: ${await res.text()}`);
    payments.push((await res.json()) as PendingPayment);
  });

  const secret = config().payments.eventsSecret;
  const post = (payment: PendingPayment) =>
    timed(async () => {
      const event = signedEvent(
        {
          id: `bench-${randomBytes(8).toString('hex')}`,
          reference: payment.reference,
          amount_in_cents: payment.amount * 100,
          currency: 'COP',
          status: 'APPROVED',
          payment_method_type: 'CARD',
        },
        secret,
        new Date(),
      );
      const res = await fetch(`${host.url}/payments/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(event),
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`the webhook answered ${res.status}`);
    });

  const sequential: number[] = [];
  const [, sequentialMs] = await timed(async () => {
    for (const payment of payments.splice(0, SEQUENTIAL)) sequential.push((await post(payment))[1]);
  });
  const burst = payments.splice(0, BURST);
  const [burstLatencies, burstMs] = await timed(() =>
    Promise.all(burst.map(async (payment) => (await post(payment))[1])),
  );
  const paid = await db('payments').where({ status: 'APPROVED' }).count({ n: '*' }).first<{ n: unknown }>();
  await disposeServices();
  return {
    label,
    sequential: { ...latency(sequential), perSecond: +((sequential.length / sequentialMs) * 1000).toFixed(1) },
    burst: {
      ...latency(burstLatencies),
      events: burst.length,
      perSecond: +((burst.length / burstMs) * 1000).toFixed(1),
    },
    approved: Number(paid?.n),
  };
}

export async function benchGateway() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cuponeras-gateway-'));
  process.env.DATA_DIR = dataDir;
  const { host, stop } = await startBenchHost(dataDir);
  try {
    const results = [await measureEngine('SQLite', { DB_ENGINE: 'sqlite' }, host)];
    if (process.env.MSSQL_TEST_CONNECTION) {
      const database = await tsqlDatabase();
      try {
        results.push(await measureEngine('T-SQL (Babelfish)', mssqlSettings(database.name), host));
      } finally {
        await disposeServices();
        await database.drop();
      }
    } else {
      console.error('MSSQL_TEST_CONNECTION is not set: SQLite only (eval "$(scripts/tsql-engine.sh start)" first).');
    }
    return results;
  } finally {
    await stop();
    await disposeServices();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export function gatewayTable(results: Awaited<ReturnType<typeof benchGateway>>): string {
  const row = (measure: string, f: (r: (typeof results)[number]) => string) =>
    `| ${measure} | ${results.map(f).join(' | ')} |`;
  return [
    `| measure | ${results.map((r) => r.label).join(' | ')} |`,
    `|---|${results.map(() => '---').join('|')}|`,
    row(
      'signed events applied, one at a time',
      (r) => `${r.sequential.perSecond}/s · p50 ${r.sequential.p50} ms · p99 ${r.sequential.p99} ms`,
    ),
    row(
      `webhook while ${BURST} events arrive at once`,
      (r) => `p50 ${r.burst.p50} ms · p99 ${r.burst.p99} ms · ${r.burst.perSecond}/s`,
    ),
    row('payments APPROVED at the end', (r) => String(r.approved)),
  ].join('\n');
}

if (require.main === module) {
  benchGateway()
    .then((results) => {
      console.log(JSON.stringify(results, null, 2));
      console.log(`\nThe gateway path on both engines (one run, this machine):\n${gatewayTable(results)}`);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
