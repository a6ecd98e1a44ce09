import { randomInt } from 'node:crypto';

import { z } from 'zod';

import { asDate, asDay, asOptionalDate, type DbOrTx, isUniqueViolation } from '../clients/sql.client';
import { barcodeSchema, buildBarcode } from '../formats/barcode';
import { compiledQuery } from './compiledQuery';
import { newId } from './ids';
import { type Keyset, keysetPage, pageOfRows } from './keyset';
import { COUPON_STATUS_LABELS } from './labels';
import { bogotaDay } from './time';

/**
 * The payment coupon ("cupón de pago"): ACTIVE → USED | EXPIRED | CANCELLED, never back. At most
 * one ACTIVE coupon per (user, invoice), enforced by a filtered unique index. Every transition is
 * a conditional update on the current status, so concurrent requests cannot both win.
 */
export const COUPON_STATUSES = ['ACTIVE', 'USED', 'EXPIRED', 'CANCELLED'] as const;
export type CouponStatus = (typeof COUPON_STATUSES)[number];

export const couponJsonSchema = z
  .object({
    code: z.string().describe('12 digits, the last a Damm check digit'),
    codeFormatted: z.string().describe('As printed: "2414 3979 7539"'),
    invoiceId: z.string(),
    amount: z.number().int().describe('Whole Colombian pesos'),
    status: z.enum(COUPON_STATUSES),
    statusLabel: z.string().describe('Spanish, e.g. "Activo"'),
    issuedAt: z.string(),
    expiresAt: z.string(),
    closedAt: z.string().nullable(),
    barcode: barcodeSchema,
  })
  .meta({ id: 'Coupon' });

export interface Coupon {
  id: string;
  code: string;
  userId: string;
  invoiceId: string;
  amount: number;
  status: CouponStatus;
  issuedAt: Date;
  expiresAt: Date;
  closedAt: Date | null;
}

// ---- The code: 11 random digits and a Damm check digit ----

// Damm's quasigroup: its check digit catches every single-digit error and every adjacent transposition.
const DAMM = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

export function dammCheckDigit(digits: string): number {
  return [...digits].reduce((interim, digit) => DAMM[interim]?.[Number(digit)] ?? 0, 0);
}

export const COUPON_CODE_LENGTH = 12;

export function isValidCouponCode(code: string): boolean {
  return new RegExp(`^\\d{${COUPON_CODE_LENGTH}}$`).test(code) && dammCheckDigit(code) === 0;
}

export function newCouponCode(): string {
  const body = Array.from({ length: COUPON_CODE_LENGTH - 1 }, () => randomInt(0, 10)).join('');
  return body + dammCheckDigit(body);
}

/** "4821 0937 5512": how the code is printed and read aloud. */
export function formatCouponCode(code: string): string {
  return code.replace(/(\d{4})(?=\d)/g, '$1 ');
}

/** Accepts the code as printed (spaces, dashes) and refuses a typo through the check digit. */
export const couponCodeSchema = z
  .string()
  .max(20, 'El código del cupón no es válido: revise los 12 dígitos.')
  .transform((raw) => raw.replace(/[\s-]/g, ''))
  .refine(isValidCouponCode, 'El código del cupón no es válido: revise los 12 dígitos.');

// ---- Rows and queries ----

interface CouponRow {
  id: string;
  code: string;
  user_id: string;
  invoice_id: string;
  amount: number;
  status: CouponStatus;
  issued_at: unknown;
  expires_at: unknown;
  closed_at: unknown;
}

export function couponFromRow(row: CouponRow): Coupon {
  return {
    id: row.id,
    code: row.code,
    userId: row.user_id,
    invoiceId: row.invoice_id,
    amount: Number(row.amount), // bigint: tedious reads it as a string
    status: row.status,
    issuedAt: asDate(row.issued_at),
    expiresAt: asDate(row.expires_at),
    closedAt: asOptionalDate(row.closed_at),
  };
}

