import { z } from 'zod';

import { asDay, type DbOrTx } from '../clients/sql.client';
import { contractNumberSchema } from './contract.model';
import { newId } from './ids';
import { chunks, insertRows } from './insertRows';
import { MAX_AMOUNT } from './money';

/** The billing system's CSV (docs/billing-feed.md): its header row, in this order. */
export const INVOICE_FEED_COLUMNS = [
  'contract_number',
  'holder_name',
  'holder_document_type',
  'holder_document_number',
  'address',
  'city',
  'stratum',
  'services',
  'invoice_number',
  'period',
  'issue_date',
  'due_date',
  'amount',
] as const;
/** Columns a file may add after those, in this order: DIAN's CUDE (files without it still import). */
export const INVOICE_FEED_OPTIONAL_COLUMNS = ['cude'] as const;

/**
 * The longest field any column takes (address): the reader refuses a longer one while it reads,
 * before it is held whole.
 */
export const LONGEST_FIELD_CHARS = 200;

const text = (max: number, what: string) =>
  z.string().trim().min(1, `${what}: está vacío.`).max(max, `${what}: más de ${max} caracteres.`);

/** A real calendar day written YYYY-MM-DD (2026-02-30 is refused). */
const day = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}$/, `${what}: use el formato AAAA-MM-DD.`)
    .refine(
      (value) => new Date(`${value}T00:00:00Z`).toISOString().startsWith(value),
      `${what}: no es una fecha real.`,
    );

/** One line of the feed, checked field by field, with the reason in Spanish when it fails. */
export const invoiceFeedRowSchema = z
  .object({
    contract_number: contractNumberSchema,
    holder_name: text(120, 'holder_name'),
    holder_document_type: z.enum(['CC', 'CE', 'NIT', 'PA', 'TI'], {
      message: 'holder_document_type: CC, CE, NIT, PA o TI.',
    }),
    holder_document_number: z
      .string()
      .trim()
      .regex(/^[0-9A-Za-z-]{3,20}$/, 'holder_document_number: de 3 a 20 letras, dígitos o guiones.'),
    address: text(LONGEST_FIELD_CHARS, 'address'),
    city: text(60, 'city'),
    stratum: z
      .string()
      .trim()
      .regex(/^[1-6]$/, 'stratum: un número de 1 a 6.')
      .transform(Number),
    services: text(60, 'services'),
    invoice_number: z
      .string()
      .trim()
      .regex(/^[0-9A-Za-z-]{1,20}$/, 'invoice_number: de 1 a 20 letras, dígitos o guiones.'),
    period: z
      .string()
      .trim()
      .regex(/^[12]\d{3}-(0[1-9]|1[0-2])$/, 'period: use el formato AAAA-MM.'),
    issue_date: day('issue_date'),
    due_date: day('due_date'),
    amount: z
      .string()
      .trim()
      .regex(/^\d{1,12}$/, 'amount: pesos enteros, sin puntos ni decimales.')
      .transform(Number)
      .refine((value) => value >= 1 && value <= MAX_AMOUNT, 'amount: debe ser mayor que cero.'),
    /** Absent (a file without the column) leaves the invoice's CUDE as it is; empty clears it. */
    cude: z
      .string()
      .trim()
      .regex(/^([0-9A-Fa-f]{96})?$/, 'cude: 96 caracteres hexadecimales (SHA-384), o vacío.')
      .transform((cude) => (cude === '' ? null : cude.toLowerCase()))
      .optional(),
  })
  .refine((line) => line.due_date >= line.issue_date, {
    message: 'due_date: es anterior a issue_date.',
    path: ['due_date'],
  });
export type InvoiceFeedRow = z.output<typeof invoiceFeedRowSchema>;

export interface ExistingContract {
  id: string;
  holderName: string;
  holderDocumentType: string;
  holderDocumentNumber: string;
  address: string;
  city: string;
  stratum: number;
  services: string;
}

export interface ExistingInvoice {
  id: string;
  contractId: string;
  period: string;
  issueDate: string;
  dueDate: string;
  amount: number;
  status: 'UNPAID' | 'PAID';
  cude: string | null;
}

export const invoiceFeedQueries = {
  contractsByNumber: (db: DbOrTx, numbers: string[]) =>
    db('contracts')
      .whereIn('number', numbers)
      .select(
        'id',
        'number',
        'holder_name',
        'holder_document_type',
        'holder_document_number',
        'address',
        'city',
        'stratum',
        'services',
      ),
  invoicesByNumber: (db: DbOrTx, numbers: string[]) =>
    db('invoices')
      .whereIn('number', numbers)
      .select('id', 'number', 'contract_id', 'period', 'issue_date', 'due_date', 'amount', 'status', 'cude'),
  /** An UNPAID invoice's new amount or dates; a PAID one is never changed by the feed. */
  updateUnpaidInvoice: (db: DbOrTx, id: string, line: InvoiceFeedRow, now: Date) =>
    db('invoices')
      .where({ id, status: 'UNPAID' })
      .update({
        period: line.period,
        issue_date: line.issue_date,
        due_date: line.due_date,
        amount: line.amount,
        ...(line.cude === undefined ? {} : { cude: line.cude }),
        updated_at: now,
      }),
  updateContract: (db: DbOrTx, id: string, line: InvoiceFeedRow) =>
    db('contracts').where({ id }).update(contractColumns(line)),
};

