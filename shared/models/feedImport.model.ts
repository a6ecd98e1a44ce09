import { z } from 'zod';

import { asDate, asOptionalDate, type DbOrTx } from '../clients/sql.client';
import { newId } from './ids';

/** Where a file came from: the command line, a blob dropped in storage, or an operator's upload. */
export const LOAD_SOURCES = ['CLI', 'BLOB', 'UPLOAD'] as const;
export type LoadSource = (typeof LOAD_SOURCES)[number];

/** Which feed a run loads: the invoices, or their service lines (docs/billing-feed.md). */
export const FEEDS = ['invoices', 'invoice-lines'] as const;
export type Feed = (typeof FEEDS)[number];

export const IMPORT_STATUSES = ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/** Rejected lines kept per import with their reason; the count covers them all. */
export const MAX_REPORTED_ERRORS = 1000;

export interface ImportCounts {
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

export interface LineError {
  line: number;
  reason: string;
}

export interface FeedImport {
  id: string;
  feed: Feed;
  source: LoadSource;
  fileName: string;
  status: ImportStatus;
  lines: number;
  counts: ImportCounts;
  error: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

export const feedImportJsonSchema = z
  .object({
    id: z.string(),
    feed: z.enum(FEEDS).describe('invoices (the billing feed) or invoice-lines (their service lines)'),
    source: z.enum(LOAD_SOURCES),
    fileName: z.string(),
    status: z.enum(IMPORT_STATUSES).describe('QUEUED → RUNNING → COMPLETED, or FAILED when the file could not be read'),
    lines: z.number().int().describe('Data lines read (the header not counted)'),
    counts: z.object({
      inserted: z.number().int(),
      updated: z.number().int(),
      unchanged: z.number().int(),
      rejected: z.number().int(),
    }),
    errors: z
      .array(
        z.object({ line: z.number().int().describe('Line in the file; the header is line 1'), reason: z.string() }),
      )
      .describe(`Rejected lines, in file order (the first ${MAX_REPORTED_ERRORS})`),
    error: z.string().nullable().describe('Why the file as a whole could not be read (FAILED)'),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'InvoiceImport' });
export type FeedImportJson = z.infer<typeof feedImportJsonSchema>;

export function feedImportToJson(run: FeedImport, errors: LineError[]): FeedImportJson {
  return {
    id: run.id,
    feed: run.feed,
    source: run.source,
    fileName: run.fileName,
    status: run.status,
    lines: run.lines,
    counts: run.counts,
    errors,
    error: run.error,
    createdAt: run.createdAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
  };
}

const fromRow = (row: Record<string, unknown>): FeedImport => ({
  id: String(row.id),
  feed: (row.feed as Feed | undefined) ?? 'invoices',
  source: row.source as LoadSource,
  fileName: String(row.file_name),
  status: row.status as ImportStatus,
  lines: Number(row.lines),
  counts: {
    inserted: Number(row.inserted),
    updated: Number(row.updated),
    unchanged: Number(row.unchanged),
    rejected: Number(row.rejected),
  },
  error: (row.error as string | null) ?? null,
  createdAt: asDate(row.created_at),
  finishedAt: asOptionalDate(row.finished_at),
});

export const feedImportQueries = {
  byId: (db: DbOrTx, id: string) => db('invoice_imports').where({ id }).first(),
  errors: (db: DbOrTx, id: string) =>
    db('invoice_import_errors').where({ import_id: id }).orderBy('line').select('line', 'reason'),
};

export async function insertImport(
  db: DbOrTx,
  run: { feed?: Feed; source: LoadSource; fileName: string; status: ImportStatus; createdBy?: string; now: Date },
): Promise<string> {
  const id = newId(run.now.getTime());
  await db('invoice_imports').insert({
    id,
    feed: run.feed ?? 'invoices',
    source: run.source,
    file_name: run.fileName.slice(0, 260),
    status: run.status,
    created_by: run.createdBy ?? null,
    created_at: run.now,
  });
  return id;
}

export async function renameImport(db: DbOrTx, id: string, fileName: string): Promise<void> {
  await db('invoice_imports').where({ id }).update({ file_name: fileName });
}

/** An upload whose file could not be stored: nothing refers to it yet. */
export async function deleteQueuedImport(db: DbOrTx, id: string): Promise<void> {
  await db('invoice_imports').where({ id, status: 'QUEUED' }).delete();
}

export async function findImport(db: DbOrTx, id: string): Promise<FeedImport | undefined> {
  const row = (await feedImportQueries.byId(db, id)) as Record<string, unknown> | undefined;
  return row ? fromRow(row) : undefined;
}

export async function importErrors(db: DbOrTx, id: string): Promise<LineError[]> {
  return ((await feedImportQueries.errors(db, id)) as Record<string, unknown>[]).map((row) => ({
    line: Number(row.line),
    reason: String(row.reason),
  }));
}

/** A run starts (or starts again after a failure): its counts and errors are those of this run. */
export async function restartImport(db: DbOrTx, id: string): Promise<void> {
  await db('invoice_import_errors').where({ import_id: id }).delete();
  await db('invoice_imports')
    .where({ id })
    .update({ status: 'RUNNING', lines: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0, error: null });
}

/** Adds one batch's counts and errors, in the batch's own transaction: progress survives a crash. */
export async function recordImportBatch(
  db: DbOrTx,
  id: string,
  batch: { lines: number; counts: ImportCounts; errors: LineError[] },
): Promise<void> {
  if (batch.errors.length > 0) {
    const rows = batch.errors.map((e) => ({ import_id: id, line: e.line, reason: e.reason.slice(0, 300) }));
    for (let i = 0; i < rows.length; i += 500) await db('invoice_import_errors').insert(rows.slice(i, i + 500));
  }
  await db('invoice_imports').where({ id }).increment({
    lines: batch.lines,
    inserted: batch.counts.inserted,
    updated: batch.counts.updated,
    unchanged: batch.counts.unchanged,
    rejected: batch.counts.rejected,
  });
}

export async function finishImport(
  db: DbOrTx,
  id: string,
  outcome: { status: 'COMPLETED' | 'FAILED'; error?: string; now: Date },
): Promise<void> {
  await db('invoice_imports')
    .where({ id })
    .update({ status: outcome.status, error: outcome.error?.slice(0, 500) ?? null, finished_at: outcome.now });
}
