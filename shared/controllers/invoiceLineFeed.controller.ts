import type { Readable } from 'node:stream';

import { type DbOrTx, inTransactionRacing } from '../clients/sql.client';
import { AppError } from '../errors';
import { CsvError, readCsvRecords } from '../formats/csv';
import { type FeedImportJson, type ImportCounts, recordImportBatch } from '../models/feedImport.model';
import { touchUnpaidInvoices } from '../models/invoice.model';
import { invoicesByNumber } from '../models/invoiceFeed.model';
import {
  INVOICE_LINE_FEED_COLUMNS,
  type InvoiceLine,
  invoiceLineFeedRowSchema,
  linesOfInvoices,
  LONGEST_LINE_FIELD_CHARS,
  MAX_LINES_PER_INVOICE,
  replaceInvoiceLines,
  sameLines,
} from '../models/invoiceLine.model';
import type { BillingDeps } from '../services';
import { formatPesos } from '../views/texts';
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

/** One invoice's lines as the file gives them: consecutive lines with the same invoice_number. */
interface LineGroup {
  invoiceNumber: string;
  lines: { line: number; data: InvoiceLine }[];
  problems: { line: number; reason: string }[];
}

/**
 * Imports the service-lines feed (docs/billing-feed.md, "Service lines") from a stream, through
 * the machinery of the invoice feed: a run with counts and rejected lines, batches sized by time,
 * the event loop given back between them. An invoice's lines come together in the file; they
 * replace its lines when the invoice is UNPAID and they add up to its amount, and are all
 * rejected otherwise, each with its line number. Running a file again changes nothing.
 */
export async function importInvoiceLines(
  deps: BillingDeps,
  input: Readable | AsyncIterable<Buffer | string>,
  request: ImportRequest,
  onProgress?: (progress: ImportProgress) => void,
): Promise<FeedImportJson> {
  const importId = await startRun(deps, { ...request, feed: 'invoice-lines' });
  const rejections = new Rejections();
  const pacing = new RunPacing(onProgress);
  let batch: LineGroup[] = [];
  let batchLines = 0;
  let group: LineGroup | undefined;

  const flush = async () => {
    const counts = await applyGroups(deps, importId, batch, rejections, batchLines);
    const done = batchLines;
    batch = [];
    batchLines = 0;
    await pacing.settled(done, counts);
  };
  const close = async () => {
    if (!group) return;
    batch.push(group);
    group = undefined;
    if (batchLines >= pacing.size()) await flush();
  };

  await settleRun(deps, importId, async () => {
    let header = true;
    try {
      for await (const record of readCsvRecords(input, { maxFieldChars: LONGEST_LINE_FIELD_CHARS })) {
        if (header) {
          checkFeedHeader(record.fields, INVOICE_LINE_FEED_COLUMNS);
          header = false;
          continue;
        }
        const parsed = record.problem
          ? { reason: record.problem }
          : parseFeedRow(record.fields, INVOICE_LINE_FEED_COLUMNS, invoiceLineFeedRowSchema);
        const invoiceNumber = 'data' in parsed ? parsed.data.invoice_number : (record.fields[0] ?? '').trim();
        if (group && group.invoiceNumber !== invoiceNumber) await close();
        group ??= { invoiceNumber, lines: [], problems: [] };
        batchLines++;
        if ('data' in parsed) {
          const { invoice_number: _number, ...line } = parsed.data;
          group.lines.push({ line: record.line, data: line });
        } else group.problems.push({ line: record.line, reason: parsed.reason });
      }
    } catch (error) {
      // An unclosed quote: nothing after it can be read, and everything before it stands.
      if (!(error instanceof CsvError)) throw error;
      (group ??= { invoiceNumber: '', lines: [], problems: [] }).problems.push({
        line: error.line,
        reason: error.reason,
      });
      batchLines++;
    }
    if (header) throw new AppError('IMPORT_FILE_INVALID', 'El archivo está vacío: falta el encabezado.');
    await close();
    await flush();
  });
  return importReport(deps, importId);
}

/** A batch of whole invoices in one transaction (run again once if a concurrent import of them got there first). */
async function applyGroups(
  deps: BillingDeps,
  importId: string,
  groups: LineGroup[],
  rejections: Rejections,
  lines: number,
): Promise<ImportCounts> {
  const parsed = { count: rejections.batchCount, errors: rejections.batchErrors.length };
  const counts = await inTransactionRacing(deps.db, async (tx) => {
    rejections.rollBack(parsed.count, parsed.errors);
    const outcome = await replaceLines(deps, tx, groups, rejections);
    const counts = { ...outcome, rejected: rejections.batchCount };
    const errors = [...rejections.batchErrors].sort((a, b) => a.line - b.line);
    await recordImportBatch(tx, importId, { lines, counts, errors });
    return counts;
  });
  rejections.next();
  return counts;
}

