import type { Readable } from 'node:stream';

import type { z } from 'zod';

import { type BlobStore, CONTAINERS } from '../clients/blob.client';
import { type DbOrTx, inTransaction, inTransactionRacing } from '../clients/sql.client';
import { AppError } from '../errors';
import { CsvError, readCsvRecords } from '../formats/csv';
import { BatchPacer, giveWay } from '../load';
import { insertAudit } from '../models/audit.model';
import {
  BILLING_CSV_COLUMNS,
  BILLING_CSV_OPTIONAL_COLUMNS,
  type BillingLine,
  billingLineSchema,
  contractDiffers,
  contractsByNumber,
  type ExistingContract,
  type ExistingInvoice,
  insertContracts,
  insertInvoices,
  invoiceDiffers,
  invoicesByNumber,
  LONGEST_FIELD_CHARS,
  updateContract,
  updateUnpaidInvoice,
} from '../models/billingFeed.model';
import { markActiveCouponsCancelled } from '../models/coupon.model';
import { idSchema } from '../models/ids';
import {
  type Feed,
  findImport,
  finishImport,
  type ImportCounts,
  importErrors,
  insertImport,
  type InvoiceImportJson,
  invoiceImportToJson,
  type LineError,
  type LoadSource,
  MAX_REPORTED_ERRORS,
  recordImportBatch,
  renameImport,
  restartImport,
} from '../models/invoiceImport.model';
import { notificationMessage, type OutgoingMessage } from '../models/message.model';
import { addToOutbox } from '../models/outbox.model';
import type { BillingDeps } from '../services';
import { announceInvoiceDates } from './invoice.controller';
import { dispatchSoon } from './outbox.controller';

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

/**
 * Imports the billing feed's CSV from a stream (docs/billing-feed.md): each line validated on
 * its own, good lines upserted in batches (sized by IMPORT_BATCH_LINES) inside one transaction each, bad
 * lines reported with their line number and reason. Idempotent by invoice number, so running a file
 * again (after a crash, or by mistake) changes nothing that is already there. New invoices of
 * contracts people follow are announced (INVOICE_ISSUED) once per user and invoice.
 */
