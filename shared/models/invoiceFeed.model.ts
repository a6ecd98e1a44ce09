import type { Knex } from 'knex';
import { z } from 'zod';

import { asDay, type DbOrTx, isTsql } from '../clients/sql.client';
import { contractNumberSchema } from './contract.model';
import { newId } from './ids';
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

/** Rows per statement: T-SQL takes at most 2,100 parameters and 1,000 rows of VALUES; SQLite 32,766 parameters. */
function rowsPerStatement(db: DbOrTx, columns: number): number {
  return isTsql(db) ? Math.min(1000, Math.floor(2000 / columns)) : Math.floor(30000 / columns);
}

/** T-SQL rows per OPENJSON statement: one parameter whatever the count; ~1.5 MB of JSON for invoice lines. */
const JSON_ROWS_PER_STATEMENT = 5000;

/**
 * Rows as multi-row `INSERT … VALUES (…), (…)` statements, as many rows per statement as the
 * engine takes. (knex writes a multi-row insert on SQLite as SELECT … UNION ALL, which SQLite
 * caps at 500 terms.) On T-SQL the rows go as one JSON parameter per statement instead, read by
 * OPENJSON: VALUES would stop at 2,000 parameters (200 rows of ten columns), and every parameter
 * is declared and bound on its own (the seed's 2,268 invoice lines: 2.3 s in 200-row VALUES on
 * Babelfish, 0.2–0.5 s as JSON), besides a round trip per 200 rows on Azure SQL.
 */
export async function insertRows(db: DbOrTx, table: string, rows: Record<string, unknown>[]): Promise<void> {
  const first = rows[0];
  if (!first) return;
  const columns = Object.keys(first);
  let valuesRows = rows;
  if (isTsql(db)) {
    const asJson: Record<string, unknown>[] = [];
    valuesRows = [];
    for (const row of rows) (columns.every((column) => jsonVerbatim(row[column])) ? asJson : valuesRows).push(row);
    for (const part of chunks(asJson, JSON_ROWS_PER_STATEMENT)) await insertRowsFromJson(db, table, columns, part);
  }
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (const part of chunks(valuesRows, rowsPerStatement(db, columns.length))) {
    await db.raw(`INSERT INTO ?? (${columns.map(() => '??').join(', ')}) VALUES ${part.map(() => tuple).join(', ')}`, [
      table,
      ...columns,
      ...part.flatMap((row) => columns.map((column) => row[column])),
    ] as Knex.RawBinding[]);
  }
}

/**
 * `INSERT … SELECT … FROM OPENJSON(@json)`: each row a JSON array in the columns' order, read as
 * text and converted by the INSERT to the column's type, as a parameter would be. Dates are sent
 * as UTC without a zone (what tedious binds for a Date), booleans as 1/0.
 */
async function insertRowsFromJson(
  db: DbOrTx,
  table: string,
  columns: string[],
  rows: Record<string, unknown>[],
): Promise<void> {
  const json = JSON.stringify(rows.map((row) => columns.map((column) => jsonValue(row[column]))));
  // The paths are literals of our own ($[0], $[1], …): OPENJSON takes no parameter there.
  const shape = columns.map((_, i) => `[c${i}] nvarchar(max) '$[${i}]'`).join(', ');
  await db.raw(
    `INSERT INTO ?? (${columns.map(() => '??').join(', ')}) SELECT ${columns.map((_, i) => `[c${i}]`).join(', ')} FROM OPENJSON(?) WITH (${shape})`,
    [table, ...columns, json],
  );
}

/**
 * Whether the value's JSON text is the value itself. Babelfish's OPENJSON hands a string back as
 * it is written in the JSON, escapes included (`"a\"b"` reads `a\"b`, not `a"b`), where SQL
 * Server decodes them; a row with a string that JSON escapes (a quote, a backslash, a control
 * character, half of a surrogate pair) goes through VALUES, so both engines store the same text.
 */
function jsonVerbatim(value: unknown): boolean {
  if (typeof value === 'string') return JSON.stringify(value) === `"${value}"`;
  // 1e-7 would not convert from text to decimal; a bound number would.
  if (typeof value === 'number') return Number.isFinite(value) && !String(value).includes('e');
  return value === null || value === undefined || typeof value === 'boolean' || value instanceof Date;
}

function jsonValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().slice(0, 23);
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value ?? null;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
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
