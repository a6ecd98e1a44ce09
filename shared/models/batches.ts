import { type DbOrTx, isTsql } from '../clients/sql.client';

/**
 * How long one batch of a timer's work may hold the database. On SQLite a batch holds what every
 * request needs (the one writer, the one connection, the app's thread), so a payment that arrives
 * meanwhile waits for it: at most about this long, whatever a row costs on a table of millions.
 * On T-SQL a batch locks only its own rows and its time is mostly round trips: no bound.
 */
export function batchTimeBudgetMs(db: DbOrTx): number | undefined {
  return isTsql(db) ? undefined : 20;
}

const SMALLEST_BATCH = 50;

/**
 * The next batch's size after one of `size` rows took `tookMs`: halved when it took longer than the
 * budget, doubled again (up to `largest`) when it took under half of it.
 */
export function nextBatchSize(budgetMs: number | undefined, size: number, tookMs: number, largest: number): number {
  if (budgetMs === undefined) return size;
  if (tookMs > budgetMs) return Math.max(SMALLEST_BATCH, Math.floor(size / 2));
  if (tookMs < budgetMs / 2) return Math.min(largest, size * 2);
  return size;
}
