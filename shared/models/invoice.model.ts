import { z } from 'zod';

import { asDay, asOptionalDate, type DbOrTx } from '../clients/sql.client';
import { AppError } from '../errors';
import { compiledQuery } from './compiledQuery';
import {
  type Contract,
  CONTRACT_DETAIL_COLUMNS,
  contractFromRow,
  type ContractRow,
  hasContractAccess,
} from './contract.model';
import { INVOICE_STATUS_LABELS } from './labels';

/** An invoice ("factura"): UNPAID or PAID; overdue is derived (unpaid after its due day). */
export const INVOICE_STATUSES = ['UNPAID', 'PAID'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

export interface Invoice {
  id: string;
  contractId: string;
  contractNumber: string;
  number: string;
  period: string;
  issueDate: string;
  dueDate: string;
  amount: number;
  status: InvoiceStatus;
  paidAt: Date | null;
  /** DIAN's CUDE of the electronic equivalent document, when the billing feed gave one. */
  cude: string | null;
}

export const invoiceJsonSchema = z
  .object({
    id: z.string(),
    contractNumber: z.string(),
    number: z.string(),
    period: z.string().describe('YYYY-MM'),
    issueDate: z.string().describe('YYYY-MM-DD'),
    dueDate: z.string().describe('YYYY-MM-DD, the last day to pay (Colombia)'),
    amount: z.number().int().describe('Whole Colombian pesos'),
    status: z.enum(INVOICE_STATUSES),
    statusLabel: z.string().describe('Spanish, e.g. "Pagada"'),
    overdue: z.boolean().describe('UNPAID after its due day'),
    paidAt: z.string().nullable(),
    cude: z
      .string()
      .nullable()
      .describe('DIAN electronic equivalent document: its CUDE (96 hex characters), null when the feed gave none'),
  })
  .meta({ id: 'Invoice' });
export type InvoiceJson = z.infer<typeof invoiceJsonSchema>;

/** Unpaid after the due day has ended in Colombia (`today` is the Colombian calendar day). */
export function isOverdue(invoice: Pick<Invoice, 'status' | 'dueDate'>, today: string): boolean {
  return invoice.status === 'UNPAID' && invoice.dueDate < today;
}

export function invoiceToJson(invoice: Invoice, today: string): InvoiceJson {
  return {
    id: invoice.id,
    contractNumber: invoice.contractNumber,
    number: invoice.number,
    period: invoice.period,
    issueDate: invoice.issueDate,
    dueDate: invoice.dueDate,
    amount: invoice.amount,
    status: invoice.status,
    statusLabel: INVOICE_STATUS_LABELS[invoice.status],
    overdue: isOverdue(invoice, today),
    paidAt: invoice.paidAt?.toISOString() ?? null,
    cude: invoice.cude,
  };
}

const COLUMNS = [
  'i.id',
  'i.contract_id',
  'c.number as contract_number',
  'i.number',
  'i.period',
  'i.issue_date',
  'i.due_date',
  'i.amount',
  'i.status',
  'i.paid_at',
  'i.cude',
];

function fromRow(row: Record<string, unknown>): Invoice {
  return {
    id: String(row.id),
    contractId: String(row.contract_id),
    contractNumber: String(row.contract_number),
    number: String(row.number),
    period: String(row.period),
    issueDate: asDay(row.issue_date),
    dueDate: asDay(row.due_date),
    amount: Number(row.amount),
    status: row.status as InvoiceStatus,
    paidAt: asOptionalDate(row.paid_at),
    cude: (row.cude as string | null | undefined) ?? null,
  };
}

/** A contract's invoices as the API lists them: newest period first. */
const NEWEST_FIRST = [
  { column: 'i.period', order: 'desc' as const },
  { column: 'i.number', order: 'desc' as const },
];

export const invoiceQueries = {
  byContract: (db: DbOrTx, contractId: string) =>
    db('invoices as i')
      .join('contracts as c', 'c.id', 'i.contract_id')
      .where('i.contract_id', contractId)
      .orderBy(NEWEST_FIRST)
      .select(COLUMNS),
  byId: (db: DbOrTx, id: string) =>
    db('invoices as i').join('contracts as c', 'c.id', 'i.contract_id').where('i.id', id).first(COLUMNS),
  /** UNPAID → PAID, only if still unpaid: of two concurrent payments exactly one changes the row. */
  markPaid: (db: DbOrTx, id: string, now: Date) =>
    db('invoices').where({ id, status: 'UNPAID' }).update({ status: 'PAID', paid_at: now, updated_at: now }),
  /** PAID → UNPAID for a reversal. */
  markUnpaid: (db: DbOrTx, id: string, now: Date) =>
    db('invoices').where({ id, status: 'PAID' }).update({ status: 'UNPAID', paid_at: null, updated_at: now }),
};

const contractWithInvoicesQuery = compiledQuery((db, p: { number: string }) =>
  db('contracts as c')
    .leftJoin('invoices as i', 'i.contract_id', 'c.id')
    .where('c.number', p.number)
    .orderBy(NEWEST_FIRST)
    .select<Record<string, unknown>[]>(['c.id as c_id', ...CONTRACT_DETAIL_COLUMNS, ...COLUMNS]),
);

/**
 * A contract by its number with its invoices, newest period first, in one statement (it is on
 * every search's path); undefined when no contract has that number.
 */
export async function findContractWithInvoices(
  db: DbOrTx,
  number: string,
): Promise<{ contract: Contract; invoices: Invoice[] } | undefined> {
  const rows = await contractWithInvoicesQuery(db, { number });
  const [first] = rows;
  if (!first) return undefined;
  const contract = contractFromRow({
    ...(first as unknown as ContractRow),
    id: String(first.c_id),
    number: String(first.contract_number),
  });
  // A contract without invoices is one row whose invoice columns are null.
  return { contract, invoices: rows.filter((row) => row.id !== null && row.id !== undefined).map(fromRow) };
}

export async function listContractInvoices(db: DbOrTx, contractId: string): Promise<Invoice[]> {
  return (await invoiceQueries.byContract(db, contractId)).map(fromRow);
}

export async function findInvoice(db: DbOrTx, id: string): Promise<Invoice | undefined> {
  const row = (await invoiceQueries.byId(db, id)) as Record<string, unknown> | undefined;
  return row ? fromRow(row) : undefined;
}

export async function markInvoicePaid(db: DbOrTx, id: string, now: Date): Promise<boolean> {
  return (await invoiceQueries.markPaid(db, id, now)) === 1;
}

/**
 * Marks UNPAID invoices as changed (their lines are being replaced), only those still unpaid, and
 * answers how many: on SQL Server the rows stay locked until the caller commits, so a payment
 * waits for the change. The caller checks the count against the ids it gave.
 */
export async function touchUnpaidInvoices(db: DbOrTx, ids: string[], now: Date): Promise<number> {
  let touched = 0;
  // 1,000 ids a statement: under T-SQL's 2,100 parameters.
  for (let i = 0; i < ids.length; i += 1000)
    touched += await db('invoices')
      .whereIn('id', ids.slice(i, i + 1000))
      .where({ status: 'UNPAID' })
      .update({ updated_at: now });
  return touched;
}

export async function markInvoiceUnpaid(db: DbOrTx, id: string, now: Date): Promise<boolean> {
  return (await invoiceQueries.markUnpaid(db, id, now)) === 1;
}

/**
 * An invoice of a contract the caller looked up or paid (who may print or email it); any other
 * is "not found", so nobody probes other people's contracts.
 */
export async function accessibleInvoice(db: DbOrTx, userId: string, invoiceId: string): Promise<Invoice> {
  const invoice = await findInvoice(db, invoiceId);
  if (!invoice || !(await hasContractAccess(db, userId, invoice.contractId))) {
    throw new AppError('INVOICE_NOT_FOUND', 'No encontramos esa factura entre los contratos que ha consultado.');
  }
  return invoice;
}
