import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

import { type BlobStore, CONTAINERS } from '../clients/blob.client';
import { type DbOrTx, inTransactionRacing } from '../clients/sql.client';
import { appMetrics } from '../clients/telemetry.client';
import { storeUpload } from '../fileUpload';
import {
  CollectionFileError,
  couponCodeOfReference,
  type DetailRecord,
  readCollectionFile,
  type VerifiedFile,
} from '../formats/asobancaria';
import { giveWay, givingWayEvery } from '../load';
import {
  type CollectionFile,
  deleteQueuedCollection,
  findCollection,
  findCollectionByHash,
  finishCollection,
  insertCollectionFile,
  markCollectionApplying,
  markCollectionRejected,
  renameCollection,
} from '../models/collectionFile.model';
import {
  type BankKey,
  type CollectionOutcome,
  insertCollectionRecord,
  matchBankKey,
  storedCollectionLines,
} from '../models/collectionRecord.model';
import { type CollectionReport, collectionReport } from '../models/collectionReport.model';
import { COUPON_CODE_LENGTH, findAnyCouponByCode, markCouponCollected } from '../models/coupon.model';
import type { LoadSource } from '../models/feedImport.model';
import { idSchema } from '../models/ids';
import { findInvoice, markInvoicePaid } from '../models/invoice.model';
import { recordPayment } from '../models/paymentRecord.model';
import { addDays, endOfBogotaDay } from '../models/time';
import { dispatch } from '../outbox';
import type { BillingDeps } from '../services';

/** A collection file can be read more than once (checked whole first, then applied): this opens it again. */
export type OpenFile = () => Readable | AsyncIterable<Buffer | string>;

export interface CollectionRequest {
  source: LoadSource;
  fileName: string;
  createdBy?: string;
  /** A file registered by an upload, waiting for its blob trigger. */
  collectionId?: string;
}

/** Messages are handed to the queue in groups while a file is applied (the sweeper covers the rest). */
const DISPATCH_GROUP = 200;

/**
 * Loads a bank's Asobancaria 2001 collection file (docs/collections.md). The file is
 * read twice: first checked whole (layout, record order, batch and file controls; a file that
 * doesn't add up is REJECTED with its first offending line and nothing is applied), then applied
 * one detail record per transaction with the payment rules of an online payment. The same
 * content again (by SHA-256) changes nothing; a run that stopped half-way resumes after the
 * records it stored. A record is one payment the bank took, named by bank + collection day +
 * authorization: the same payment sent again is a DUPLICATE, another payment under a key already
 * used is a CONFLICTING_DUPLICATE; neither moves money, both are exceptions for the operator.
 */
export async function importCollection(
  deps: BillingDeps,
  open: OpenFile,
  request: CollectionRequest,
  onProgress?: (applied: number, total: number) => void,
): Promise<CollectionReport> {
  let verified: VerifiedFile;
  try {
    verified = await readCollectionFile(open(), { onDetail: givingWayEvery(1000) });
  } catch (error) {
    if (!(error instanceof CollectionFileError) || !error.contentHash) throw error;
    return rejectFile(deps, request, error.contentHash, error.message);
  }

  const file = await fileFor(deps, request, verified);
  if (file.status === 'COMPLETED' || file.status === 'REJECTED') return collectionReport(deps.db, file.id);
  await markCollectionApplying(deps.db, file.id, verified);
  const { bankCode, collectionDate } = verified.header;
  // Expired "before the collection date": its time was up before that Colombian day began.
  const collectionDayStart = new Date(endOfBogotaDay(addDays(verified.header.collectionDate, -1)).getTime() + 1);
  const stored = await storedCollectionLines(deps.db, file.id);
  let pending: string[] = [];
  let sending: Promise<unknown> = Promise.resolve();
  let done = stored.size;

  const again = await readCollectionFile(open(), {
    onDetail: async (record) => {
      if (stored.has(record.line)) return;
      // One record per transaction, and requests go first between them.
      await giveWay();
      pending.push(
        ...(await applyRecord(deps, { fileId: file.id, bankCode, collectionDate, collectionDayStart }, record)),
      );
      onProgress?.(++done, verified.recordCount);
      if (pending.length >= DISPATCH_GROUP) {
        const ids = pending;
        pending = [];
        // One group in flight while the next records apply; a failure leaves them to the sweeper.
        await sending;
        sending = dispatch(deps, ids.length, ids).catch(() => undefined);
      }
    },
  });
  if (again.contentHash !== verified.contentHash) {
    throw new Error('The collection file changed while it was being applied; load it again.');
  }
  await sending;
  if (pending.length > 0) await dispatch(deps, pending.length, pending).catch(() => undefined);
  await finishCollection(deps.db, file.id, deps.clock.now());
  return collectionReport(deps.db, file.id);
}

