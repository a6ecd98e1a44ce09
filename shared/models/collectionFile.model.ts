import { z } from 'zod';

import { asDate, asDay, asOptionalDate, type DbOrTx, isUniqueViolation } from '../clients/sql.client';
import type { FileHeader, VerifiedFile } from '../formats/asobancaria';
import type { CollectionOutcome } from './collectionRecord.model';
import type { LoadSource } from './feedImport.model';
import { LOAD_SOURCES } from './feedImport.model';
import { newId } from './ids';
import { pesos } from './money';
export const COLLECTION_STATUSES = ['QUEUED', 'APPLYING', 'COMPLETED', 'REJECTED'] as const;
export type CollectionStatus = (typeof COLLECTION_STATUSES)[number];

export interface CollectionCounts {
  records: number;
  applied: number;
  duplicate: number;
  conflictingDuplicate: number;
  alreadyPaid: number;
  amountMismatch: number;
  unknownReference: number;
}

/** Each outcome's count, as the API names it and as collection_files stores it. */
const COUNT_OF: Record<CollectionOutcome, { key: Exclude<keyof CollectionCounts, 'records'>; column: string }> = {
  APPLIED: { key: 'applied', column: 'applied' },
  DUPLICATE: { key: 'duplicate', column: 'duplicate' },
  CONFLICTING_DUPLICATE: { key: 'conflictingDuplicate', column: 'conflicting_duplicate' },
  ALREADY_PAID: { key: 'alreadyPaid', column: 'already_paid' },
  AMOUNT_MISMATCH: { key: 'amountMismatch', column: 'amount_mismatch' },
  UNKNOWN_REFERENCE: { key: 'unknownReference', column: 'unknown_reference' },
};

export interface CollectionFile {
  id: string;
  contentHash: string;
  source: LoadSource;
  fileName: string;
  status: CollectionStatus;
  error: string | null;
  bankCode: string | null;
  billerNit: string | null;
  collectionDate: string | null;
  recordCount: number;
  totalCents: number;
  counts: CollectionCounts;
  appliedCents: number;
  createdAt: Date;
  finishedAt: Date | null;
}

const countsSchema = z.object({
  records: z.number().int().describe('Detail records the file declares (its control 09)'),
  applied: z.number().int(),
  duplicate: z.number().int().describe('The same payment sent again (bank, day, authorization, reference, amount)'),
  conflictingDuplicate: z
    .number()
    .int()
    .describe('A bank key (bank, day, authorization) already used by a record with another reference or amount'),
  alreadyPaid: z.number().int(),
  amountMismatch: z.number().int(),
  unknownReference: z.number().int(),
});

export const collectionSummaryJsonSchema = z
  .object({
    id: z.string(),
    source: z.enum(LOAD_SOURCES),
    fileName: z.string(),
    status: z.enum(COLLECTION_STATUSES),
    error: z.string().nullable().describe('REJECTED: the first offending line and why'),
    bankCode: z.string().nullable(),
    billerNit: z.string().nullable(),
    collectionDate: z.string().nullable().describe('YYYY-MM-DD, from the file header'),
    counts: countsSchema,
    reportedTotal: z.number().describe('Pesos the bank reports (control 09)'),
    appliedTotal: z.number().describe('Pesos applied to invoices'),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'CollectionFile' });
export type CollectionSummaryJson = z.infer<typeof collectionSummaryJsonSchema>;

export function collectionToJson(file: CollectionFile): CollectionSummaryJson {
  return {
    id: file.id,
    source: file.source,
    fileName: file.fileName,
    status: file.status,
    error: file.error,
    bankCode: file.bankCode,
    billerNit: file.billerNit,
    collectionDate: file.collectionDate,
    counts: file.counts,
    reportedTotal: pesos(file.totalCents),
    appliedTotal: pesos(file.appliedCents),
    createdAt: file.createdAt.toISOString(),
    finishedAt: file.finishedAt?.toISOString() ?? null,
  };
}

const fileFromRow = (row: Record<string, unknown>): CollectionFile => ({
  id: String(row.id),
  contentHash: String(row.content_hash),
  source: row.source as LoadSource,
  fileName: String(row.file_name),
  status: row.status as CollectionStatus,
  error: (row.error as string | null) ?? null,
  bankCode: (row.bank_code as string | null) ?? null,
  billerNit: (row.biller_nit as string | null) ?? null,
  collectionDate: row.collection_date === null || row.collection_date === undefined ? null : asDay(row.collection_date),
  recordCount: Number(row.record_count),
  totalCents: Number(row.total_cents),
  counts: {
    records: Number(row.record_count),
    applied: Number(row.applied),
    duplicate: Number(row.duplicate),
    conflictingDuplicate: Number(row.conflicting_duplicate ?? 0),
    alreadyPaid: Number(row.already_paid),
    amountMismatch: Number(row.amount_mismatch),
    unknownReference: Number(row.unknown_reference),
  },
  appliedCents: Number(row.applied_cents),
  createdAt: asDate(row.created_at),
  finishedAt: asOptionalDate(row.finished_at),
});