export const couponQueries = {
  activeFor: (db: DbOrTx, userId: string, invoiceId: string) =>
    db<CouponRow>('coupons').where({ user_id: userId, invoice_id: invoiceId, status: 'ACTIVE' }).first(),
  byCode: (db: DbOrTx, code: string) => db<CouponRow>('coupons').where({ code }).first(),
  byCodeFor: (db: DbOrTx, code: string, userId: string) =>
    db<CouponRow>('coupons').where({ code, user_id: userId }).first(),
  /** ACTIVE → USED, only while it is still ACTIVE and unexpired. */
  use: (db: DbOrTx, id: string, now: Date) =>
    db('coupons')
      .where({ id, status: 'ACTIVE' })
      .where('expires_at', '>', now)
      .update({ status: 'USED', closed_at: now }),
  /** ACTIVE → CANCELLED for one coupon of its owner. */
  cancel: (db: DbOrTx, id: string, userId: string, now: Date) =>
    db('coupons').where({ id, user_id: userId, status: 'ACTIVE' }).update({ status: 'CANCELLED', closed_at: now }),
  /** The other ACTIVE coupons of an invoice that was just paid: cancelled, owners returned for notices. */
  cancelOthersForInvoice: (db: DbOrTx, invoiceId: string, keepId: string, now: Date) =>
    db('coupons')
      .where({ invoice_id: invoiceId, status: 'ACTIVE' })
      .whereNot({ id: keepId })
      .update({ status: 'CANCELLED', closed_at: now }, ['id', 'code', 'user_id', 'invoice_id']),
  /** Every ACTIVE coupon of an invoice whose amount or dates the billing feed changed. */
  cancelAllForInvoice: (db: DbOrTx, invoiceId: string, now: Date) =>
    db('coupons')
      .where({ invoice_id: invoiceId, status: 'ACTIVE' })
      .update({ status: 'CANCELLED', closed_at: now }, ['id', 'code', 'user_id', 'invoice_id']),
  /** A printed coupon the bank collected: USED whatever it was (ACTIVE, EXPIRED, CANCELLED), never twice. */
  collect: (db: DbOrTx, id: string, now: Date) =>
    db('coupons').where({ id }).whereNot({ status: 'USED' }).update({ status: 'USED', closed_at: now }),
  /** One bounded batch of ACTIVE coupons whose time is up, oldest first. */
  dueForExpiry: (db: DbOrTx, now: Date, batchSize: number) =>
    db('coupons')
      .where({ status: 'ACTIVE' })
      .where('expires_at', '<=', now)
      .orderBy('expires_at')
      .limit(batchSize)
      .select('id'),
  /** ACTIVE → EXPIRED for a batch, returning only the rows this statement changed. */
  expire: (db: DbOrTx, ids: string[], now: Date) =>
    db('coupons')
      .whereIn('id', ids)
      .where({ status: 'ACTIVE' })
      .where('expires_at', '<=', now)
      .update({ status: 'EXPIRED', closed_at: now }, ['id', 'code', 'user_id', 'invoice_id']),
  /** ACTIVE coupons ending within the warning window that were not warned about yet. */
  dueForExpiryWarning: (db: DbOrTx, now: Date, horizon: Date, batchSize: number) =>
    db('coupons')
      .where({ status: 'ACTIVE' })
      .whereNull('expiry_warned_at')
      .where('expires_at', '>', now)
      .where('expires_at', '<=', horizon)
      .orderBy('expires_at')
      .limit(batchSize)
      .select('id'),
  /** Marks the warning sent, once: returns only the rows this statement marked. */
  markExpiryWarned: (db: DbOrTx, ids: string[], now: Date) =>
    db('coupons')
      .whereIn('id', ids)
      .where({ status: 'ACTIVE' })
      .whereNull('expiry_warned_at')
      .update({ expiry_warned_at: now }, ['id', 'code', 'user_id', 'invoice_id', 'expires_at']),
  /** The cuponera, with what each coupon pays (one join; the list needs no call per item). */
  page: (db: DbOrTx, userId: string, options: { status?: CouponStatus; cursor?: Keyset; limit: number }) => {
    const query = db('coupons as k')
      .join('invoices as i', 'i.id', 'k.invoice_id')
      .join('contracts as c', 'c.id', 'i.contract_id')
      .where('k.user_id', userId);
    if (options.status) void query.where('k.status', options.status);
    return keysetPage(query, { at: 'k.issued_at', id: 'k.id' }, options.cursor, options.limit).select(
      'k.*',
      'i.number as invoice_number',
      'i.period as invoice_period',
      'i.due_date as invoice_due_date',
      'c.number as contract_number',
    );
  },
};

export async function findActiveCoupon(db: DbOrTx, userId: string, invoiceId: string): Promise<Coupon | undefined> {
  const row = await couponQueries.activeFor(db, userId, invoiceId);
  return row ? couponFromRow(row) : undefined;
}

/** On every search's path: the caller's ACTIVE coupons for a contract's unpaid invoices. */
const activeCouponsQuery = compiledQuery((db, p: { userId: string; invoiceIds: string[] }) =>
  db<CouponRow>('coupons').where({ user_id: p.userId, status: 'ACTIVE' }).whereIn('invoice_id', p.invoiceIds),
);

