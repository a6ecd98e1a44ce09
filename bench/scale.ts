import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';

import type { RunningHost } from '../local/host';
import { seedDemoData } from '../scripts/demoData';
import { resetConfig } from '../shared/config';
import * as coupons from '../shared/controllers/coupon.controller';
import { newId } from '../shared/models/ids';
import { disposeServices, services } from '../shared/services';
import { bulkContractNumber, type BulkLoad, bulkLoadInvoices } from './bulkLoad';
import { migrated } from './imports';
import { customerClient, type Latency, latency, type Payable, startBenchHost, timed } from './support';

/**
 * At EPM scale (issue #16), on SQLite: the same measurements on a small data set and on one the
 * size of EPM's (1,000,000 contracts × 6 periods = 6,000,000 invoices, the two newest unpaid), so
 * that the table size's share of each cost shows:
 *   - search p50/p99 through the local host (HTTP, the functions, SQLite): a contract seen for the
 *     first time (two coupons made) and again (coupons reused);
 *   - pay p50/p99, one at a time, idle and while the expiry timer's work runs in the same process
 *     on the same connection, as on one instance (each batch is what a payment waits for);
 *   - expiry of D due coupons (1,000,000 at full scale) in the timer's batches, against one raw
 *     set-based UPDATE of the same rows.
 * The rows are loaded by the raw driver loop of bench/bulkLoad.ts (the import's own floor):
 * through importInvoices, 6,000,000 lines would take about 11 minutes more (bench/RESULTS.md).
 *
 *   BENCH_SCALE_CONTRACTS=1000000 BENCH_SCALE_DUE_COUPONS=1000000 npm run bench:scale
 */
const CONTRACTS = Number(process.env.BENCH_SCALE_CONTRACTS ?? 1_000_000);
const DUE_COUPONS = Number(process.env.BENCH_SCALE_DUE_COUPONS ?? CONTRACTS);
const SMALL_CONTRACTS = Number(process.env.BENCH_SCALE_SMALL_CONTRACTS ?? 10_000);
const SEARCHES = Number(process.env.BENCH_SCALE_SEARCHES ?? 300);
const IDLE_PAYMENTS = 200;
/** Paid one at a time while the expiry runs; the loop stops when either ends. */
const PAYMENTS_DURING_EXPIRY = Number(process.env.BENCH_SCALE_PAYMENTS_DURING_EXPIRY ?? 3000);
const PERIODS = ['2026-06', '2026-07', '2026-08', '2026-09', '2026-10', '2026-11'];

/** D ACTIVE coupons an hour past their time, on the unpaid invoices of the last contracts (one holder). */
function insertDueCoupons(file: string, load: BulkLoad, due: number): string {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('cache_size = -524288');
  const now = Date.now();
  const userId = newId(now);
  db.prepare(
    "INSERT INTO users (id, email, password_hash, full_name, document_type, document_number, role, failed_logins, created_at, updated_at) VALUES (?, 'vencidos@bench.example', 'x', 'Bench', 'CC', '1', 'customer', 0, ?, ?)",
  ).run(userId, now, now);
  const unpaidPerContract = load.unpaidPeriods ?? load.periods.length;
  const firstDue = bulkContractNumber(load, load.contracts - Math.ceil(due / unpaidPerContract));
  const invoices = db
    .prepare(
      "SELECT i.id, i.amount FROM invoices i JOIN contracts c ON c.id = i.contract_id WHERE c.number >= ? AND i.status = 'UNPAID' LIMIT ?",
    )
    .all(firstDue, due) as { id: string; amount: number }[];
  const coupon = db.prepare(
    "INSERT INTO coupons (id, code, user_id, invoice_id, amount, status, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, 'ACTIVE', ?, ?)",
  );
  db.transaction(() =>
    invoices.forEach((invoice, k) =>
      coupon.run(
        newId(now),
        String(600_000_000_000 + k),
        userId,
        invoice.id,
        invoice.amount,
        now - 7 * 86_400_000,
        now - 3600_000,
      ),
    ),
  )();
  db.close();
  return userId;
}

