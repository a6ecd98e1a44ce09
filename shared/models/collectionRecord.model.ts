import { z } from 'zod';

import { asDate, asDay, asOptionalDate, type DbOrTx } from '../clients/sql.client';
import type { DetailRecord } from '../formats/asobancaria';
import { newId } from './ids';
import { type Keyset, keysetPage, pageOfRows } from './keyset';
import { pesos } from './money';

/** What became of one detail record of a bank's collection file (docs/collections.md). */
export const COLLECTION_OUTCOMES = [
  'APPLIED',
  'DUPLICATE',
  'CONFLICTING_DUPLICATE',
  'ALREADY_PAID',
  'AMOUNT_MISMATCH',
  'UNKNOWN_REFERENCE',
] as const;
export type CollectionOutcome = (typeof COLLECTION_OUTCOMES)[number];
/**
 * Every record the bank reported that did not pay an invoice: money to refund, to reconcile with
 * the bank, or to match by hand. An operator resolves each (so a file's reported total minus its
 * applied total is always the sum of its exceptions).
 */
export type ExceptionOutcome = Exclude<CollectionOutcome, 'APPLIED'>;
export const EXCEPTION_OUTCOMES = COLLECTION_OUTCOMES.filter((o): o is ExceptionOutcome => o !== 'APPLIED') as [
  ExceptionOutcome,
  ...ExceptionOutcome[],
];

/** The earlier record a DUPLICATE repeats or a CONFLICTING_DUPLICATE contradicts. */
export interface ConflictingRecord {
  id: string;
  fileId: string;
  line: number;
  reference: string;
  amountCents: number;
  outcome: CollectionOutcome;
  couponCode: string | null;
  transactionId: string | null;
}

export interface CollectionRecord {
  id: string;
  fileId: string;
  bankCode: string;
  collectionDate: string | null;
  line: number;
  batchNumber: number;
  sequence: string;
  reference: string;
  authorization: string;
  amountCents: number;
  outcome: CollectionOutcome;
  couponExpired: boolean;
  couponCode: string | null;
  invoiceNumber: string | null;
  contractNumber: string | null;
  transactionId: string | null;
  conflictsWith: ConflictingRecord | null;
  createdAt: Date;
  resolvedAt: Date | null;
  resolution: string | null;
}

const conflictingRecordJsonSchema = z
  .object({
    id: z.string(),
    collectionId: z.string(),
    line: z.number().int(),
    reference: z.string(),
    amount: z.number().describe('Pesos'),
    outcome: z.enum(COLLECTION_OUTCOMES),
    couponCode: z.string().nullable(),
    transactionId: z.string().nullable(),
  })
  .meta({ id: 'ConflictingCollectionRecord' });

export const collectionRecordJsonSchema = z
  .object({
    id: z.string(),
    source: z.literal('COLLECTION').describe('Where the money came from: a bank collection file'),
    collectionId: z.string(),
    bankCode: z.string(),
    collectionDate: z.string().nullable().describe("YYYY-MM-DD, the file header's collection day"),
    line: z.number().int(),
    batchNumber: z.number().int(),
    sequence: z.string(),
    reference: z.string().describe('As the bank sent it (48 digits)'),
    authorization: z.string(),
    amount: z.number().describe('Pesos'),
    outcome: z.enum(COLLECTION_OUTCOMES),
    couponExpired: z.boolean().describe('Applied although the coupon had expired or was cancelled'),
    couponCode: z.string().nullable(),
    invoiceNumber: z.string().nullable(),
    contractNumber: z.string().nullable(),
    transactionId: z.string().nullable(),
    conflictsWith: conflictingRecordJsonSchema
      .nullable()
      .describe('DUPLICATE: the record it repeats; CONFLICTING_DUPLICATE: the record that holds its bank key'),
    resolvedAt: z.string().nullable(),
    resolution: z.string().nullable(),
  })
  .meta({ id: 'CollectionRecord' });
export type CollectionRecordJson = z.infer<typeof collectionRecordJsonSchema>;

export function collectionRecordToJson(r: CollectionRecord): CollectionRecordJson {
  const other = r.conflictsWith;
  return {
    id: r.id,
    source: 'COLLECTION',
    collectionId: r.fileId,
    bankCode: r.bankCode,
    collectionDate: r.collectionDate,
    line: r.line,
    batchNumber: r.batchNumber,
    sequence: r.sequence,
    reference: r.reference,
    authorization: r.authorization,
    amount: pesos(r.amountCents),
    outcome: r.outcome,
    couponExpired: r.couponExpired,
    couponCode: r.couponCode,
    invoiceNumber: r.invoiceNumber,
    contractNumber: r.contractNumber,
    transactionId: r.transactionId,
    conflictsWith: other
      ? {
          id: other.id,
          collectionId: other.fileId,
          line: other.line,
          reference: other.reference,
          amount: pesos(other.amountCents),
          outcome: other.outcome,
          couponCode: other.couponCode,
          transactionId: other.transactionId,
        }
      : null,
    resolvedAt: r.resolvedAt?.toISOString() ?? null,
    resolution: r.resolution,
  };
}

