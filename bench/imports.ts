import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { systemClock } from '../shared/clients/clock.client';
import type { QueuePublisher } from '../shared/clients/queue.client';
import { createSqlClient, type Db } from '../shared/clients/sql.client';
import { importCollection } from '../shared/controllers/collection.controller';
import { importInvoices } from '../shared/controllers/invoiceFeed.controller';
import { collectionFileLines } from '../shared/formats/asobancaria';
import { useIdLayout } from '../shared/models/ids';
import { INVOICE_FEED_COLUMNS } from '../shared/models/invoiceFeed.model';
import type { BillingDeps } from '../shared/services';
import { migrateLatest } from '../sql/migrator';
import { bulkLoadInvoices } from './bulkLoad';

/**
 * The billing feed and the bank collections at volume, on SQLite:
 * - the floor: N invoice lines (N/2 contracts, two periods each) inserted with better-sqlite3
 *   prepared statements in one transaction, values made in the loop (no file, no checks);
 * - the import: the same N lines as a CSV file on disk, through importInvoices (streamed, each
 *   line checked, batches upserted in their own transactions), then the same file again;
 * - a collection file of M records paying M printed coupons, through importCollection.
 * Peak RSS is sampled while each runs: both must stay flat, whatever N and M.
 *
 *   BENCH_IMPORT_LINES=1000000 BENCH_COLLECTION_RECORDS=100000 node dist/bench/imports.js
 */
const LINES = Number(process.env.BENCH_IMPORT_LINES ?? 1_000_000);
const RECORDS = Number(process.env.BENCH_COLLECTION_RECORDS ?? 100_000);

/** Messages stay in the outbox: delivery is the dispatcher's work, measured by the payment bench. */
const OUTBOX_ONLY: QueuePublisher = {
  send: () => Promise.reject(new Error('bench: the outbox keeps it')),
  ping: () => Promise.reject(new Error('bench: no queue')),
};

export function sqliteFile(dir: string, name: string): string {
  const file = path.join(dir, name);
  fs.rmSync(file, { force: true });
  return file;
}

/** Peak RSS (MiB) while `work` runs, sampled every 25 ms. */
export async function withPeakRss<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; peakRssMiB: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);
  const started = performance.now();
  try {
    const result = await work();
    return { result, ms: performance.now() - started, peakRssMiB: Math.round(peak / 2 ** 20) };
  } finally {
    clearInterval(timer);
  }
}

const periodOf = (line: number) => (line % 2 === 0 ? '2026-10' : '2026-11');