function contractColumns(line: InvoiceFeedRow) {
  return {
    holder_name: line.holder_name,
    holder_document_type: line.holder_document_type,
    holder_document_number: line.holder_document_number,
    address: line.address,
    city: line.city,
    stratum: line.stratum,
    services: line.services,
  };
}

export async function contractsByNumber(db: DbOrTx, numbers: string[]): Promise<Map<string, ExistingContract>> {
  const found = new Map<string, ExistingContract>();
  for (const part of chunks(numbers, 1000)) {
    for (const row of (await invoiceFeedQueries.contractsByNumber(db, part)) as Record<string, unknown>[]) {
      found.set(String(row.number), {
        id: String(row.id),
        holderName: String(row.holder_name),
        holderDocumentType: String(row.holder_document_type),
        holderDocumentNumber: String(row.holder_document_number),
        address: String(row.address),
        city: String(row.city),
        stratum: Number(row.stratum),
        services: String(row.services),
      });
    }
  }
  return found;
}

export async function invoicesByNumber(db: DbOrTx, numbers: string[]): Promise<Map<string, ExistingInvoice>> {
  const found = new Map<string, ExistingInvoice>();
  for (const part of chunks(numbers, 1000)) {
    for (const row of (await invoiceFeedQueries.invoicesByNumber(db, part)) as Record<string, unknown>[]) {
      found.set(String(row.number), {
        id: String(row.id),
        contractId: String(row.contract_id),
        period: String(row.period),
        issueDate: asDay(row.issue_date),
        dueDate: asDay(row.due_date),
        amount: Number(row.amount),
        status: row.status as 'UNPAID' | 'PAID',
        cude: (row.cude as string | null) ?? null,
      });
    }
  }
  return found;
}

/** Whether the line would change the contract's holder, address or services. */
export function contractDiffers(contract: ExistingContract, line: InvoiceFeedRow): boolean {
  return (
    contract.holderName !== line.holder_name ||
    contract.holderDocumentType !== line.holder_document_type ||
    contract.holderDocumentNumber !== line.holder_document_number ||
    contract.address !== line.address ||
    contract.city !== line.city ||
    contract.stratum !== line.stratum ||
    contract.services !== line.services
  );
}

/** Whether the line would change the invoice (its contract is compared by the caller). */
export function invoiceDiffers(invoice: ExistingInvoice, line: InvoiceFeedRow): boolean {
  return (
    invoice.period !== line.period ||
    invoice.issueDate !== line.issue_date ||
    invoice.dueDate !== line.due_date ||
    invoice.amount !== line.amount ||
    (line.cude !== undefined && invoice.cude !== line.cude)
  );
}

/** New contracts, in multi-row statements; returns their ids by number. */
export async function insertContracts(db: DbOrTx, lines: InvoiceFeedRow[], now: Date): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const rows = lines.map((line) => {
    const id = newId(now.getTime());
    ids.set(line.contract_number, id);
    return { id, number: line.contract_number, ...contractColumns(line), created_at: now };
  });
  await insertRows(db, 'contracts', rows);
  return ids;
}

/** New UNPAID invoices, in multi-row statements. */
export async function insertInvoices(
  db: DbOrTx,
  invoices: { line: InvoiceFeedRow; contractId: string }[],
  now: Date,
): Promise<void> {
  const rows = invoices.map(({ line, contractId }) => ({
    id: newId(now.getTime()),
    contract_id: contractId,
    number: line.invoice_number,
    period: line.period,
    issue_date: line.issue_date,
    due_date: line.due_date,
    amount: line.amount,
    cude: line.cude ?? null,
    status: 'UNPAID',
    paid_at: null,
    created_at: now,
    updated_at: now,
  }));
  await insertRows(db, 'invoices', rows);
}

export async function updateContract(db: DbOrTx, id: string, line: InvoiceFeedRow): Promise<void> {
  await invoiceFeedQueries.updateContract(db, id, line);
}

/** False when the invoice was paid in the meantime (the line is then refused). */
export async function updateUnpaidInvoice(db: DbOrTx, id: string, line: InvoiceFeedRow, now: Date): Promise<boolean> {
  return (await invoiceFeedQueries.updateUnpaidInvoice(db, id, line, now)) === 1;
}