/** Decides each invoice's group against what the database holds, and replaces the lines that stand. */
async function replaceLines(
  deps: BillingDeps,
  tx: DbOrTx,
  groups: LineGroup[],
  rejections: Rejections,
): Promise<Omit<ImportCounts, 'rejected'>> {
  const now = deps.clock.now();
  const counts = { inserted: 0, updated: 0, unchanged: 0 };
  const invoices = await invoicesByNumber(tx, [...new Set(groups.map((g) => g.invoiceNumber))]);
  const current = await linesOfInvoices(tx, [...new Set([...invoices.values()].map((i) => i.id.toLowerCase()))]);
  const rejectAll = (group: LineGroup, reason: string) => {
    for (const { line } of group.lines) rejections.add(line, reason);
  };
  const rejectPaid = (group: LineGroup) =>
    rejectAll(group, `La factura ${group.invoiceNumber} está pagada: sus líneas no se cambian.`);
  const replacements: Replacement[] = [];
  const firstLineOf = new Map<string, number>();
  for (const group of groups) {
    const number = group.invoiceNumber;
    const first = group.lines[0]?.line ?? group.problems[0]?.line ?? 0;
    const earlier = firstLineOf.get(number);
    if (earlier !== undefined) {
      for (const problem of group.problems) rejections.add(problem.line, problem.reason);
      rejectAll(
        group,
        `Las líneas de la factura ${number} van juntas: ya vinieron desde la línea ${earlier} de este archivo.`,
      );
      continue;
    }
    firstLineOf.set(number, first);
    if (group.problems.length > 0) {
      for (const problem of group.problems) rejections.add(problem.line, problem.reason);
      rejectAll(group, `La factura ${number} tiene líneas con errores: se rechazan todas sus líneas.`);
      continue;
    }
    if (group.lines.length > MAX_LINES_PER_INVOICE) {
      rejectAll(group, `La factura ${number} trae más de ${MAX_LINES_PER_INVOICE} líneas.`);
      continue;
    }
    const invoice = invoices.get(number);
    if (!invoice) {
      rejectAll(group, `La factura ${number} no existe: cargue primero el archivo de facturas.`);
      continue;
    }
    const sum = group.lines.reduce((total, { data }) => total + data.amount, 0);
    if (sum !== invoice.amount) {
      rejectAll(
        group,
        `Las líneas de la factura ${number} suman ${formatPesos(sum)} y la factura es de ${formatPesos(invoice.amount)}.`,
      );
      continue;
    }
    const lines = group.lines.map((l) => l.data);
    const before = current.get(invoice.id.toLowerCase()) ?? [];
    if (sameLines(before, lines)) {
      counts.unchanged += lines.length;
      continue;
    }
    if (invoice.status === 'PAID') {
      rejectPaid(group);
      continue;
    }
    replacements.push({ group, invoice, lines, hadLines: before.length > 0 });
  }
  // Checked and locked in this transaction: an invoice paid meanwhile keeps the lines it was paid with.
  const locked = await touchUnpaidInvoices(
    tx,
    replacements.map((r) => r.invoice.id),
    now,
  );
  const standing = locked === replacements.length ? replacements : await stillUnpaid(tx, replacements, now, rejectPaid);
  await replaceInvoiceLines(tx, standing);
  for (const { lines, hadLines } of standing) {
    if (hadLines) counts.updated += lines.length;
    else counts.inserted += lines.length;
  }
  return counts;
}

interface Replacement {
  group: LineGroup;
  invoice: { id: string; contractId: string; period: string };
  lines: InvoiceLine[];
  hadLines: boolean;
}

/** Some invoice of the batch was paid while the file was read: which ones, one by one (rare). */
async function stillUnpaid(
  tx: DbOrTx,
  replacements: Replacement[],
  now: Date,
  rejectPaid: (group: LineGroup) => void,
): Promise<Replacement[]> {
  const standing: Replacement[] = [];
  for (const replacement of replacements) {
    if ((await touchUnpaidInvoices(tx, [replacement.invoice.id], now)) === 1) standing.push(replacement);
    else rejectPaid(replacement.group);
  }
  return standing;
}
