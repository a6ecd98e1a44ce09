import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';

import { importInvoiceLines } from '../shared/controllers/invoiceLineFeed.controller';
import { newId } from '../shared/models/ids';
import { INVOICE_LINE_FEED_COLUMNS, invoiceLineQueries, meteredConsumption } from '../shared/models/invoiceLine.model';
import { bulkContractNumber, bulkLoadInvoices } from './bulkLoad';
import { depsOn, migrated, sqliteFile, withPeakRss } from './imports';
import { percentile } from './stats';

/**
 * The service-lines feed at EPM scale, on SQLite (issue #30):
 * - N invoices (N/2 contracts, two periods each) bulk-loaded, as bench/imports.ts loads them;
 * - the floor: their 4 lines each inserted with better-sqlite3 prepared statements in one
 *   transaction, each invoice's ids read from the table by a second connection (values made in
 *   the loop; no file, no checks);
 * - the import: the same lines as a CSV file through importInvoiceLines (streamed, checked line
 *   by line, each invoice's lines added up against its amount, replaced in time-sized
 *   transactions), then the same file again (all unchanged);
 * - consumption: a contract with 36 periods of lines in the full table, read 200 times through
 *   meteredConsumption, with SQLite's plan for both of its statements.
 *
 *   BENCH_LINE_INVOICES=1000000 npm run build && node dist/bench/invoiceLines.js
 */
const INVOICES = Number(process.env.BENCH_LINE_INVOICES ?? 1_000_000);
const PERIODS = ['2026-10', '2026-11'];
const FIRST_CONTRACT = 40_000_000;
const IMPORT_ONLY = '--import-only';

/** Invoice i's four lines (energy, water, waste, a subsidy or a contribution), adding up to its amount. */
function linesOf(i: number): { service: string; concept: string; unit: string; quantity: string; amount: number }[] {
  const amount = 100_000 + (i % 900_000);
  const kWh = 80 + (i % 250);
  const m3 = 6 + (i % 20);
  const energy = Math.round(amount * 0.6);
  const water = Math.round(amount * 0.3);
  const waste = Math.round(amount * 0.15);
  return [
    { service: 'ENERGIA', concept: 'Consumo energía', unit: 'kWh', quantity: `${kWh}.000`, amount: energy },
    { service: 'ACUEDUCTO', concept: 'Consumo acueducto', unit: 'm3', quantity: `${m3}.500`, amount: water },
    { service: 'ASEO', concept: 'Recolección y barrido', unit: '', quantity: '', amount: waste },
    {
      service: 'ENERGIA',
      concept: 'Subsidio estrato 2',
      unit: '',
      quantity: '',
      amount: amount - energy - water - waste,
    },
  ];
}

const invoiceNumberOf = (i: number) =>
  `F-${bulkContractNumber({ firstNumber: FIRST_CONTRACT }, Math.floor(i / PERIODS.length))}-${PERIODS[i % PERIODS.length]}`;

async function writeLinesFeed(file: string): Promise<number> {
  const out = fs.createWriteStream(file);
  out.write(INVOICE_LINE_FEED_COLUMNS.join(',') + '\n');
  let lines = 0;
  for (let i = 0; i < INVOICES; i++) {
    const number = invoiceNumberOf(i);
    for (const l of linesOf(i)) {
      lines++;
      if (!out.write(`${number},${l.service},${l.concept},${l.unit},${l.quantity},${l.amount}\n`))
        await once(out, 'drain');
    }
  }
  out.end();
  await once(out, 'finish');
  return lines;
}

