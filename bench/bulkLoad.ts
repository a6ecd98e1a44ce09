import Database from 'better-sqlite3';

import { newId } from '../shared/models/ids';

/**
 * The raw driver loop that loads invoices: better-sqlite3 prepared statements, the values made in
 * the loop, no file and no checks. It is the import benchmark's floor, and the way the EPM-scale
 * benchmark fills millions of rows in minutes instead of the import's hour (bench/scale.ts).
 * Line i is contract ⌊i / periods⌋ in period i mod periods, with the same values the billing-feed
 * CSV of bench/imports.ts carries for it.
 */
export interface BulkLoad {
  contracts: number;
  /** Billing periods per contract, oldest first ('2026-10'). */
  periods: string[];
  /** Contract numbers are firstNumber, firstNumber + 1, … */
  firstNumber: number;
  /** How many of the newest periods stay UNPAID; the older ones are PAID. */
  unpaidPeriods?: number;
  /** Commit every so many lines (one transaction when absent). */
  linesPerTransaction?: number;
}

export const bulkContractNumber = (load: Pick<BulkLoad, 'firstNumber'>, contract: number) =>
  String(load.firstNumber + contract);

export function bulkLoadInvoices(file: string, load: BulkLoad): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('cache_size = -524288'); // 512 MiB: millions of random-keyed index entries
  const contract = db.prepare(
    'INSERT INTO contracts (id, number, holder_name, holder_document_type, holder_document_number, address, city, stratum, services, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const invoice = db.prepare(
    'INSERT INTO invoices (id, contract_id, number, period, issue_date, due_date, amount, status, paid_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const periods = load.periods.length;
  const unpaidFrom = periods - (load.unpaidPeriods ?? periods);
  const lines = load.contracts * periods;
  const perTransaction = load.linesPerTransaction ?? lines;
  const now = Date.now();
  let contractId = '';
  const insertLines = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const c = Math.floor(i / periods);
      const p = i % periods;
      const number = bulkContractNumber(load, c);
      const period = load.periods[p] as string;
      if (p === 0) {
        contractId = newId(now);
        contract.run(
          contractId,
          number,
          `Cliente ${number}`,
          'CC',
          String(10_000_000 + c),
          `Calle ${i % 100} # ${i % 90}-${i % 50}, Laureles`,
          'Medellín',
          (i % 6) + 1,
          'Energía, Acueducto',
          now,
        );
      }
      const paid = p < unpaidFrom;
      invoice.run(
        newId(now),
        contractId,
        `F-${number}-${period}`,
        period,
        `${period}-20`,
        `${period}-28`,
        100_000 + (i % 900_000),
        paid ? 'PAID' : 'UNPAID',
        paid ? now : null,
        now,
        now,
      );
    }
  });
  for (let from = 0; from < lines; from += perTransaction) insertLines(from, Math.min(lines, from + perTransaction));
  db.close();
}
