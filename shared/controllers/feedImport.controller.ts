import type { z } from 'zod';

import { type BlobStore, CONTAINERS } from '../clients/blob.client';
import { inTransaction } from '../clients/sql.client';
import { AppError } from '../errors';
import { storeUpload } from '../fileUpload';
import { BatchPacer, giveWay } from '../load';
import { insertAudit } from '../models/audit.model';
import {
  deleteQueuedImport,
  type Feed,
  type FeedImportJson,
  feedImportToJson,
  findImport,
  finishImport,
  type ImportCounts,
  importErrors,
  insertImport,
  type LineError,
  type LoadSource,
  MAX_REPORTED_ERRORS,
  renameImport,
  restartImport,
} from '../models/feedImport.model';
import { idSchema } from '../models/ids';
import type { BillingDeps } from '../services';

/**
 * Lines per database transaction, by time. Fewer, larger batches import faster (each commit
 * rewrites the index pages it touched), but while a batch is read, checked and written it holds
 * the event loop and the database (SQLite's one connection, its write lock), and requests wait.
 * So while requests come a batch takes about 8 ms; with none for 2 s, about 250 ms; and between
 * batches the import gives way (bench/RESULTS.md, "Imports under load").
 */
export const IMPORT_BATCH_LINES = { min: 50, max: 5000, busyBudgetMs: 8, idleBudgetMs: 250 };

export interface ImportRequest {
  source: LoadSource;
  fileName: string;
  /** The operator who uploaded it. */
  createdBy?: string;
  /** A run created earlier (an upload waiting for its blob trigger): it is run, or run again. */
  importId?: string;
}

export interface ImportProgress {
  lines: number;
  counts: ImportCounts;
}

/** A run's batches: sized by time (IMPORT_BATCH_LINES), counted, reported, and the event loop given back after each. */
export class RunPacing {
  readonly total: ImportProgress = { lines: 0, counts: { inserted: 0, updated: 0, unchanged: 0, rejected: 0 } };
  private readonly pacer = new BatchPacer(IMPORT_BATCH_LINES);
  private started = performance.now();

  constructor(private readonly onProgress?: (progress: ImportProgress) => void) {}

  size(): number {
    return this.pacer.size();
  }

  async settled(lines: number, counts: ImportCounts): Promise<void> {
    this.pacer.took(lines, performance.now() - this.started);
    this.total.lines += lines;
    for (const key of Object.keys(counts) as (keyof ImportCounts)[]) this.total.counts[key] += counts[key];
    this.onProgress?.(this.total);
    await giveWay();
    this.started = performance.now();
  }
}

/** A batch's rejected lines: all counted, the first MAX_REPORTED_ERRORS of the import kept with their reason. */
export class Rejections {
  private kept = 0;
  batchCount = 0;
  batchErrors: LineError[] = [];

  add(line: number, reason: string): void {
    this.batchCount++;
    if (this.kept < MAX_REPORTED_ERRORS) {
      this.batchErrors.push({ line, reason });
      this.kept++;
    }
  }

  /** Forgets this batch (its transaction failed and runs again), keeping the cap right. */
  rollBack(toCount: number, toErrors: number): void {
    this.kept -= this.batchErrors.length - toErrors;
    this.batchCount = toCount;
    this.batchErrors = this.batchErrors.slice(0, toErrors);
  }

  next(): void {
    this.batchCount = 0;
    this.batchErrors = [];
  }
}

export async function startRun(
  deps: Pick<BillingDeps, 'db' | 'clock'>,
  request: ImportRequest & { feed?: Feed },
): Promise<string> {
  const feed = request.feed ?? 'invoices';
  // An upload's run, found by its blob's name, and only for the feed whose container holds the blob.
  if (request.importId && (await findImport(deps.db, request.importId))?.feed === feed) {
    await inTransaction(deps.db, (tx) => restartImport(tx, request.importId as string));
    return request.importId;
  }
  return insertImport(deps.db, { ...request, status: 'RUNNING', now: deps.clock.now() });
}

/**
 * A feed's header row: its columns in this order, then any of its optional columns in their
 * order, or the file is refused whole. Returns the columns the file has.
 */
export function checkFeedHeader(
  fields: string[],
  columns: readonly string[],
  optional: readonly string[] = [],
): readonly string[] {
  const names = fields.map((field) => field.trim().toLowerCase());
  const extra = names.slice(columns.length);
  if (names.slice(0, columns.length).join(',') !== columns.join(',') || extra.some((name, i) => name !== optional[i]))
    throw new AppError(
      'IMPORT_FILE_INVALID',
      `La línea 1 debe ser el encabezado: ${columns.join(',')}${optional.length > 0 ? ` (y opcionalmente ,${optional.join(',')})` : ''}.`,
    );
  return names;
}