export const collectionFileQueries = {
  byId: (db: DbOrTx, id: string) => db('collection_files').where({ id }).first(),
  byHash: (db: DbOrTx, contentHash: string) => db('collection_files').where({ content_hash: contentHash }).first(),
  outcomeTotals: (db: DbOrTx, fileId: string) =>
    db('collection_records')
      .where({ file_id: fileId })
      .groupBy('outcome')
      .select('outcome', db.raw('COUNT(*) AS records'), db.raw('SUM(amount_cents) AS cents')),
  /** Files received in a period, newest first (reconciliation). */
  list: (db: DbOrTx, range: { from?: Date; to?: Date }, limit: number) => {
    const query = db('collection_files');
    if (range.from) void query.where('created_at', '>=', range.from);
    if (range.to) void query.where('created_at', '<', range.to);
    return query
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit)
      .select('*');
  },
};

export async function findCollection(db: DbOrTx, id: string): Promise<CollectionFile | undefined> {
  const row = (await collectionFileQueries.byId(db, id)) as Record<string, unknown> | undefined;
  return row ? fileFromRow(row) : undefined;
}

export async function findCollectionByHash(db: DbOrTx, contentHash: string): Promise<CollectionFile | undefined> {
  const row = (await collectionFileQueries.byHash(db, contentHash)) as Record<string, unknown> | undefined;
  return row ? fileFromRow(row) : undefined;
}

/** A new file by its content hash, or the id of the file that already has that content. */
export async function insertCollectionFile(
  db: DbOrTx,
  file: {
    contentHash: string;
    source: LoadSource;
    fileName: string;
    status: 'QUEUED' | 'APPLYING' | 'REJECTED';
    error?: string;
    createdBy?: string;
    now: Date;
  },
): Promise<{ id: string; created: boolean }> {
  const id = newId(file.now.getTime());
  try {
    await db('collection_files').insert({
      id,
      content_hash: file.contentHash,
      source: file.source,
      file_name: file.fileName.slice(0, 260),
      status: file.status,
      error: file.error?.slice(0, 500) ?? null,
      created_by: file.createdBy ?? null,
      created_at: file.now,
      finished_at: file.status === 'REJECTED' ? file.now : null,
    });
    return { id, created: true };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const existing = await findCollectionByHash(db, file.contentHash);
    if (!existing) throw error;
    return { id: existing.id, created: false };
  }
}

export async function renameCollection(db: DbOrTx, id: string, fileName: string): Promise<void> {
  await db('collection_files').where({ id }).update({ file_name: fileName });
}

/** An upload whose file could not be stored: nothing refers to it yet. */
export async function deleteQueuedCollection(db: DbOrTx, id: string): Promise<void> {
  await db('collection_files').where({ id, status: 'QUEUED' }).delete();
}

/** The verified header and controls, and the file is being applied. */
export async function markCollectionApplying(db: DbOrTx, id: string, verified: VerifiedFile): Promise<void> {
  const h: FileHeader = verified.header;
  await db('collection_files').where({ id }).update({
    status: 'APPLYING',
    biller_nit: h.billerNit,
    bank_code: h.bankCode,
    account: h.account,
    collection_date: h.collectionDate,
    record_count: verified.recordCount,
    total_cents: verified.totalCents,
  });
}

export async function markCollectionRejected(db: DbOrTx, id: string, error: string, now: Date): Promise<void> {
  await db('collection_files')
    .where({ id })
    .update({ status: 'REJECTED', error: error.slice(0, 500), finished_at: now });
}

/** A file's records folded by outcome: the count and centavos of each. */
async function outcomeTotals(
  db: DbOrTx,
  fileId: string,
): Promise<{ counts: Omit<CollectionCounts, 'records'>; appliedCents: number }> {
  const counts = Object.fromEntries(Object.values(COUNT_OF).map(({ key }) => [key, 0])) as Omit<
    CollectionCounts,
    'records'
  >;
  let appliedCents = 0;
  for (const row of (await collectionFileQueries.outcomeTotals(db, fileId)) as Record<string, unknown>[]) {
    const outcome = row.outcome as CollectionOutcome;
    counts[COUNT_OF[outcome].key] = Number(row.records);
    if (outcome === 'APPLIED') appliedCents = Number(row.cents);
  }
  return { counts, appliedCents };
}

/** Counts the file's records by outcome (from the records themselves, so a resumed run counts right). */
export async function finishCollection(db: DbOrTx, id: string, now: Date): Promise<void> {
  const totals = await outcomeTotals(db, id);
  const update: Record<string, unknown> = { status: 'COMPLETED', finished_at: now, applied_cents: totals.appliedCents };
  for (const { key, column } of Object.values(COUNT_OF)) update[column] = totals.counts[key];
  await db('collection_files').where({ id }).update(update);
}

/** A file's counts while it is being applied (the stored ones once it is done). */
export async function liveCollectionCounts(
  db: DbOrTx,
  file: CollectionFile,
): Promise<{ counts: CollectionCounts; appliedCents: number }> {
  if (file.status !== 'APPLYING' && file.status !== 'QUEUED')
    return { counts: file.counts, appliedCents: file.appliedCents };
  const totals = await outcomeTotals(db, file.id);
  return { counts: { records: file.counts.records, ...totals.counts }, appliedCents: totals.appliedCents };
}

export async function listCollections(
  db: DbOrTx,
  range: { from?: Date; to?: Date },
  limit: number,
): Promise<CollectionFile[]> {
  return ((await collectionFileQueries.list(db, range, limit)) as Record<string, unknown>[]).map(fileFromRow);
}