/** One data set: load it, then serve it from this process (host, SQLite, the timer's work: one instance). */
async function measure(label: string, contracts: number, due: number, host: RunningHost) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `cuponeras-scale-${label}-`));
  const file = path.join(dataDir, 'cuponeras.sqlite');
  await (await migrated(file)).destroy();
  const load: BulkLoad = {
    contracts,
    periods: PERIODS,
    firstNumber: 30_000_000,
    unpaidPeriods: 2,
    linesPerTransaction: 200_000,
  };
  const [, loadMs] = await timed(async () => bulkLoadInvoices(file, load));
  const [dueUser, dueMs] = await timed(async () => insertDueCoupons(file, load, due));
  console.error(
    `${label}: ${contracts * PERIODS.length} invoices in ${Math.round(loadMs)} ms, ${due} due coupons in ${Math.round(dueMs)} ms`,
  );
  // The host's functions reach the database through services(): point them at this data set.
  await disposeServices();
  process.env.DATA_DIR = dataDir;
  resetConfig();
  await seedDemoData(services().db, { bcryptCost: 10 });
  try {
    const customer = await customerClient(host.url);

    // Contracts spread over the whole table (not only its first pages), none of them the due ones.
    const dueContracts = Math.ceil(due / 2);
    const spread = Math.max(
      1,
      Math.floor((contracts - dueContracts) / (SEARCHES + IDLE_PAYMENTS + PAYMENTS_DURING_EXPIRY)),
    );
    const contractAt = (k: number) => bulkContractNumber(load, k * spread);
    const payable: Payable[] = [];
    const firstSearch: number[] = [];
    const againSearch: number[] = [];
    for (let k = 0; k < SEARCHES; k++) {
      const [found, ms] = await customer.search(contractAt(k));
      firstSearch.push(ms);
      payable.push(...found);
    }
    for (let k = 0; k < SEARCHES; k++) {
      againSearch.push((await customer.search(contractAt(k)))[1]);
    }
    // Coupons for the payments during expiry, taken before it starts.
    for (let k = SEARCHES; payable.length < IDLE_PAYMENTS + PAYMENTS_DURING_EXPIRY; k++) {
      payable.push(...(await customer.search(contractAt(k)))[0]);
    }
    const pay = customer.pay;
    const idlePay: number[] = [];
    for (const coupon of payable.splice(0, IDLE_PAYMENTS)) idlePay.push(await pay(coupon));

    // The expiry timer's work as it runs on this instance; payments beside it until it ends.
    const duringPay: number[] = [];
    let expiring = true;
    const expiry = coupons.expireDue(services()).finally(() => (expiring = false));
    for (let coupon = payable.shift(); expiring && coupon; coupon = payable.shift()) duringPay.push(await pay(coupon));
    const expired = await expiry;
    await disposeServices();

    // The floor: the same coupons ACTIVE again, then one raw set-based UPDATE.
    const raw = new Database(file);
    raw.prepare("UPDATE coupons SET status = 'ACTIVE', closed_at = NULL WHERE user_id = ?").run(dueUser);
    const now = Date.now();
    const [, rawMs] = await timed(async () =>
      raw
        .prepare("UPDATE coupons SET status = 'EXPIRED', closed_at = ? WHERE status = 'ACTIVE' AND expires_at <= ?")
        .run(now, now),
    );
    raw.close();
    return {
      label,
      contracts,
      invoices: contracts * PERIODS.length,
      loadMs: Math.round(loadMs),
      searchFirst: latency(firstSearch),
      searchAgain: latency(againSearch),
      payIdle: latency(idlePay),
      payDuringExpiry: latency(duringPay),
      expiry: {
        due,
        expired: expired.expired,
        batches: expired.batches,
        writeMs: expired.writeMs,
        microsecondsPerCoupon: +((expired.writeMs * 1000) / Math.max(1, expired.expired)).toFixed(1),
        rawUpdateMs: Math.round(rawMs),
        ratioToRawUpdate: +(expired.writeMs / rawMs).toFixed(2),
      },
    };
  } finally {
    await disposeServices();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchScale() {
  const hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cuponeras-scale-'));
  // Timers off: this benchmark runs the expiry itself, when it measures it.
  const { host, stop } = await startBenchHost(hostDir);
  try {
    const small = await measure('small', SMALL_CONTRACTS, Math.min(DUE_COUPONS, SMALL_CONTRACTS), host);
    const large = await measure('epm', CONTRACTS, DUE_COUPONS, host);
    return { small, large };
  } finally {
    await stop();
    await disposeServices();
    fs.rmSync(hostDir, { recursive: true, force: true });
  }
}

export function scaleTable({ small, large }: Awaited<ReturnType<typeof benchScale>>): string {
  const l = (x: Latency) => `p50 ${x.p50} ms · p99 ${x.p99} ms (${x.count})`;
  const row = (measure: string, f: (r: typeof small) => string) => `| ${measure} | ${f(small)} | ${f(large)} |`;
  return [
    `| measure | ${small.invoices.toLocaleString('en')} invoices | ${large.invoices.toLocaleString('en')} invoices |`,
    '|---|---|---|',
    row('bulk load (raw driver loop)', (r) => `${(r.loadMs / 1000).toFixed(1)} s`),
    row('search, contract seen first (2 coupons made)', (r) => l(r.searchFirst)),
    row('search again (coupons reused)', (r) => l(r.searchAgain)),
    row('pay, one at a time, idle', (r) => l(r.payIdle)),
    row(
      'pay while the expiry runs',
      (r) => `${l(r.payDuringExpiry)} — ${(r.payDuringExpiry.p99 / Math.max(1, r.payIdle.p99)).toFixed(2)} × idle p99`,
    ),
    row(
      'expiry of the due coupons (writes)',
      (r) =>
        `${r.expiry.expired.toLocaleString('en')} in ${(r.expiry.writeMs / 1000).toFixed(1)} s, ${r.expiry.batches} batches, ${r.expiry.microsecondsPerCoupon} µs each`,
    ),
    row(
      'one raw set-based UPDATE of them',
      (r) => `${(r.expiry.rawUpdateMs / 1000).toFixed(2)} s — expiry ${r.expiry.ratioToRawUpdate} × raw`,
    ),
  ].join('\n');
}

if (require.main === module) {
  benchScale()
    .then((results) => {
      console.log(JSON.stringify(results, null, 2));
      console.log(`\nAt EPM scale (SQLite, one run, this machine):\n${scaleTable(results)}`);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