/** The user's ACTIVE coupon of each of these invoices (by invoice id), in one statement per 500 invoices. */
export async function findActiveCoupons(
  db: DbOrTx,
  userId: string,
  invoiceIds: string[],
): Promise<Map<string, Coupon>> {
  const found = new Map<string, Coupon>();
  for (let i = 0; i < invoiceIds.length; i += 500) {
    const rows = await activeCouponsQuery(db, { userId, invoiceIds: invoiceIds.slice(i, i + 500) });
    for (const coupon of rows.map(couponFromRow)) found.set(coupon.invoiceId, coupon);
  }
  return found;
}

/** Whoever holds it: a bank collects the printed coupon, not a user's session. */
export async function findAnyCouponByCode(db: DbOrTx, code: string): Promise<Coupon | undefined> {
  const row = await couponQueries.byCode(db, code);
  return row ? couponFromRow(row) : undefined;
}

export async function findCouponByCode(db: DbOrTx, code: string, userId: string): Promise<Coupon | undefined> {
  const row = await couponQueries.byCodeFor(db, code, userId);
  return row ? couponFromRow(row) : undefined;
}

export async function findCouponById(db: DbOrTx, id: string): Promise<Coupon | undefined> {
  const row = await db<CouponRow>('coupons').where({ id }).first();
  return row ? couponFromRow(row) : undefined;
}

/**
 * USED once the gateway took the money for it: whatever befell the coupon while the customer was
 * at the checkout (it expired, or was cancelled), the money paid its invoice.
 */
export async function markCouponPaidByGateway(db: DbOrTx, id: string, now: Date): Promise<boolean> {
  return (
    (await db('coupons').where({ id }).whereNot({ status: 'USED' }).update({ status: 'USED', closed_at: now })) > 0
  );
}

/** A coupon gets one "vence pronto" notice this long before it ends. */
export const EXPIRY_WARNING_HOURS = 24;

/**
 * A new ACTIVE coupon, or 'duplicate' when a unique index refused it: the user already has an
 * ACTIVE coupon for the invoice (a concurrent request made it) or, rarely, the code is taken.
 */
export async function insertCoupon(
  db: DbOrTx,
  coupon: Omit<Coupon, 'id' | 'status' | 'closedAt'>,
): Promise<Coupon | 'duplicate'> {
  // Born inside the warning window (an overdue invoice's 4-hour coupon): its "generated" notice
  // already says when it ends, so it is marked warned and gets no "vence pronto" on top.
  const bornWarned = coupon.expiresAt.getTime() - coupon.issuedAt.getTime() <= EXPIRY_WARNING_HOURS * 3600_000;
  const row = {
    id: newId(),
    code: coupon.code,
    user_id: coupon.userId,
    invoice_id: coupon.invoiceId,
    amount: coupon.amount,
    status: 'ACTIVE' as const,
    issued_at: coupon.issuedAt,
    expires_at: coupon.expiresAt,
  };
  try {
    await db('coupons').insert({ ...row, expiry_warned_at: bornWarned ? coupon.issuedAt : null });
  } catch (error) {
    if (isUniqueViolation(error)) return 'duplicate';
    throw error;
  }
  return couponFromRow({ ...row, closed_at: null });
}

export async function markCouponUsed(db: DbOrTx, id: string, now: Date): Promise<boolean> {
  return (await couponQueries.use(db, id, now)) === 1;
}

export async function markCouponCancelled(db: DbOrTx, id: string, userId: string, now: Date): Promise<boolean> {
  return (await couponQueries.cancel(db, id, userId, now)) === 1;
}

export interface ClosedCoupon {
  id: string;
  code: string;
  userId: string;
  invoiceId: string;
}

type ClosedRow = { id: string; code: string; user_id: string; invoice_id: string };
const closedFromRows = (rows: ClosedRow[]): ClosedCoupon[] =>
  rows.map((r) => ({ id: r.id, code: r.code, userId: r.user_id, invoiceId: r.invoice_id }));

export async function markOtherActiveCouponsCancelled(
  db: DbOrTx,
  invoiceId: string,
  keepId: string,
  now: Date,
): Promise<ClosedCoupon[]> {
  return closedFromRows((await couponQueries.cancelOthersForInvoice(db, invoiceId, keepId, now)) as ClosedRow[]);
}

export async function markActiveCouponsCancelled(db: DbOrTx, invoiceId: string, now: Date): Promise<ClosedCoupon[]> {
  return closedFromRows((await couponQueries.cancelAllForInvoice(db, invoiceId, now)) as ClosedRow[]);
}