export async function importInvoices(
  deps: BillingDeps,
  input: Readable | AsyncIterable<Buffer | string>,
  request: ImportRequest,
  onProgress?: (progress: ImportProgress) => void,
): Promise<InvoiceImportJson> {
  const importId = await startRun(deps, request);
  const total: ImportProgress = { lines: 0, counts: { inserted: 0, updated: 0, unchanged: 0, rejected: 0 } };
  const rejections = new Rejections();
  let batch: { line: number; data: BillingLine }[] = [];
  let lines = 0;
  const pacer = new BatchPacer(IMPORT_BATCH_LINES);
  let batchLines = pacer.size();
  let batchStarted = performance.now();

  const flush = async () => {
    const counts = await applyBatch(deps, importId, batch, rejections, lines);
    pacer.took(lines, performance.now() - batchStarted);
    total.lines += lines;
    for (const key of Object.keys(counts) as (keyof ImportCounts)[]) total.counts[key] += counts[key];
    batch = [];
    lines = 0;
    onProgress?.(total);
    await giveWay();
    batchLines = pacer.size();
    batchStarted = performance.now();
  };
  const reject = (line: number, reason: string) => rejections.add(line, reason);

  await settleRun(deps, importId, async () => {
    let columns: readonly string[] | undefined;
    try {
      for await (const record of readCsvRecords(input, { maxFieldChars: LONGEST_FIELD_CHARS })) {
        if (!columns) {
          columns = checkCsvHeader(record.fields, BILLING_CSV_COLUMNS, BILLING_CSV_OPTIONAL_COLUMNS);
          continue;
        }
        lines++;
        const line = record.problem
          ? { reason: record.problem }
          : parseCsvLine(record.fields, columns, billingLineSchema);
        if ('reason' in line) reject(record.line, line.reason);
        else batch.push({ line: record.line, data: line.data });
        if (lines >= batchLines) await flush();
      }
    } catch (error) {
      // An unclosed quote: nothing after it can be read, and everything before it stands.
      if (!(error instanceof CsvError)) throw error;
      lines++;
      reject(error.line, error.reason);
    }
    if (!columns) throw new AppError('IMPORT_FILE_INVALID', 'El archivo está vacío: falta el encabezado.');
    await flush();
  });
  // New invoices of followed contracts: the daily timer's INVOICE_ISSUED pass, now.
  await announceInvoiceDates(deps, 500, ['INVOICE_ISSUED']);
  return importReport(deps, importId);
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
export function checkCsvHeader(
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
export function parseCsvLine<S extends z.ZodType>(
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

/** One batch in one transaction (run again once if a concurrent import created the same contract first). */
async function applyBatch(
  deps: BillingDeps,
  importId: string,
  batch: { line: number; data: BillingLine }[],
  rejections: Rejections,
  lines: number,
): Promise<ImportCounts> {
  const parsed = { count: rejections.batchCount, errors: rejections.batchErrors.length };
  // A race with another import of the same lines (a unique index) runs the batch again: it then reads their rows.
  const { counts, messageIds } = await inTransactionRacing(deps.db, async (tx) => {
    rejections.rollBack(parsed.count, parsed.errors);
    const outcome = await upsertLines(deps, tx, batch, rejections);
    const counts = { ...outcome.counts, rejected: rejections.batchCount };
    const errors = [...rejections.batchErrors].sort((a, b) => a.line - b.line);
    await recordImportBatch(tx, importId, { lines, counts, errors });
    const messageIds = await addToOutbox(tx, outcome.messages, deps.clock.now());
    return { counts, messageIds };
  });
  rejections.next();
  await dispatchSoon(deps, messageIds);
  return counts;
}

/** Decides each line against what the database holds (and what earlier lines of the batch did). */
async function upsertLines(
  deps: BillingDeps,
  tx: DbOrTx,
  batch: { line: number; data: BillingLine }[],
  rejections: Rejections,
): Promise<{ counts: Omit<ImportCounts, 'rejected'>; messages: OutgoingMessage[] }> {
  const now = deps.clock.now();
  const contracts = await contractsByNumber(tx, [...new Set(batch.map((b) => b.data.contract_number))]);
  const invoices = await invoicesByNumber(tx, [...new Set(batch.map((b) => b.data.invoice_number))]);
  const counts = { inserted: 0, updated: 0, unchanged: 0 };
  const newContracts = new Map<string, BillingLine>();
  const changedContracts = new Map<string, { id: string; line: BillingLine }>();
  const newInvoices = new Map<string, BillingLine>();
  const changedInvoices = new Map<string, { id: string; line: BillingLine }>();

  for (const { line, data } of batch) {
    const contract: ExistingContract | undefined = contracts.get(data.contract_number);
    const pending = newInvoices.get(data.invoice_number);
    const invoice: ExistingInvoice | undefined = invoices.get(data.invoice_number);
    if (pending) {
      // The same invoice twice in one batch: the later line wins if the first is still new.
      if (pending.contract_number !== data.contract_number) {
        rejections.add(line, `La factura ${data.invoice_number} ya viene en este archivo con otro contrato.`);
        continue;
      }
      if (JSON.stringify(pending) === JSON.stringify(data)) counts.unchanged++;
      else counts.updated++;
      newInvoices.set(data.invoice_number, data);
    } else if (invoice) {
      if (!contract || invoice.contractId !== contract.id) {
        rejections.add(line, `La factura ${data.invoice_number} ya existe en otro contrato.`);
        continue;
      }
      if (!invoiceDiffers(invoice, data)) counts.unchanged++;
      else if (invoice.status === 'PAID') {
        rejections.add(line, `La factura ${data.invoice_number} está pagada: no se puede cambiar.`);
        continue;
      } else {
        changedInvoices.set(invoice.id, { id: invoice.id, line: data });
        invoices.set(data.invoice_number, {
          ...invoice,
          period: data.period,
          issueDate: data.issue_date,
          dueDate: data.due_date,
          amount: data.amount,
        });
        counts.updated++;
      }
    } else {
      newInvoices.set(data.invoice_number, data);
      counts.inserted++;
    }
    // The line stands: its contract data are the newest the feed has.
    if (!contract) newContracts.set(data.contract_number, data);
    else if (contractDiffers(contract, data)) changedContracts.set(contract.id, { id: contract.id, line: data });
  }

  const newContractIds = await insertContracts(tx, [...newContracts.values()], now);
  for (const { id, line } of changedContracts.values()) await updateContract(tx, id, line);
  const contractIdOf = (number: string): string => {
    const id = contracts.get(number)?.id ?? newContractIds.get(number);
    if (!id) throw new Error(`contract ${number} was neither found nor inserted`);
    return id;
  };
  await insertInvoices(
    tx,
    [...newInvoices.values()].map((line) => ({ line, contractId: contractIdOf(line.contract_number) })),
    now,
  );

  const messages: OutgoingMessage[] = [];
  for (const { id, line } of changedInvoices.values()) {
    // Paid between the read and this update (the read took no lock): the line can't change it.
    if (!(await updateUnpaidInvoice(tx, id, line, now))) {
      const at = batch.find((b) => b.data.invoice_number === line.invoice_number)?.line ?? 0;
      rejections.add(at, `La factura ${line.invoice_number} está pagada: no se puede cambiar.`);
      counts.updated--;
      continue;
    }
    // A coupon carries the amount and due date it was made for: a changed invoice needs a new one.
    for (const coupon of await markActiveCouponsCancelled(tx, id, now)) {
      messages.push(
        notificationMessage({
          kind: 'COUPON_CANCELLED',
          userId: coupon.userId,
          occurredAt: now,
          data: {
            couponCode: coupon.code,
            invoiceId: id,
            invoiceNumber: line.invoice_number,
            contractNumber: line.contract_number,
            reason: 'INVOICE_UPDATED',
          },
        }),
      );
    }
  }
  return { counts, messages };
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
 * imports it; the operator follows it by its id.
 */
export async function uploadFeed(
  deps: Pick<BillingDeps, 'db' | 'clock'> & { blobs: BlobStore },
  feed: Feed,
  operatorId: string,
  file: Buffer,
): Promise<{ importId: string }> {
  const importId = await inTransaction(deps.db, async (tx) => {
    const now = deps.clock.now();
    const id = await insertImport(tx, {
      feed,
      source: 'UPLOAD',
      fileName: importBlobName('pending'),
      status: 'QUEUED',
      createdBy: operatorId,
      now,
    });
    await renameImport(tx, id, importBlobName(id));
    await insertAudit(tx, {
      actorId: operatorId,
      action: FEED_UPLOAD_AUDIT[feed],
      subjectType: 'invoice_import',
      subjectId: id,
      details: { bytes: file.length },
      now,
    });
    return id;
  });
  try {
    await deps.blobs.upload(FEED_CONTAINERS[feed], importBlobName(importId), file, 'text/csv; charset=utf-8');
  } catch {
    await finishImport(deps.db, importId, {
      status: 'FAILED',
      error: 'El archivo no se pudo guardar en el almacenamiento; cárguelo de nuevo.',
      now: deps.clock.now(),
    });
    throw new AppError(
      'SERVICE_UNAVAILABLE',
      'El almacenamiento de archivos no responde; cargue el archivo de nuevo en unos minutos.',
      { retryAfterSeconds: 30 },
    );
  }
  return { importId };
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
): Promise<InvoiceImportJson> {
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
export async function importReport(deps: Pick<BillingDeps, 'db'>, importId: string): Promise<InvoiceImportJson> {
  const run = await findImport(deps.db, importId);
  if (!run) throw new AppError('IMPORT_NOT_FOUND');
  return invoiceImportToJson(run, await importErrors(deps.db, importId));
}
