import { z } from 'zod';

import type { DbOrTx } from '../clients/sql.client';
import { newId } from './ids';
import { insertRows } from './insertRows';
import { SERVICE_LABELS, UNIT_LABELS } from './labels';
import { MAX_AMOUNT } from './money';

/**
 * What the bill says (docs/billing-feed.md, "Service lines"): an invoice's lines, one per service
 * concept, with the consumption of a metered service (kWh, m³) and its amount; a subsidy is a
 * negative line. The lines of an invoice add up to its amount.
 */
export const SERVICES = ['ENERGIA', 'ACUEDUCTO', 'ALCANTARILLADO', 'GAS', 'ASEO', 'ALUMBRADO', 'OTROS'] as const;
export type Service = (typeof SERVICES)[number];
export const UNITS = ['kWh', 'm3'] as const;
export type Unit = (typeof UNITS)[number];

/** The lines feed's CSV header, in this order. */
export const INVOICE_LINE_FEED_COLUMNS = [
  'invoice_number',
  'service',
  'concept',
  'unit',
  'quantity',
  'amount',
] as const;
/** The longest field (concept). */
export const LONGEST_LINE_FIELD_CHARS = 120;
/** Lines one invoice may have: more is a feed error, and it bounds what a group holds in memory. */
export const MAX_LINES_PER_INVOICE = 100;

export interface InvoiceLine {
  service: Service;
  concept: string;
  unit: Unit | null;
  quantity: number | null;
  amount: number;
}

/** One CSV line, checked field by field, with the reason in Spanish when it fails. */
export const invoiceLineFeedRowSchema = z
  .object({
    invoice_number: z
      .string()
      .trim()
      .min(1, 'invoice_number: está vacío.')
      .max(20, 'invoice_number: más de 20 caracteres.'),
    service: z.enum(SERVICES, { message: `service: ${SERVICES.join(', ')}.` }),
    concept: z
      .string()
      .trim()
      .min(1, 'concept: está vacío.')
      .max(LONGEST_LINE_FIELD_CHARS, `concept: más de ${LONGEST_LINE_FIELD_CHARS} caracteres.`),
    unit: z
      .string()
      .trim()
      .refine((u) => u === '' || (UNITS as readonly string[]).includes(u), 'unit: kWh, m3 o vacío.')
      .transform((u) => (u === '' ? null : (u as Unit))),
    quantity: z
      .string()
      .trim()
      .regex(/^(\d{1,9}(\.\d{1,3})?)?$/, 'quantity: un número con punto decimal (hasta 3 decimales), o vacío.')
      .transform((q) => (q === '' ? null : Number(q))),
    amount: z
      .string()
      .trim()
      .regex(/^-?\d{1,12}$/, 'amount: pesos enteros (negativo para un subsidio).')
      .transform(Number)
      .refine((a) => Math.abs(a) <= MAX_AMOUNT, `amount: hasta ${MAX_AMOUNT} pesos.`),
  })
  .refine((line) => (line.unit === null) === (line.quantity === null), {
    message: 'unit y quantity van juntos: un servicio medido lleva los dos, los demás ninguno.',
    path: ['unit'],
  });
export type InvoiceLineFeedRow = z.output<typeof invoiceLineFeedRowSchema>;

export const invoiceLineJsonSchema = z
  .object({
    service: z.enum(SERVICES),
    serviceLabel: z.string().describe('Spanish, e.g. "Energía"'),
    concept: z.string(),
    unit: z.enum(UNITS).nullable().describe('A metered service: kWh or m3'),
    unitLabel: z.string().nullable().describe('As printed: kWh, m³'),
    quantity: z.number().nullable().describe('The consumption, for a metered service'),
    amount: z.number().int().describe('Whole pesos; negative for a subsidy'),
  })
  .meta({ id: 'InvoiceLine' });
export type InvoiceLineJson = z.infer<typeof invoiceLineJsonSchema>;

export const invoiceLineToJson = (line: InvoiceLine): InvoiceLineJson => ({
  service: line.service,
  serviceLabel: SERVICE_LABELS[line.service],
  concept: line.concept,
  unit: line.unit,
  unitLabel: line.unit ? UNIT_LABELS[line.unit] : null,
  quantity: line.quantity,
  amount: line.amount,
});

const fromRow = (row: Record<string, unknown>): InvoiceLine => ({
  service: row.service as Service,
  concept: String(row.concept),
  unit: (row.unit as Unit | null) ?? null,
  quantity: row.quantity === null || row.quantity === undefined ? null : Number(row.quantity),
  amount: Number(row.amount),
});