/** One line of a feed by its columns and schema, or the reason it is refused ("column: why", once per column). */
export function parseFeedRow<S extends z.ZodType>(
  fields: string[],
  columns: readonly string[],
  schema: S,
): { data: z.output<S> } | { reason: string } {
  if (fields.length !== columns.length) {
    return { reason: `Tiene ${fields.length} columnas; se esperan ${columns.length}.` };
  }
  const record: Record<string, string> = {};
  columns.forEach((column, i) => (record[column] = fields[i] as string));
  const parsed = schema.safeParse(record);
  if (parsed.success) return { data: parsed.data };
  // "column: why", once per column, as the operator fixes the file column by column.
  const reasons = new Map<string, string>();
  for (const issue of parsed.error.issues) {
    const column = String(issue.path[0] ?? '');
    if (!reasons.has(column))
      reasons.set(column, issue.message.startsWith(`${column}:`) ? issue.message : `${column}: ${issue.message}`);
  }
  return { reason: [...reasons.values()].join(' ') };
}

/**
 * Runs an import to its end: COMPLETED, or FAILED with the reason an operator reads (the file's
 * own fault, or one it couldn't be read through), then the error rethrown.
 */
export async function settleRun(
  deps: Pick<BillingDeps, 'db' | 'clock'>,
  importId: string,
  work: () => Promise<void>,
): Promise<void> {
  try {
    await work();
    await finishImport(deps.db, importId, { status: 'COMPLETED', now: deps.clock.now() });
  } catch (error) {
    const reason =
      error instanceof AppError ? error.message : 'El archivo no se pudo leer completo; vuelva a cargarlo.';
    await finishImport(deps.db, importId, { status: 'FAILED', error: reason, now: deps.clock.now() }).catch(
      () => undefined, // the database itself is down: the run stays RUNNING and a retry restarts it
    );
    throw error;
  }
}

/** Where each feed's files land; the container's blob trigger imports them. */
export const FEED_CONTAINERS: Record<Feed, string> = {
  invoices: CONTAINERS.invoiceImports,
  'invoice-lines': CONTAINERS.invoiceLineImports,
};

const FEED_UPLOAD_AUDIT = { invoices: 'INVOICES_UPLOADED', 'invoice-lines': 'INVOICE_LINES_UPLOADED' } as const;

/**
 * POST /operator/imports/invoices and /operator/imports/invoice-lines: the run is registered
 * (QUEUED) and the file stored as the blob `<feed container>/<importId>.csv`, whose trigger
 * imports it; the operator follows it by its id. The same file uploaded again is a new run (the
 * feeds are idempotent: it reports every line unchanged).
 */
export async function uploadFeed(
  deps: Pick<BillingDeps, 'db' | 'clock'> & { blobs: BlobStore },
  feed: Feed,
  operatorId: string,
  file: Buffer,
): Promise<{ importId: string }> {
  const { id } = await storeUpload(
    deps,
    {
      container: FEED_CONTAINERS[feed],
      contentType: 'text/csv; charset=utf-8',
      blobName: importBlobName,
      audit: { action: FEED_UPLOAD_AUDIT[feed], subjectType: 'invoice_import' },
      register: async (tx, fileName, now) => ({
        id: await insertImport(tx, { feed, source: 'UPLOAD', fileName, status: 'QUEUED', createdBy: operatorId, now }),
        created: true,
      }),
      rename: renameImport,
      forget: deleteQueuedImport,
    },
    { operatorId, file },
  );
  return { importId: id };
}

/** The blob an upload is stored as: its run's id names it, so the trigger finds the run. */
export const importBlobName = (importId: string) => `${importId}.csv`;

/** The upload's run a blob belongs to (named by importBlobName), or undefined for a file the billing system dropped. */
export function importIdOfBlob(name: string): string | undefined {
  const id = idSchema.safeParse(name.replace(/\.csv$/i, ''));
  return id.success ? id.data : undefined;
}

/** GET /operator/imports/{importId}, audited. */
export async function viewImport(
  deps: Pick<BillingDeps, 'db' | 'clock'>,
  operatorId: string,
  importId: string,
): Promise<FeedImportJson> {
  const report = await importReport(deps, importId);
  await insertAudit(deps.db, {
    actorId: operatorId,
    action: 'IMPORT_VIEWED',
    subjectType: 'invoice_import',
    subjectId: importId,
    details: {},
    now: deps.clock.now(),
  });
  return report;
}

/** GET /operator/imports/{importId}: the run's status, counts and rejected lines. */
export async function importReport(deps: Pick<BillingDeps, 'db'>, importId: string): Promise<FeedImportJson> {
  const run = await findImport(deps.db, importId);
  if (!run) throw new AppError('IMPORT_NOT_FOUND');
  return feedImportToJson(run, await importErrors(deps.db, importId));
}