/** A billing-feed CSV of `lines` lines: contracts from `firstContract`, two periods each. */
export async function writeFeed(file: string, lines: number, firstContract = 40_000_000): Promise<void> {
  const out = fs.createWriteStream(file);
  out.write(INVOICE_FEED_COLUMNS.join(',') + '\n');
  for (let i = 0; i < lines; i++) {
    const contract = String(firstContract + Math.floor(i / 2));
    const period = periodOf(i);
    const row = `${contract},Cliente ${contract},CC,${10_000_000 + Math.floor(i / 2)},"Calle ${i % 100} # ${i % 90}-${i % 50}, Laureles",Medellín,${(i % 6) + 1},"Energía, Acueducto",F-${contract}-${period},${period},${period}-20,${period}-28,${100_000 + (i % 900_000)}\n`;
    if (!out.write(row)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** The floor: the same rows with prepared statements, one transaction, nothing checked. */
function rawInserts(file: string, lines: number): void {
  bulkLoadInvoices(file, { contracts: lines / 2, periods: ['2026-10', '2026-11'], firstNumber: 40_000_000 });
}

/** A SQLite database as the app opens it: migrated, and the ids made from now on in its layout. */
export async function migrated(file: string): Promise<Db> {
  // The ids services() makes on SQLite (time first in their text, see shared/models/ids.ts), for
  // the floor and the app alike. Run alone, this bench made COMB ids, whose time sits last in the
  // text SQLite keys by: every insert landed on a random index page, and the feed ran at half its
  // speed (bench/RESULTS.md).
  useIdLayout('time-first');
  const db = createSqlClient({ engine: 'sqlite', file });
  await migrateLatest(db);
  return db;
}

export function depsOn(db: Db): BillingDeps {
  return {
    db,
    clock: systemClock,
    queue: OUTBOX_ONLY,
    config: {
      coupons: { validityHours: 72, overdueValidityHours: 4, billerGln: '7707181010011' },
      quotas: {
        registrationsPerClientPerHour: 10,
        searchesPerUserPerMinute: 30,
        searchedContractsPerUserPerDay: 200,
        couponLookupsPerUserPerMinute: 60,
        passwordResetsPerEmailPerHour: 3,
        passwordResetsPerClientPerHour: 10,
        verificationEmailsPerUserPerHour: 3,
        guestSearchesPerClientPerMinute: 10,
        guestContractsPerClientPerDay: 20,
      },
    },
  };
}

/** M printed coupons (one per invoice of the imported feed, one holder) and the bank file that pays them all. */
export async function printCouponsAndBankFile(
  db: Db,
  records: number,
  file: string,
  invoiceNumberPrefix = '',
): Promise<void> {
  const now = new Date();
  const userId = randomUUID();
  await db('users').insert({
    id: userId,
    email: 'recaudo@bench.example',
    password_hash: 'x',
    full_name: 'Bench',
    document_type: 'CC',
    document_number: '1',
    role: 'customer',
    failed_logins: 0,
    created_at: now,
    updated_at: now,
  });
  const invoices: { id: string; amount: number }[] = await db('invoices')
    .where('number', 'like', `${invoiceNumberPrefix}%`)
    .where({ status: 'UNPAID' })
    .orderBy('number')
    .limit(records)
    .select('id', 'amount');
  const coupons = invoices.map((invoice, i) => ({
    id: randomUUID(),
    code: String(700_000_000_000 + i),
    user_id: userId,
    invoice_id: invoice.id,
    amount: Number(invoice.amount),
    status: 'ACTIVE',
    issued_at: now,
    expires_at: new Date(now.getTime() + 72 * 3600_000),
  }));
  await db.batchInsert('coupons', coupons, 400); // knex's SQLite insert is a UNION ALL, capped at 500 terms
  const out = fs.createWriteStream(file);
  const details = coupons.map((c) => ({ reference: c.code, amountCents: c.amount * 100 }));
  for (const line of collectionFileLines({
    header: { collectionDate: now.toISOString().slice(0, 10), bankCode: '007' },
    batches: [{ details }],
  })) {
    if (!out.write(line + '\r\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

export async function benchImports(dir: string) {
  const csv = path.join(dir, 'feed.csv');
  await writeFeed(csv, LINES);

  const floorFile = sqliteFile(dir, 'floor.sqlite');
  await (await migrated(floorFile)).destroy();
  const floor = await withPeakRss(async () => rawInserts(floorFile, LINES));

  const db = await migrated(sqliteFile(dir, 'import.sqlite'));
  const deps = depsOn(db);
  const first = await withPeakRss(() =>
    importInvoices(deps, fs.createReadStream(csv), { source: 'CLI', fileName: 'feed.csv' }),
  );
  const again = await withPeakRss(() =>
    importInvoices(deps, fs.createReadStream(csv), { source: 'CLI', fileName: 'feed.csv' }),
  );

  const bankFile = path.join(dir, 'recaudo.txt');
  await printCouponsAndBankFile(db, Math.min(RECORDS, LINES), bankFile);
  const collection = await withPeakRss(() =>
    importCollection(deps, () => fs.createReadStream(bankFile), { source: 'CLI', fileName: 'recaudo.txt' }),
  );
  await db.destroy();

  const perSecond = (n: number, ms: number) => Math.round((n / ms) * 1000);
  return {
    invoiceImport: {
      lines: LINES,
      fileMiB: +(fs.statSync(csv).size / 2 ** 20).toFixed(1),
      floorMs: Math.round(floor.ms),
      floorLinesPerSecond: perSecond(LINES, floor.ms),
      importMs: Math.round(first.ms),
      importLinesPerSecond: perSecond(LINES, first.ms),
      ratioToFloor: +(floor.ms / first.ms).toFixed(2),
      counts: first.result.counts,
      againMs: Math.round(again.ms),
      againCounts: again.result.counts,
      peakRssMiB: { floor: floor.peakRssMiB, import: first.peakRssMiB, again: again.peakRssMiB },
    },
    collection: {
      records: collection.result.counts.records,
      applied: collection.result.counts.applied,
      ms: Math.round(collection.ms),
      recordsPerSecond: perSecond(collection.result.counts.records, collection.ms),
      peakRssMiB: collection.peakRssMiB,
    },
  };
}

if (require.main === module) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cuponeras-bench-imports-'));
  benchImports(dir)
    .then((results) => {
      console.log(JSON.stringify(results, null, 2));
      fs.rmSync(dir, { recursive: true, force: true });
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