const RECORD_COLUMNS = [
  'r.id',
  'r.file_id',
  'r.bank_code',
  'r.collection_date',
  'r.line',
  'r.batch_number',
  'r.sequence_number',
  'r.reference',
  'r.authorization_number',
  'r.amount_cents',
  'r.outcome',
  'r.coupon_expired',
  'k.code as coupon_code',
  'i.number as invoice_number',
  'c.number as contract_number',
  'r.transaction_id',
  'r.created_at',
  'r.resolved_at',
  'r.resolution',
  'o.id as other_id',
  'o.file_id as other_file_id',
  'o.line as other_line',
  'o.reference as other_reference',
  'o.amount_cents as other_amount_cents',
  'o.outcome as other_outcome',
  'ok.code as other_coupon_code',
  'o.transaction_id as other_transaction_id',
];

const recordFromRow = (row: Record<string, unknown>): CollectionRecord => ({
  id: String(row.id),
  fileId: String(row.file_id),
  bankCode: String(row.bank_code),
  collectionDate: row.collection_date === null || row.collection_date === undefined ? null : asDay(row.collection_date),
  line: Number(row.line),
  batchNumber: Number(row.batch_number),
  sequence: String(row.sequence_number),
  reference: String(row.reference),
  authorization: String(row.authorization_number),
  amountCents: Number(row.amount_cents),
  outcome: row.outcome as CollectionOutcome,
  couponExpired: Boolean(row.coupon_expired),
  couponCode: (row.coupon_code as string | null) ?? null,
  invoiceNumber: (row.invoice_number as string | null) ?? null,
  contractNumber: (row.contract_number as string | null) ?? null,
  transactionId: (row.transaction_id as string | null) ?? null,
  conflictsWith:
    row.other_id === null || row.other_id === undefined
      ? null
      : {
          id: row.other_id as string,
          fileId: String(row.other_file_id),
          line: Number(row.other_line),
          reference: String(row.other_reference),
          amountCents: Number(row.other_amount_cents),
          outcome: row.other_outcome as CollectionOutcome,
          couponCode: (row.other_coupon_code as string | null) ?? null,
          transactionId: (row.other_transaction_id as string | null) ?? null,
        },
  createdAt: asDate(row.created_at),
  resolvedAt: asOptionalDate(row.resolved_at),
  resolution: (row.resolution as string | null) ?? null,
});

function withDetails(db: DbOrTx) {
  return db('collection_records as r')
    .leftJoin('coupons as k', 'k.id', 'r.coupon_id')
    .leftJoin('invoices as i', 'i.id', 'r.invoice_id')
    .leftJoin('contracts as c', 'c.id', 'i.contract_id')
    .leftJoin('collection_records as o', 'o.id', 'r.conflict_record_id')
    .leftJoin('coupons as ok', 'ok.id', 'o.coupon_id');
}

export const collectionRecordQueries = {
  storedLines: (db: DbOrTx, fileId: string) => db('collection_records').where({ file_id: fileId }).select('line'),
  /** The records stored under one bank key (bank, collection day, authorization), first one first. */
  withBankKey: (db: DbOrTx, key: BankKey) =>
    db('collection_records')
      .where({ bank_code: key.bankCode, collection_date: key.collectionDate, authorization_number: key.authorization })
      .orderBy([{ column: 'bank_key_first', order: 'desc' }, { column: 'created_at' }, { column: 'line' }])
      .select('id', 'reference', 'amount_cents', 'bank_key_first'),
  /** A file's records in line order, from after `afterLine`. */
  records: (db: DbOrTx, fileId: string, options: { afterLine: number; limit: number; outcome?: CollectionOutcome }) => {
    const query = withDetails(db).where('r.file_id', fileId).where('r.line', '>', options.afterLine);
    if (options.outcome) void query.where('r.outcome', options.outcome);
    return query
      .orderBy('r.line')
      .limit(options.limit + 1)
      .select(RECORD_COLUMNS);
  },
  /** Records that did not pay an invoice, open (not resolved) or resolved, newest first. */
  exceptions: (db: DbOrTx, options: ExceptionQuery) => {
    // Written as the filtered index's own predicate, a literal: SQLite matches a partial index only
    // by the same expression, SQL Server a filtered one only without a parameter.
    const query = withDetails(db).whereRaw("r.outcome <> 'APPLIED'");
    if (options.resolved) void query.whereNotNull('r.resolved_at');
    else void query.whereNull('r.resolved_at');
    if (options.fileId) void query.where('r.file_id', options.fileId);
    if (options.outcome) void query.where('r.outcome', options.outcome);
    return keysetPage(query, { at: 'r.created_at', id: 'r.id' }, options.cursor, options.limit).select(RECORD_COLUMNS);
  },
  resolve: (db: DbOrTx, id: string, operatorId: string, resolution: string, now: Date) =>
    db('collection_records')
      .where({ id })
      .whereNot('outcome', 'APPLIED')
      .whereNull('resolved_at')
      .update({ resolved_at: now, resolved_by: operatorId, resolution }),
  recordById: (db: DbOrTx, id: string) => withDetails(db).where('r.id', id).first(RECORD_COLUMNS),
};

