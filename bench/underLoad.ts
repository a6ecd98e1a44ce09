import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { seedDemoData, seedUnpaidContracts } from '../scripts/demoData';
import { importCollection } from '../shared/controllers/collection.controller';
import { importInvoices } from '../shared/controllers/invoiceFeed.controller';
import { disposeServices, services } from '../shared/services';
import { migrateLatest } from '../sql/migrator';
import { bulkLoadInvoices } from './bulkLoad';
import { printCouponsAndBankFile, writeFeed } from './imports';
import { customerClient, type Latency, latency, type Payable, startBenchHost, timed } from './support';

/**
 * npm run bench:under-load: what requests feel while the files of a day are applied in the same
 * process, as the blob triggers apply them in Azure (one worker process) and locally (one event
 * loop, one SQLite connection). A health probe every 200 ms and payments one after another: idle
 * first, then during a bank file of BENCH_UNDER_LOAD_RECORDS records (100,000), then during a
 * billing feed of BENCH_UNDER_LOAD_CSV_LINES lines (260,000 ≈ 40 MB). Targets (#25): every probe
 * answered within 1 s, payments' p99 within 2 × idle.
 */
const RECORDS = Number(process.env.BENCH_UNDER_LOAD_RECORDS ?? 100_000);
const CSV_LINES = Number(process.env.BENCH_UNDER_LOAD_CSV_LINES ?? 260_000);
const IDLE_PAYMENTS = Number(process.env.BENCH_UNDER_LOAD_IDLE_PAYMENTS ?? 400);
const PAYABLE = Number(process.env.BENCH_UNDER_LOAD_PAYABLE ?? 4_000);
const PAY_EVERY_MS = 200;

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cuponeras-bench-load-'));
Object.assign(process.env, { APP_ENV: 'test', DATA_DIR: dataDir, JWT_SECRET: randomBytes(32).toString('hex') });

export interface UnderLoad {
  ms: number;
  health: { probes: number; maxMs: number; over1s: number; failed: number };
  pay: Latency;
}

/** Probes and payments until `work` ends (or, idle, until `payments` are done). */
async function measure(
  baseUrl: string,
  pay: () => Promise<number | undefined>,
  work: Promise<unknown> | { payments: number },
): Promise<UnderLoad> {
  const started = performance.now();
  let done = false;
  const health = { probes: 0, maxMs: 0, over1s: 0, failed: 0 };
  const probing = (async () => {
    while (!done) {
      const [ok, ms] = await timed(async () => {
        try {
          const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(20_000) });
          await res.arrayBuffer();
          return res.status === 200;
        } catch {
          return false;
        }
      });
      health.probes++;
      health.maxMs = Math.max(health.maxMs, Math.round(ms));
      if (ms > 1000) health.over1s++;
      if (!ok) health.failed++;
      await sleep(Math.max(0, 200 - ms));
    }
  })();
  const times: number[] = [];
  const paying = (async () => {
    while (!done) {
      const ms = await pay();
      if (ms === undefined) break; // out of payable invoices: the probes go on
      times.push(ms);
      if (!(work instanceof Promise) && times.length >= work.payments) done = true;
      else await sleep(PAY_EVERY_MS); // a steady trickle, as customers arrive
    }
  })();
  if (work instanceof Promise) {
    await work;
    done = true;
  }
  await Promise.all([probing, paying]);
  return { ms: Math.round(performance.now() - started), health, pay: latency(times) };
}

async function main(): Promise<void> {
  const file = path.join(dataDir, 'cuponeras.sqlite');
  const { host, stop } = await startBenchHost(dataDir);
  const app = services();
  await migrateLatest(app.db);
  await seedDemoData(app.db);
  await seedUnpaidContracts(app.db, { count: PAYABLE, firstNumber: 20_000_000, invoicePrefix: 'U' });
  // The bank file's invoices and their printed coupons, and the feed's file, made ahead.
  bulkLoadInvoices(file, { contracts: RECORDS, periods: ['2026-11'], firstNumber: 50_000_000 });
  const bankFile = path.join(dataDir, 'recaudo.txt');
  await printCouponsAndBankFile(app.db, RECORDS, bankFile, 'F-5');
  const csv = path.join(dataDir, 'feed.csv');
  await writeFeed(csv, CSV_LINES, 60_000_000);

  let customer = await customerClient(host.url);
  const payable: Payable[] = [];
  for (let i = 0; i < PAYABLE; i++) payable.push(...(await customer.search(String(20_000_000 + i)))[0]);
  const pay = async () => {
    const coupon = payable.shift();
    if (!coupon) return undefined;
    try {
      return await customer.pay(coupon);
    } catch (error) {
      // A run longer than an access token's life: log in again and pay that coupon.
      if (!String(error).includes('INVALID_TOKEN')) throw error;
      customer = await customerClient(host.url);
      return customer.pay(coupon);
    }
  };
  const phase = (name: string, result: UnderLoad) => {
    console.error(`${name}: ${JSON.stringify(result)}`);
    return result;
  };

  console.error(`prepared in ${Math.round(performance.now())} ms`);
  const idle = phase('idle', await measure(host.url, pay, { payments: IDLE_PAYMENTS }));
  const collection = phase(
    'collection',
    await measure(
      host.url,
      pay,
      importCollection(app, () => fs.createReadStream(bankFile), { source: 'BLOB', fileName: 'recaudo.txt' }),
    ),
  );
  const feed = phase(
    'invoice import',
    await measure(
      host.url,
      pay,
      importInvoices(app, fs.createReadStream(csv), { source: 'BLOB', fileName: 'feed.csv' }),
    ),
  );
  const results = {
    machine: `${os.cpus().length} cores, node ${process.version}`,
    bankFile: { records: RECORDS, mib: +(fs.statSync(bankFile).size / 2 ** 20).toFixed(1) },
    feed: { lines: CSV_LINES, mib: +(fs.statSync(csv).size / 2 ** 20).toFixed(1) },
    idle,
    collection: { ...collection, payP99VsIdle: +(collection.pay.p99 / idle.pay.p99).toFixed(2) },
    invoiceImport: { ...feed, payP99VsIdle: +(feed.pay.p99 / idle.pay.p99).toFixed(2) },
  };
  console.log(JSON.stringify(results, null, 2));
  await stop();
  await disposeServices();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
