import type { Readable } from 'node:stream';

import { type DbOrTx, inTransactionRacing } from '../clients/sql.client';
import { AppError } from '../errors';
import { CsvError, readCsvRecords } from '../formats/csv';
import { markActiveCouponsCancelled } from '../models/coupon.model';
import { type FeedImportJson, type ImportCounts, recordImportBatch } from '../models/feedImport.model';
import {
  contractDiffers,
  contractsByNumber,
  type ExistingContract,
  type ExistingInvoice,
  insertContracts,
  insertInvoices,
  INVOICE_FEED_COLUMNS,
  INVOICE_FEED_OPTIONAL_COLUMNS,
  invoiceDiffers,
  type InvoiceFeedRow,
  invoiceFeedRowSchema,
  invoicesByNumber,
  LONGEST_FIELD_CHARS,
  updateContract,
  updateUnpaidInvoice,
} from '../models/invoiceFeed.model';
import { notificationMessage, type OutgoingMessage } from '../models/message.model';
import { addToOutbox } from '../models/outbox.model';
import { dispatchSoon } from '../outbox';
import type { BillingDeps } from '../services';
import {
  checkFeedHeader,
  type ImportProgress,
  importReport,
  type ImportRequest,
  parseFeedRow,
  Rejections,
  RunPacing,
  settleRun,
  startRun,
} from './feedImport.controller';
import { announceInvoiceDates } from './invoice.controller';

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
): Promise<FeedImportJson> {
  const importId = await startRun(deps, request);
  const rejections = new Rejections();
  let batch: { line: number; data: InvoiceFeedRow }[] = [];
  let lines = 0;
  const pacing = new RunPacing(onProgress);
  let batchLines = pacing.size();

  const flush = async () => {
    const counts = await applyBatch(deps, importId, batch, rejections, lines);
    const done = lines;
    batch = [];
    lines = 0;
    await pacing.settled(done, counts);
    batchLines = pacing.size();
  };
  const reject = (line: number, reason: string) => rejections.add(line, reason);

  await settleRun(deps, importId, async () => {
    let columns: readonly string[] | undefined;
    try {
      for await (const record of readCsvRecords(input, { maxFieldChars: LONGEST_FIELD_CHARS })) {
        if (!columns) {
          columns = checkFeedHeader(record.fields, INVOICE_FEED_COLUMNS, INVOICE_FEED_OPTIONAL_COLUMNS);
          continue;
        }
        lines++;
        const line = record.problem
          ? { reason: record.problem }
          : parseFeedRow(record.fields, columns, invoiceFeedRowSchema);
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

/** One batch in one transaction (run again once if a concurrent import created the same contract first). */
async function applyBatch(
  deps: BillingDeps,
  importId: string,
  batch: { line: number; data: InvoiceFeedRow }[],
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
  batch: { line: number; data: InvoiceFeedRow }[],
  rejections: Rejections,
): Promise<{ counts: Omit<ImportCounts, 'rejected'>; messages: OutgoingMessage[] }> {
  const now = deps.clock.now();
  const contracts = await contractsByNumber(tx, [...new Set(batch.map((b) => b.data.contract_number))]);
  const invoices = await invoicesByNumber(tx, [...new Set(batch.map((b) => b.data.invoice_number))]);
  const counts = { inserted: 0, updated: 0, unchanged: 0 };
  const newContracts = new Map<string, InvoiceFeedRow>();
  const changedContracts = new Map<string, { id: string; line: InvoiceFeedRow }>();
  const newInvoices = new Map<string, InvoiceFeedRow>();
  const changedInvoices = new Map<string, { id: string; line: InvoiceFeedRow }>();

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
    // The line stands: its contract data are the newest the feed has, so an earlier line's
    // change is dropped when this one says what is stored (else a second run flip-flopped).
    if (!contract) newContracts.set(data.contract_number, data);
    else if (contractDiffers(contract, data)) changedContracts.set(contract.id, { id: contract.id, line: data });
    else changedContracts.delete(contract.id);
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