/** Lines of the file already stored (a run that stopped half-way resumes after them). */
export async function storedCollectionLines(db: DbOrTx, fileId: string): Promise<Set<number>> {
  return new Set(
    ((await collectionRecordQueries.storedLines(db, fileId)) as { line: unknown }[]).map((r) => Number(r.line)),
  );
}

/** What names one payment a bank took: the bank, its collection day and its authorization number. */
export interface BankKey {
  bankCode: string;
  collectionDate: string;
  authorization: string;
}

/**
 * How a record stands against the records stored before under its bank key: the same payment
 * again (same reference and amount: DUPLICATE of that one), another payment claiming the key
 * (CONFLICTING_DUPLICATE of the key's first record), or the first of its key.
 */
export async function matchBankKey(
  db: DbOrTx,
  key: BankKey,
  record: Pick<DetailRecord, 'reference' | 'amountCents'>,
): Promise<{ outcome: 'DUPLICATE' | 'CONFLICTING_DUPLICATE'; recordId: string } | { outcome: 'FIRST' }> {
  const earlier = (await collectionRecordQueries.withBankKey(db, key)) as Record<string, unknown>[];
  const same = earlier.find((r) => r.reference === record.reference && Number(r.amount_cents) === record.amountCents);
  if (same) return { outcome: 'DUPLICATE', recordId: String(same.id) };
  const first = earlier[0];
  return first ? { outcome: 'CONFLICTING_DUPLICATE', recordId: String(first.id) } : { outcome: 'FIRST' };
}

export async function insertCollectionRecord(
  db: DbOrTx,
  row: {
    fileId: string;
    key: BankKey;
    /** The first record of its bank key (the filtered unique index serialises two files racing for it). */
    bankKeyFirst: boolean;
    conflictRecordId: string | null;
    record: DetailRecord;
    outcome: CollectionOutcome;
    couponExpired: boolean;
    couponId: string | null;
    invoiceId: string | null;
    transactionId: string | null;
    now: Date;
  },
): Promise<void> {
  const r = row.record;
  await db('collection_records').insert({
    id: newId(row.now.getTime()),
    file_id: row.fileId,
    line: r.line,
    batch_number: r.batchNumber,
    bank_code: row.key.bankCode,
    collection_date: row.key.collectionDate,
    bank_key_first: row.bankKeyFirst,
    conflict_record_id: row.conflictRecordId,
    authorization_number: r.authorization,
    sequence_number: r.sequence,
    reference: r.reference,
    amount_cents: r.amountCents,
    origin: r.origin,
    channel: r.channel,
    operation_number: r.operationNumber,
    debited_bank: r.debitedBank,
    branch: r.branch,
    outcome: row.outcome,
    coupon_expired: row.couponExpired,
    coupon_id: row.couponId,
    invoice_id: row.invoiceId,
    transaction_id: row.transactionId,
    created_at: row.now,
  });
}

export async function collectionRecords(
  db: DbOrTx,
  fileId: string,
  options: { afterLine: number; limit: number; outcome?: CollectionOutcome },
): Promise<{ items: CollectionRecord[]; hasMore: boolean }> {
  return pageOfRows(
    (await collectionRecordQueries.records(db, fileId, options)) as Record<string, unknown>[],
    options.limit,
    recordFromRow,
  );
}

export interface ExceptionQuery {
  resolved: boolean;
  fileId?: string;
  outcome?: ExceptionOutcome;
  cursor?: Keyset;
  limit: number;
}

export async function pageCollectionExceptions(
  db: DbOrTx,
  options: ExceptionQuery,
): Promise<{ items: CollectionRecord[]; hasMore: boolean }> {
  return pageOfRows(
    (await collectionRecordQueries.exceptions(db, options)) as Record<string, unknown>[],
    options.limit,
    recordFromRow,
  );
}

export async function findCollectionRecord(db: DbOrTx, id: string): Promise<CollectionRecord | undefined> {
  const row = (await collectionRecordQueries.recordById(db, id)) as Record<string, unknown> | undefined;
  return row ? recordFromRow(row) : undefined;
}

/** False when the record is not an open exception (already resolved, or not an exception at all). */
export async function resolveCollectionException(
  db: DbOrTx,
  id: string,
  operatorId: string,
  resolution: string,
  now: Date,
): Promise<boolean> {
  return (await collectionRecordQueries.resolve(db, id, operatorId, resolution, now)) === 1;
}