export const invoiceLineQueries = {
  ofInvoice: (db: DbOrTx, invoiceId: string) =>
    db('invoice_lines')
      .where({ invoice_id: invoiceId })
      .orderBy('line_no')
      .select('service', 'concept', 'unit', 'quantity', 'amount'),
  /** The latest periods a contract has lines for: ix_invoice_lines_contract_period, read backwards. */
  latestPeriods: (db: DbOrTx, contractId: string, periods: number, throughPeriod?: string) => {
    const query = db('invoice_lines').where({ contract_id: contractId });
    if (throughPeriod) void query.where('period', '<=', throughPeriod);
    return query.distinct('period').orderBy('period', 'desc').limit(periods);
  },
  /** Per service and period: the metered quantity and the amount, for the periods given. */
  consumption: (db: DbOrTx, contractId: string, periods: string[]) =>
    db('invoice_lines')
      .where({ contract_id: contractId })
      .whereIn('period', periods)
      .groupBy('service', 'period')
      .select(
        'service',
        'period',
        db.raw('MAX(unit) as unit'),
        db.raw('SUM(quantity) as quantity'),
        db.raw('SUM(amount) as amount'),
      ),
};

export async function linesOfInvoice(db: DbOrTx, invoiceId: string): Promise<InvoiceLine[]> {
  return ((await invoiceLineQueries.ofInvoice(db, invoiceId)) as Record<string, unknown>[]).map(fromRow);
}

/** The invoices' lines at once (an import batch compares them with the file's). */
export async function linesOfInvoices(db: DbOrTx, invoiceIds: string[]): Promise<Map<string, InvoiceLine[]>> {
  const byInvoice = new Map<string, InvoiceLine[]>(invoiceIds.map((id) => [id, []]));
  if (invoiceIds.length === 0) return byInvoice;
  const rows = await db('invoice_lines')
    .whereIn('invoice_id', invoiceIds)
    .orderBy(['invoice_id', 'line_no'])
    .select<Record<string, unknown>[]>('invoice_id', 'service', 'concept', 'unit', 'quantity', 'amount');
  for (const row of rows) byInvoice.get(String(row.invoice_id).toLowerCase())?.push(fromRow(row));
  return byInvoice;
}

/**
 * Invoices' lines replaced by these (inside the caller's transaction): the old lines of those
 * that had some deleted in one statement, the new ones inserted in multi-row statements.
 */
export async function replaceInvoiceLines(
  db: DbOrTx,
  replacements: {
    invoice: { id: string; contractId: string; period: string };
    lines: InvoiceLine[];
    hadLines: boolean;
  }[],
): Promise<void> {
  const stale = replacements.filter((r) => r.hadLines).map((r) => r.invoice.id);
  for (let i = 0; i < stale.length; i += 1000)
    await db('invoice_lines')
      .whereIn('invoice_id', stale.slice(i, i + 1000))
      .delete();
  await insertRows(
    db,
    'invoice_lines',
    replacements.flatMap(({ invoice, lines }) =>
      lines.map((line, i) => ({
        id: newId(),
        invoice_id: invoice.id,
        contract_id: invoice.contractId,
        period: invoice.period,
        line_no: i + 1,
        service: line.service,
        concept: line.concept,
        unit: line.unit,
        quantity: line.quantity,
        amount: line.amount,
      })),
    ),
  );
}

export const sameLines = (a: InvoiceLine[], b: InvoiceLine[]) =>
  a.length === b.length && a.every((line, i) => JSON.stringify(line) === JSON.stringify(b[i]));

/** A metered service's consumption, one row per period, oldest first. */
export interface ServiceConsumption {
  service: Service;
  unit: Unit;
  periods: { period: string; quantity: number; amount: number }[];
}

/**
 * A contract's last `periods` billed periods (up to `throughPeriod`, when given: an older
 * invoice's chart ends at its own period), per metered service, oldest first; services without
 * a unit (aseo, alumbrado) have no consumption to chart. Both reads use
 * ix_invoice_lines_contract_period.
 */
export async function meteredConsumption(
  db: DbOrTx,
  contractId: string,
  periods: number,
  throughPeriod?: string,
): Promise<ServiceConsumption[]> {
  const latest = (
    (await invoiceLineQueries.latestPeriods(db, contractId, periods, throughPeriod)) as { period: string }[]
  ).map((r) => String(r.period));
  if (latest.length === 0) return [];
  const rows = (await invoiceLineQueries.consumption(db, contractId, latest)) as Record<string, unknown>[];
  const services = new Map<Service, ServiceConsumption>();
  for (const row of rows.sort((a, b) => String(a.period).localeCompare(String(b.period)))) {
    const unit = (row.unit as Unit | null) ?? null;
    if (!unit) continue;
    const service = row.service as Service;
    const entry = services.get(service) ?? { service, unit, periods: [] };
    entry.periods.push({ period: String(row.period), quantity: Number(row.quantity ?? 0), amount: Number(row.amount) });
    services.set(service, entry);
  }
  return [...services.values()].sort((a, b) => SERVICES.indexOf(a.service) - SERVICES.indexOf(b.service));
}
