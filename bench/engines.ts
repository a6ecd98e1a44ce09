import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { RunningHost } from '../local/host';
import { mssqlSettings } from '../local/mssqlSettings';
import { seedDemoData, seedUnpaidContracts } from '../scripts/demoData';
import { createSqlClient } from '../shared/clients/sql.client';
import { loadConfig, resetConfig } from '../shared/config';
import { disposeServices, services } from '../shared/services';
import { migrateLatest } from '../sql/migrator';
import { customerClient, latency, type Payable, pool, startBenchHost, timed } from './support';

/**
 * Search and pay on both engines (issue #16): the same data (the demo data and N contracts with
 * one unpaid invoice each), the same requests through the local host in this process, first on
 * SQLite, then on the T-SQL engine of MSSQL_TEST_CONNECTION. That engine is Babelfish on
 * PostgreSQL (../shared/babelfish), on this machine: its figures show what the T-SQL path costs
 * (tedious, the pool, row locks instead of one writer), not how fast Azure SQL is.
 *
 *   eval "$(scripts/tsql-engine.sh start)"; npm run bench:engines
 */
const CONTRACTS = Number(process.env.BENCH_ENGINE_CONTRACTS ?? 800);
const SEARCHES = 200;
const SEQUENTIAL_PAYMENTS = 100;
const CONCURRENT_PAYMENTS = 300;
const CONCURRENCY = 16;

async function measureEngine(label: string, settings: Record<string, string>, host: RunningHost) {
  await disposeServices();
  Object.assign(process.env, settings);
  resetConfig();
  const { db } = services();
  await migrateLatest(db);
  await seedDemoData(db, { bcryptCost: 10 });
  await seedUnpaidContracts(db, { count: CONTRACTS, firstNumber: 21_000_000, invoicePrefix: 'E' });

  const customer = await customerClient(host.url);
  const contractAt = (k: number) => String(21_000_000 + k);
  const payable: Payable[] = [];
  const first: number[] = [];
  const again: number[] = [];
  for (let k = 0; k < SEARCHES; k++) {
    const [found, ms] = await customer.search(contractAt(k));
    first.push(ms);
    payable.push(...found);
  }
  for (let k = 0; k < SEARCHES; k++) again.push((await customer.search(contractAt(k)))[1]);
  await pool(
    Array.from({ length: SEQUENTIAL_PAYMENTS + CONCURRENT_PAYMENTS - payable.length }, (_, k) => SEARCHES + k),
    CONCURRENCY,
    async (k) => void payable.push(...(await customer.search(contractAt(k)))[0]),
  );
  const sequential: number[] = [];
  const [, sequentialMs] = await timed(async () => {
    for (const coupon of payable.splice(0, SEQUENTIAL_PAYMENTS)) sequential.push(await customer.pay(coupon));
  });
  const concurrent: number[] = [];
  const [, concurrentMs] = await timed(() =>
    pool(
      payable.splice(0, CONCURRENT_PAYMENTS),
      CONCURRENCY,
      async (coupon) => void concurrent.push(await customer.pay(coupon)),
    ),
  );
  await disposeServices();
  const perSecond = (count: number, ms: number) => +((count / ms) * 1000).toFixed(1);
  return {
    label,
    searchFirst: latency(first),
    searchAgain: latency(again),
    paySequential: { ...latency(sequential), perSecond: perSecond(sequential.length, sequentialMs) },
    payConcurrent: {
      ...latency(concurrent),
      perSecond: perSecond(concurrent.length, concurrentMs),
      concurrency: CONCURRENCY,
    },
  };
}

/** An empty database on the T-SQL server of MSSQL_TEST_CONNECTION; dropped by the returned function. */
export async function tsqlDatabase(): Promise<{ name: string; drop: () => Promise<void> }> {
  const name = `cuponeras_bench_${Date.now().toString(36)}`;
  const master = createSqlClient(loadConfig({ ...process.env, ...mssqlSettings('master') }).database);
  await master.raw(`CREATE DATABASE [${name}]`);
  return {
    name,
    drop: async () => {
      await master.raw(`DROP DATABASE [${name}]`).catch(() => undefined);
      await master.destroy();
    },
  };
}

export async function benchEngines() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cuponeras-engines-'));
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

export function enginesTable(results: Awaited<ReturnType<typeof benchEngines>>): string {
  const l = (x: { p50: number; p99: number }) => `p50 ${x.p50} ms · p99 ${x.p99} ms`;
  const row = (measure: string, f: (r: (typeof results)[number]) => string) =>
    `| ${measure} | ${results.map(f).join(' | ')} |`;
  return [
    `| measure | ${results.map((r) => r.label).join(' | ')} |`,
    `|---|${results.map(() => '---').join('|')}|`,
    row('search, contract seen first (a coupon made)', (r) => l(r.searchFirst)),
    row('search again (coupon reused)', (r) => l(r.searchAgain)),
    row('pay, one at a time', (r) => `${r.paySequential.perSecond}/s · ${l(r.paySequential)}`),
    row(`pay, ${CONCURRENCY} at a time`, (r) => `${r.payConcurrent.perSecond}/s · ${l(r.payConcurrent)}`),
  ].join('\n');
}

if (require.main === module) {
  benchEngines()
    .then((results) => {
      console.log(JSON.stringify(results, null, 2));
      console.log(`\nSearch and pay on both engines (one run, this machine):\n${enginesTable(results)}`);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