/** The floor: the same lines by prepared statements in one transaction; the ids read as they go. */
function rawLineInserts(file: string): void {
  const reader = new Database(file, { readonly: true });
  const writer = new Database(file);
  writer.pragma('journal_mode = WAL');
  writer.pragma('synchronous = NORMAL');
  writer.pragma('foreign_keys = ON');
  writer.pragma('cache_size = -524288');
  const insert = writer.prepare(
    'INSERT INTO invoice_lines (id, invoice_id, contract_id, period, line_no, service, concept, unit, quantity, amount) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const byNumber = reader.prepare('SELECT id, contract_id, period FROM invoices WHERE number = ?');
  const now = Date.now();
  writer.transaction(() => {
    for (let i = 0; i < INVOICES; i++) {
      const invoice = byNumber.get(invoiceNumberOf(i)) as { id: string; contract_id: string; period: string };
      linesOf(i).forEach((l, n) =>
        insert.run(
          newId(now),
          invoice.id,
          invoice.contract_id,
          invoice.period,
          n + 1,
          l.service,
          l.concept,
          l.unit || null,
          l.quantity ? Number(l.quantity) : null,
          l.amount,
        ),
      );
    }
  })();
  reader.close();
  writer.close();
}

/** One contract with 36 periods of lines (2024-01 … 2026-12) among everything else. */
function contractWith36Periods(file: string): string {
  const db = new Database(file);
  const now = Date.now();
  const contractId = newId(now);
  db.prepare(
    "INSERT INTO contracts (id, number, holder_name, holder_document_type, holder_document_number, address, city, stratum, services, created_at) VALUES (?, '39999999', 'Cliente', 'CC', '1', 'Calle 1', 'Medellín', 3, 'Energía', ?)",
  ).run(contractId, now);
  const invoice = db.prepare(
    "INSERT INTO invoices (id, contract_id, number, period, issue_date, due_date, amount, status, paid_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'PAID', ?, ?, ?)",
  );
  const line = db.prepare(
    "INSERT INTO invoice_lines (id, invoice_id, contract_id, period, line_no, service, concept, unit, quantity, amount) VALUES (?, ?, ?, ?, 1, 'ENERGIA', 'Consumo energía', 'kWh', ?, ?)",
  );
  db.transaction(() => {
    for (let m = 0; m < 36; m++) {
      const period = `${2024 + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}`;
      const id = newId(now);
      invoice.run(
        id,
        contractId,
        `F-39999999-${period}`,
        period,
        `${period}-20`,
        `${period}-28`,
        91_200,
        now,
        now,
        now,
      );
      line.run(newId(now), id, contractId, period, 100 + m, 91_200);
    }
  })();
  db.close();
  return contractId;
}

export async function benchInvoiceLines(dir: string) {
  // The invoices, loaded once and copied: the floor and the import start from the same file.
  const base = sqliteFile(dir, 'lines-base.sqlite');
  await (await migrated(base)).destroy();
  bulkLoadInvoices(base, { contracts: INVOICES / 2, periods: PERIODS, firstNumber: FIRST_CONTRACT });
  const floorFile = sqliteFile(dir, 'lines-floor.sqlite');
  const importFile = sqliteFile(dir, 'lines-import.sqlite');
  fs.copyFileSync(base, floorFile);
  fs.copyFileSync(base, importFile);
  fs.rmSync(base);

  const csv = path.join(dir, 'lineas.csv');
  const lines = await writeLinesFeed(csv);
  // The import in a process of its own: the bulk load's and the floor's 512 MiB page caches, once
  // freed, stay in this process's RSS (glibc keeps them) and would be counted as the import's.
  const { first, again } = await importInChild(importFile, csv);

  const floor = await withPeakRss(async () => rawLineInserts(floorFile));
  fs.rmSync(floorFile);

  const contractId = contractWith36Periods(importFile);
  const reopened = await migrated(importFile);
  const times: number[] = [];
  let periods = 0;
  for (let i = 0; i < 200; i++) {
    const started = performance.now();
    const result = await meteredConsumption(reopened, contractId, 36);
    times.push(performance.now() - started);
    periods = result[0]?.periods.length ?? 0;
  }
  const plan = async (sql: string, bindings: unknown[]) =>
    (await reopened.raw<{ detail: string }[]>(`EXPLAIN QUERY PLAN ${sql}`, bindings as string[])).map(
      (row) => row.detail,
    );
  const latestSql = invoiceLineQueries.latestPeriods(reopened, contractId, 36).toSQL().toNative();
  const thirtySix = Array.from(
    { length: 36 },
    (_, m) => `${2024 + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}`,
  );
  const consumptionSql = invoiceLineQueries.consumption(reopened, contractId, thirtySix).toSQL().toNative();
  const plans = {
    latestPeriods: await plan(latestSql.sql, [...latestSql.bindings]),
    consumption: await plan(consumptionSql.sql, [...consumptionSql.bindings]),
  };
  await reopened.destroy();

  const perSecond = (n: number, ms: number) => Math.round((n / ms) * 1000);
  return {
    invoices: INVOICES,
    lines,
    fileMiB: +(fs.statSync(csv).size / 2 ** 20).toFixed(1),
    floorMs: Math.round(floor.ms),
    floorLinesPerSecond: perSecond(lines, floor.ms),
    importMs: Math.round(first.ms),
    importLinesPerSecond: perSecond(lines, first.ms),
    ratioToFloor: +(floor.ms / first.ms).toFixed(2),
    counts: first.counts,
    againMs: Math.round(again.ms),
    againCounts: again.counts,
    // The import's process: its peak over both runs, and after the first one.
    peakRssMiB: { floor: floor.peakRssMiB, import: first.peakRssMiB, again: again.peakRssMiB },
    consumption36: {
      periods,
      medianMs: +percentile(times, 50).toFixed(2),
      p99Ms: +percentile(times, 99).toFixed(2),
      plans,
    },
  };
}

type ChildRun = { ms: number; counts: Record<string, number>; peakRssMiB: number };

/** Runs the import twice in a child process and reads its report (one JSON line on stdout). */
async function importInChild(file: string, csv: string): Promise<{ first: ChildRun; again: ChildRun }> {
  const child = spawn(process.execPath, [...process.execArgv, __filename, IMPORT_ONLY, file, csv], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the import's process exited with ${code}`);
  return JSON.parse(output) as { first: ChildRun; again: ChildRun };
}

/**
 * This process's peak RSS: the kernel's high-water mark of its own memory (VmHWM), so no sampling
 * misses a peak. Not getrusage's maxRSS: Linux carries that across fork and exec, so a child
 * would report the parent's RSS at the spawn (here the bulk load's page cache).
 */
function peakRssMiB(): number {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const kib = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  return Math.round((kib ? Number(kib) : process.resourceUsage().maxRSS) / 1024);
}

/** The child's side: the import and the same file again, each with the process's peak RSS after it. */
async function importOnly(file: string, csv: string) {
  const db = await migrated(file);
  const deps = depsOn(db);
  const run = async (): Promise<ChildRun> => {
    const started = performance.now();
    const report = await importInvoiceLines(deps, fs.createReadStream(csv), { source: 'CLI', fileName: 'lineas.csv' });
    return { ms: performance.now() - started, counts: report.counts, peakRssMiB: peakRssMiB() };
  };
  const first = await run();
  const again = await run();
  await db.destroy();
  process.stdout.write(JSON.stringify({ first, again }));
}

if (require.main === module && process.argv[2] === IMPORT_ONLY) {
  importOnly(process.argv[3] ?? '', process.argv[4] ?? '').catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else if (require.main === module) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cuponeras-bench-lines-'));
  benchInvoiceLines(dir)
    .then((results) => {
      console.log(JSON.stringify(results, null, 2));
      fs.rmSync(dir, { recursive: true, force: true });
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