/** The file's row: the upload's, the one with the same content, or a new one. */
async function fileFor(deps: BillingDeps, request: CollectionRequest, verified: VerifiedFile): Promise<CollectionFile> {
  const registered = request.collectionId ? await findCollection(deps.db, request.collectionId) : undefined;
  if (registered && registered.contentHash === verified.contentHash) return registered;
  const existing = await findCollectionByHash(deps.db, verified.contentHash);
  if (existing) return existing;
  const { id } = await insertCollectionFile(deps.db, {
    contentHash: verified.contentHash,
    source: request.source,
    fileName: request.fileName,
    status: 'APPLYING',
    createdBy: request.createdBy,
    now: deps.clock.now(),
  });
  const file = await findCollection(deps.db, id);
  if (!file) throw new Error('collection file row vanished');
  return file;
}

async function rejectFile(
  deps: BillingDeps,
  request: CollectionRequest,
  contentHash: string,
  reason: string,
): Promise<CollectionReport> {
  const now = deps.clock.now();
  const registered = request.collectionId ? await findCollection(deps.db, request.collectionId) : undefined;
  if (registered?.contentHash === contentHash && registered.status === 'QUEUED') {
    await markCollectionRejected(deps.db, registered.id, reason, now);
    return collectionReport(deps.db, registered.id);
  }
  const { id } = await insertCollectionFile(deps.db, {
    contentHash,
    source: request.source,
    fileName: request.fileName,
    status: 'REJECTED',
    error: reason,
    createdBy: request.createdBy,
    now,
  });
  return collectionReport(deps.db, id);
}

interface FileContext {
  fileId: string;
  bankCode: string;
  collectionDate: string;
  collectionDayStart: Date;
}

/** One detail record in its own transaction: its outcome stored with whatever it changed. Returns outbox ids. */
async function applyRecord(deps: BillingDeps, file: FileContext, record: DetailRecord): Promise<string[]> {
  // Another run stored this line (then nothing is left to do), or another file took this bank key
  // (then the record is settled again against that file's record), between our read and insert.
  const settled = await inTransactionRacing<{ outcome?: CollectionOutcome; messageIds: string[] }>(
    deps.db,
    (tx) => settleRecord(deps, tx, file, record),
    async () => ((await storedCollectionLines(deps.db, file.fileId)).has(record.line) ? { messageIds: [] } : undefined),
  );
  // Counted once committed, by the run that stored the record.
  if (settled.outcome) {
    appMetrics().collectionRecords.add(1, { outcome: settled.outcome });
    if (settled.outcome === 'APPLIED') appMetrics().payments.add(1, { channel: 'bank', outcome: 'APPROVED' });
  }
  return settled.messageIds;
}