export async function markCouponCollected(db: DbOrTx, id: string, now: Date): Promise<boolean> {
  return (await couponQueries.collect(db, id, now)) === 1;
}

export async function couponIdsDueForExpiry(db: DbOrTx, now: Date, batchSize: number): Promise<string[]> {
  return (await couponQueries.dueForExpiry(db, now, batchSize)).map((row: { id: string }) => row.id);
}

export async function markCouponsExpired(db: DbOrTx, ids: string[], now: Date): Promise<ClosedCoupon[]> {
  return closedFromRows((await couponQueries.expire(db, ids, now)) as ClosedRow[]);
}

/** What a coupon pays, as the cuponera shows it beside the coupon. */
export const invoiceSummarySchema = z
  .object({ number: z.string(), period: z.string(), dueDate: z.string(), contractNumber: z.string() })
  .meta({ id: 'InvoiceSummary' });
export type InvoiceSummary = z.infer<typeof invoiceSummarySchema>;

export async function pageCoupons(
  db: DbOrTx,
  userId: string,
  options: { status?: CouponStatus; cursor?: Keyset; limit: number },
): Promise<{ items: (Coupon & { invoice: InvoiceSummary })[]; hasMore: boolean }> {
  const rows = (await couponQueries.page(db, userId, options)) as (CouponRow & Record<string, unknown>)[];
  return pageOfRows(rows, options.limit, (row) => ({
    ...couponFromRow(row),
    invoice: {
      number: String(row.invoice_number),
      period: String(row.invoice_period),
      dueDate: asDay(row.invoice_due_date),
      contractNumber: String(row.contract_number),
    },
  }));
}

export async function couponIdsDueForExpiryWarning(
  db: DbOrTx,
  now: Date,
  horizon: Date,
  batchSize: number,
): Promise<string[]> {
  return (await couponQueries.dueForExpiryWarning(db, now, horizon, batchSize)).map((row: { id: string }) => row.id);
}

export async function markExpiryWarned(
  db: DbOrTx,
  ids: string[],
  now: Date,
): Promise<(ClosedCoupon & { expiresAt: Date })[]> {
  const rows = await couponQueries.markExpiryWarned(db, ids, now);
  return rows.map((r: { id: string; code: string; user_id: string; invoice_id: string; expires_at: unknown }) => ({
    id: r.id,
    code: r.code,
    userId: r.user_id,
    invoiceId: r.invoice_id,
    expiresAt: asDate(r.expires_at),
  }));
}

const contractCouponsQuery = (db: DbOrTx, contractId: string, limit: number) =>
  db('coupons as k')
    .join('invoices as i', 'i.id', 'k.invoice_id')
    .join('users as u', 'u.id', 'k.user_id')
    .where('i.contract_id', contractId)
    .orderBy([
      { column: 'k.issued_at', order: 'desc' },
      { column: 'k.id', order: 'desc' },
    ])
    .limit(limit)
    .select('k.*', 'u.email as user_email');

/** Every customer's coupons for a contract's invoices, newest first, with the owner's email (operators). */
export async function contractCoupons(
  db: DbOrTx,
  contractId: string,
  limit = 500,
): Promise<(Coupon & { userEmail: string })[]> {
  const rows = (await contractCouponsQuery(db, contractId, limit)) as (CouponRow & { user_email: string })[];
  return rows.map((row) => ({ ...couponFromRow(row), userEmail: row.user_email }));
}

export type CouponJson = z.infer<typeof couponJsonSchema>;
/** A cuponera item: the coupon and what it pays, so the list needs no call per item. */
export const couponListItemSchema = couponJsonSchema
  .extend({ invoice: invoiceSummarySchema })
  .meta({ id: 'CouponListItem' });
export type CouponListItemJson = z.infer<typeof couponListItemSchema>;

/** Payment reference (8020) is the coupon code; the barcode's due date (96) is its last valid day. */
export function couponToJson(coupon: Coupon, billerGln: string): CouponJson {
  return {
    code: coupon.code,
    codeFormatted: formatCouponCode(coupon.code),
    invoiceId: coupon.invoiceId,
    amount: coupon.amount,
    status: coupon.status,
    statusLabel: COUPON_STATUS_LABELS[coupon.status],
    issuedAt: coupon.issuedAt.toISOString(),
    expiresAt: coupon.expiresAt.toISOString(),
    closedAt: coupon.closedAt?.toISOString() ?? null,
    barcode: buildBarcode({
      gln: billerGln,
      reference: coupon.code,
      amount: coupon.amount,
      dueDate: bogotaDay(coupon.expiresAt),
    }),
  };
}