async function settleRecord(
  deps: BillingDeps,
  tx: DbOrTx,
  file: FileContext,
  record: DetailRecord,
): Promise<{ outcome?: CollectionOutcome; messageIds: string[] }> {
  const now = deps.clock.now();
  const key: BankKey = {
    bankCode: file.bankCode,
    collectionDate: file.collectionDate,
    authorization: record.authorization,
  };
  const stored = {
    fileId: file.fileId,
    key,
    bankKeyFirst: false,
    conflictRecordId: null as string | null,
    record,
    couponExpired: false,
    couponId: null as string | null,
    invoiceId: null as string | null,
    transactionId: null as string | null,
    now,
  };
  const finish = async (outcome: CollectionOutcome, messageIds: string[] = []) => {
    await insertCollectionRecord(tx, { ...stored, outcome });
    return { outcome, messageIds };
  };

  const code = couponCodeOfReference(record.reference, COUPON_CODE_LENGTH);
  const coupon = code ? await findAnyCouponByCode(tx, code) : undefined;
  const invoice = coupon ? await findInvoice(tx, coupon.invoiceId) : undefined;
  stored.couponId = invoice ? (coupon?.id ?? null) : null;
  stored.invoiceId = invoice?.id ?? null;
  const match = await matchBankKey(tx, key, record);
  if (match.outcome !== 'FIRST') {
    stored.conflictRecordId = match.recordId;
    return finish(match.outcome);
  }
  stored.bankKeyFirst = true;
  if (!coupon || !invoice) return finish('UNKNOWN_REFERENCE');
  // The bank took the money either way: these are the operator's to refund or reconcile.
  if (invoice.status === 'PAID' || coupon.status === 'USED') return finish('ALREADY_PAID');
  if (record.amountCents !== invoice.amount * 100) return finish('AMOUNT_MISMATCH');
  if (!(await markInvoicePaid(tx, invoice.id, now))) return finish('ALREADY_PAID');
  if (!(await markCouponCollected(tx, coupon.id, now))) throw new Error('coupon changed under a locked invoice');
  stored.couponExpired = coupon.status !== 'ACTIVE' || coupon.expiresAt < file.collectionDayStart;
  const payment = await recordPayment(tx, {
    billerGln: deps.config.coupons.billerGln,
    invoice,
    coupon,
    paymentMethod: 'BANK',
    bankAuthorization: record.authorization,
    now,
  });
  stored.transactionId = payment.transactionId;
  return finish('APPLIED', payment.messageIds);
}

/**
 * POST /operator/collections: the file is registered by its content hash (the same file again
 * answers with the id it already has, and changes nothing) and stored as the blob
 * `collections/<collectionId>.txt`, whose trigger checks and applies it.
 */
export async function uploadCollection(
  deps: Pick<BillingDeps, 'db' | 'clock'> & { blobs: BlobStore },
  operatorId: string,
  file: Buffer,
): Promise<{ collectionId: string; alreadyLoaded: boolean }> {
  const contentHash = createHash('sha256').update(file).digest('hex');
  const { id, created } = await storeUpload(
    deps,
    {
      container: CONTAINERS.collections,
      contentType: 'text/plain',
      blobName: collectionBlobName,
      audit: { action: 'COLLECTION_UPLOADED', subjectType: 'collection' },
      register: (tx, fileName, now) =>
        insertCollectionFile(tx, {
          contentHash,
          source: 'UPLOAD',
          fileName,
          status: 'QUEUED',
          createdBy: operatorId,
          now,
        }),
      rename: renameCollection,
      forget: deleteQueuedCollection,
    },
    { operatorId, file, details: { sha256: contentHash } },
  );
  return { collectionId: id, alreadyLoaded: !created };
}

/** The blob an upload is stored as: the file's id names it, so the trigger finds its row. */
export const collectionBlobName = (collectionId: string) => `${collectionId}.txt`;

/** The upload a blob came from (named by collectionBlobName), or undefined for a file dropped by a bank's transfer. */
export function collectionIdOfBlob(name: string): string | undefined {
  const id = idSchema.safeParse(name.replace(/\.txt$/i, ''));
  return id.success ? id.data : undefined;
}
