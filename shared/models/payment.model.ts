import { z } from 'zod';

import { asDate, asOptionalDate, type DbOrTx, isUniqueViolation } from '../clients/sql.client';
import { formatCouponCode } from './coupon.model';
import { newId } from './ids';
import { type Keyset, keysetPage, pageOfRows } from './keyset';
import { GATEWAY_PAYMENT_STATUS_LABELS, PAYMENT_METHOD_LABELS } from './labels';
import { GATEWAY_PAYMENT_METHODS, type GatewayPaymentMethod } from './transaction.model';

/**
 * A payment attempt at the gateway (docs/payments.md): one gateway transaction for the sum of
 * 1–10 invoices, PENDING until the gateway's signed word (an event, or its API when the event
 * never came). Money is whole pesos here and cents at the gateway.
 */
export const GATEWAY_PAYMENT_STATUSES = ['PENDING', 'APPROVED', 'DECLINED', 'VOIDED', 'ERROR', 'EXPIRED'] as const;
export type GatewayPaymentStatus = (typeof GATEWAY_PAYMENT_STATUSES)[number];
export type ClosedPaymentStatus = Exclude<GatewayPaymentStatus, 'PENDING'>;

export interface PaymentItem {
  invoiceId: string;
  invoiceNumber: string;
  contractNumber: string;
  period: string;
  couponId: string;
  couponCode: string;
  amount: number;
}

export interface GatewayPayment {
  id: string;
  reference: string;
  userId: string | null;
  status: GatewayPaymentStatus;
  amount: number;
  currency: 'COP';
  paymentMethod: GatewayPaymentMethod;
  expiresAt: Date;
  createdAt: Date;
  finishedAt: Date | null;
  gatewayTransactionId: string | null;
  declineReason: string | null;
  items: PaymentItem[];
  transactionIds: string[];
}

export const paymentJsonSchema = z
  .object({
    id: z.string(),
    reference: z.string(),
    status: z.enum(GATEWAY_PAYMENT_STATUSES),
    statusLabel: z.string(),
    amount: z.number().int(),
    currency: z.literal('COP'),
    paymentMethod: z.enum(GATEWAY_PAYMENT_METHODS),
    paymentMethodLabel: z.string(),
    invoices: z.array(
      z.object({
        id: z.string(),
        number: z.string(),
        contractNumber: z.string(),
        period: z.string(),
        amount: z.number(),
      }),
    ),
    couponCodes: z.array(z.string()),
    checkoutUrl: z.string().nullable().describe('The gateway checkout to send the customer to, while PENDING'),
    expiresAt: z.iso.datetime(),
    createdAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
    gatewayTransactionId: z.string().nullable(),
    declineReason: z.string().nullable(),
    transactionIds: z.array(z.string()).describe('The PAYMENT rows it made, one per invoice, once APPROVED'),
  })
  .meta({ id: 'Payment' });
export type PaymentJson = z.infer<typeof paymentJsonSchema>;

export function paymentToJson(payment: GatewayPayment, checkoutUrl: string | null): PaymentJson {
  return {
    id: payment.id,
    reference: payment.reference,
    status: payment.status,
    statusLabel: GATEWAY_PAYMENT_STATUS_LABELS[payment.status],
    amount: payment.amount,
    currency: payment.currency,
    paymentMethod: payment.paymentMethod,
    paymentMethodLabel: PAYMENT_METHOD_LABELS[payment.paymentMethod],
    invoices: payment.items.map((i) => ({
      id: i.invoiceId,
      number: i.invoiceNumber,
      contractNumber: i.contractNumber,
      period: i.period,
      amount: i.amount,
    })),
    couponCodes: payment.items.map((i) => formatCouponCode(i.couponCode)),
    checkoutUrl: payment.status === 'PENDING' ? checkoutUrl : null,
    expiresAt: payment.expiresAt.toISOString(),
    createdAt: payment.createdAt.toISOString(),
    finishedAt: payment.finishedAt?.toISOString() ?? null,
    gatewayTransactionId: payment.gatewayTransactionId,
    declineReason: payment.declineReason,
    transactionIds: payment.transactionIds,
  };
}

/** The gateway's reference for a payment: its id without dashes (Wompi takes letters, digits, - and _). */
export const referenceOf = (paymentId: string) => `CUP${paymentId.replace(/-/g, '').toUpperCase()}`;

export interface NewPayment {
  userId: string | null;
  amount: number;
  paymentMethod: GatewayPaymentMethod;
  expiresAt: Date;
  now: Date;
  items: { invoiceId: string; couponId: string; amount: number }[];
}

/** A PENDING payment and its items; the filtered unique index refuses an invoice already in one. */
export async function insertPayment(db: DbOrTx, payment: NewPayment): Promise<{ id: string; reference: string }> {
  const id = newId(payment.now.getTime());
  const reference = referenceOf(id);
  await db('payments').insert({
    id,
    reference,
    user_id: payment.userId,
    status: 'PENDING',
    amount: payment.amount,
    currency: 'COP',
    payment_method: payment.paymentMethod,
    expires_at: payment.expiresAt,
    created_at: payment.now,
  });
  await db('payment_items').insert(
    payment.items.map((i) => ({
      payment_id: id,
      invoice_id: i.invoiceId,
      coupon_id: i.couponId,
      amount: i.amount,
      pending: true,
    })),
  );
  return { id, reference };
}

/** The PENDING payment one of these invoices is in, if any. */
export async function pendingPaymentOf(db: DbOrTx, invoiceIds: string[]): Promise<string | undefined> {
  const row = await db('payment_items')
    .whereIn('invoice_id', invoiceIds)
    .where({ pending: true })
    .first<{ payment_id: string } | undefined>('payment_id');
  return row ? String(row.payment_id).toLowerCase() : undefined;
}

const PAYMENT_COLUMNS = [
  'id',
  'reference',
  'user_id',
  'status',
  'amount',
  'currency',
  'payment_method',
  'expires_at',
  'created_at',
  'finished_at',
  'gateway_transaction_id',
  'decline_reason',
];

type PaymentRow = Record<string, unknown>;
/** knex's rows, typed once here (its generic calls can't name the shape of a join). */
const rowsOf = (rows: unknown): PaymentRow[] => rows as PaymentRow[];
const rowOf = (row: unknown): PaymentRow | undefined => row as PaymentRow | undefined;

async function withItems(db: DbOrTx, rows: PaymentRow[]): Promise<GatewayPayment[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => String(r.id));
  const items = rowsOf(
    await db('payment_items as pi')
      .join('invoices as i', 'i.id', 'pi.invoice_id')
      .join('contracts as c', 'c.id', 'i.contract_id')
      .join('coupons as cp', 'cp.id', 'pi.coupon_id')
      .whereIn('pi.payment_id', ids)
      .orderBy('i.number')
      .select(
        'pi.payment_id',
        'pi.invoice_id',
        'i.number as invoice_number',
        'c.number as contract_number',
        'i.period',
        'pi.coupon_id',
        'cp.code as coupon_code',
        'pi.amount',
      ),
  );
  const transactions = rowsOf(
    await db('transactions')
      .whereIn('payment_id', ids)
      .where({ type: 'PAYMENT' })
      .orderBy('created_at')
      .select('id', 'payment_id'),
  );
  const key = (v: unknown) => String(v).toLowerCase();
  return rows.map((row) => ({
    id: key(row.id),
    reference: String(row.reference),
    userId: row.user_id ? key(row.user_id) : null,
    status: row.status as GatewayPaymentStatus,
    amount: Number(row.amount),
    currency: 'COP',
    paymentMethod: row.payment_method as GatewayPaymentMethod,
    expiresAt: asDate(row.expires_at),
    createdAt: asDate(row.created_at),
    finishedAt: asOptionalDate(row.finished_at),
    gatewayTransactionId: (row.gateway_transaction_id as string | null) ?? null,
    declineReason: (row.decline_reason as string | null) ?? null,
    items: items
      .filter((i) => key(i.payment_id) === key(row.id))
      .map((i) => ({
        invoiceId: key(i.invoice_id),
        invoiceNumber: String(i.invoice_number),
        contractNumber: String(i.contract_number),
        period: String(i.period),
        couponId: key(i.coupon_id),
        couponCode: String(i.coupon_code),
        amount: Number(i.amount),
      })),
    transactionIds: transactions.filter((t) => key(t.payment_id) === key(row.id)).map((t) => key(t.id)),
  }));
}

export async function findPayment(db: DbOrTx, id: string): Promise<GatewayPayment | undefined> {
  const row = rowOf(await db('payments').where({ id }).first(PAYMENT_COLUMNS));
  return row ? (await withItems(db, [row]))[0] : undefined;
}

export async function findPaymentByReference(db: DbOrTx, reference: string): Promise<GatewayPayment | undefined> {
  const row = rowOf(await db('payments').where({ reference }).first(PAYMENT_COLUMNS));
  return row ? (await withItems(db, [row]))[0] : undefined;
}

export async function pagePayments(
  db: DbOrTx,
  userId: string,
  options: { status?: GatewayPaymentStatus; cursor?: Keyset; limit: number },
): Promise<{ items: GatewayPayment[]; hasMore: boolean }> {
  const query = db('payments').where({ user_id: userId });
  if (options.status) void query.where({ status: options.status });
  const rows = rowsOf(
    await keysetPage(query, { at: 'created_at', id: 'id' }, options.cursor, options.limit).select(PAYMENT_COLUMNS),
  );
  const page = pageOfRows(rows, options.limit, (r) => r);
  return { items: await withItems(db, page.items), hasMore: page.hasMore };
}

/**
 * PENDING → a final status, only while it is PENDING: of an event and the reconciler (or two
 * instances with one event) exactly one closes it. Its invoices are free for another payment then.
 */
export async function closePayment(
  db: DbOrTx,
  id: string,
  close: { status: ClosedPaymentStatus; now: Date; gatewayTransactionId?: string; declineReason?: string | null },
): Promise<boolean> {
  const changed = await db('payments')
    .where({ id, status: 'PENDING' })
    .update({
      status: close.status,
      finished_at: close.now,
      ...(close.gatewayTransactionId ? { gateway_transaction_id: close.gatewayTransactionId } : {}),
      decline_reason: close.declineReason?.slice(0, 300) ?? null,
    });
  if (changed === 0) return false;
  await db('payment_items').where({ payment_id: id }).update({ pending: false });
  return true;
}

/** The PENDING payments created before `before`, oldest first: the reconciler's work. */
export async function pendingPaymentsBefore(db: DbOrTx, before: Date, limit: number): Promise<GatewayPayment[]> {
  const rows = rowsOf(
    await db('payments')
      .where({ status: 'PENDING' })
      .where('created_at', '<', before)
      .orderBy('created_at')
      .limit(limit)
      .select(PAYMENT_COLUMNS),
  );
  return withItems(db, rows);
}

// ---- Events, as received ----

export interface ReceivedEvent {
  checksum: string;
  gatewayTransactionId: string;
  reference: string;
  status: string;
  amountInCents: number;
  currency: string;
  payload: string;
  now: Date;
}

/**
 * Stores an event once (by its checksum). Sent before, it is the stored one, and whether it was
 * applied: a delivery that failed after storing (the database went away mid-way) is applied by the
 * gateway's retry instead of being taken for done.
 */
export async function insertPaymentEvent(
  db: DbOrTx,
  event: ReceivedEvent,
): Promise<{ id: string; duplicate: boolean; applied: boolean }> {
  const id = newId(event.now.getTime());
  try {
    await db('payment_events').insert({
      id,
      checksum: event.checksum.toLowerCase(),
      gateway_transaction_id: event.gatewayTransactionId,
      reference: event.reference,
      status: event.status,
      amount_in_cents: event.amountInCents,
      currency: event.currency,
      payload: event.payload,
      received_at: event.now,
    });
    return { id, duplicate: false, applied: false };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const stored = rowOf(
      await db('payment_events').where({ checksum: event.checksum.toLowerCase() }).first('id', 'outcome'),
    );
    if (!stored) throw error;
    return { id: String(stored.id).toLowerCase(), duplicate: true, applied: stored.outcome !== null };
  }
}

export async function setEventOutcome(
  db: DbOrTx,
  id: string,
  outcome: string,
  paymentId: string | null,
): Promise<void> {
  // The first outcome stays: a repeated delivery that finds the payment closed says nothing new.
  await db('payment_events').where({ id }).whereNull('outcome').update({ outcome, payment_id: paymentId });
}

// ---- Money the gateway took that paid nothing ----

export const PAYMENT_EXCEPTION_OUTCOMES = ['ALREADY_PAID', 'AMOUNT_MISMATCH'] as const;
export type PaymentExceptionOutcome = (typeof PAYMENT_EXCEPTION_OUTCOMES)[number];

export async function insertPaymentException(
  db: DbOrTx,
  exception: {
    paymentId: string;
    invoiceId: string | null;
    outcome: PaymentExceptionOutcome;
    amountInCents: number;
    gatewayTransactionId: string;
    now: Date;
  },
): Promise<void> {
  await db('payment_exceptions').insert({
    id: newId(exception.now.getTime()),
    payment_id: exception.paymentId,
    invoice_id: exception.invoiceId,
    outcome: exception.outcome,
    amount_in_cents: exception.amountInCents,
    gateway_transaction_id: exception.gatewayTransactionId,
    created_at: exception.now,
  });
}

export async function paymentExceptionsOf(
  db: DbOrTx,
  paymentId: string,
): Promise<{ invoiceId: string | null; outcome: PaymentExceptionOutcome; amountInCents: number }[]> {
  const rows = rowsOf(
    await db('payment_exceptions')
      .where({ payment_id: paymentId })
      .orderBy('created_at')
      .select('invoice_id', 'outcome', 'amount_in_cents'),
  );
  return rows.map((r) => ({
    invoiceId: r.invoice_id ? String(r.invoice_id as string).toLowerCase() : null,
    outcome: r.outcome as PaymentExceptionOutcome,
    amountInCents: Number(r.amount_in_cents),
  }));
}

// ---- The operator's list: gateway exceptions beside the bank's ----

export interface GatewayException {
  id: string;
  paymentId: string;
  reference: string;
  gatewayTransactionId: string;
  outcome: PaymentExceptionOutcome;
  amountInCents: number;
  invoiceNumber: string | null;
  contractNumber: string | null;
  createdAt: Date;
  resolvedAt: Date | null;
  resolution: string | null;
}

export const gatewayExceptionJsonSchema = z
  .object({
    id: z.string(),
    source: z.literal('GATEWAY').describe('Where the money came from: an online payment the gateway approved'),
    paymentId: z.string(),
    reference: z.string().describe("The payment's reference at the gateway"),
    gatewayTransactionId: z.string(),
    outcome: z.enum(PAYMENT_EXCEPTION_OUTCOMES),
    amount: z.number().describe('Pesos the gateway took for it'),
    invoiceNumber: z.string().nullable().describe('ALREADY_PAID: the invoice paid meanwhile through another channel'),
    contractNumber: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    resolution: z.string().nullable(),
  })
  .meta({ id: 'GatewayException' });
export type GatewayExceptionJson = z.infer<typeof gatewayExceptionJsonSchema>;

export function gatewayExceptionToJson(e: GatewayException): GatewayExceptionJson {
  return {
    id: e.id,
    source: 'GATEWAY',
    paymentId: e.paymentId,
    reference: e.reference,
    gatewayTransactionId: e.gatewayTransactionId,
    outcome: e.outcome,
    amount: Math.round(e.amountInCents / 100),
    invoiceNumber: e.invoiceNumber,
    contractNumber: e.contractNumber,
    resolvedAt: e.resolvedAt?.toISOString() ?? null,
    resolution: e.resolution,
  };
}

const exceptionsWithDetails = (db: DbOrTx) =>
  db('payment_exceptions as x')
    .join('payments as p', 'p.id', 'x.payment_id')
    .leftJoin('invoices as i', 'i.id', 'x.invoice_id')
    .leftJoin('contracts as c', 'c.id', 'i.contract_id');
const EXCEPTION_COLUMNS = [
  'x.id',
  'x.payment_id',
  'p.reference',
  'x.gateway_transaction_id',
  'x.outcome',
  'x.amount_in_cents',
  'i.number as invoice_number',
  'c.number as contract_number',
  'x.created_at',
  'x.resolved_at',
  'x.resolution',
];
const exceptionFromRow = (r: PaymentRow): GatewayException => ({
  id: String(r.id).toLowerCase(),
  paymentId: String(r.payment_id).toLowerCase(),
  reference: String(r.reference),
  gatewayTransactionId: String(r.gateway_transaction_id),
  outcome: r.outcome as PaymentExceptionOutcome,
  amountInCents: Number(r.amount_in_cents),
  invoiceNumber: (r.invoice_number as string | null) ?? null,
  contractNumber: (r.contract_number as string | null) ?? null,
  createdAt: asDate(r.created_at),
  resolvedAt: asOptionalDate(r.resolved_at),
  resolution: (r.resolution as string | null) ?? null,
});

export async function pageGatewayExceptions(
  db: DbOrTx,
  options: { resolved: boolean; outcome?: string; cursor?: Keyset; limit: number },
): Promise<{ items: GatewayException[]; hasMore: boolean }> {
  const query = exceptionsWithDetails(db);
  if (options.resolved) void query.whereNotNull('x.resolved_at');
  else void query.whereNull('x.resolved_at');
  if (options.outcome) void query.where('x.outcome', options.outcome);
  const rows = rowsOf(
    await keysetPage(query, { at: 'x.created_at', id: 'x.id' }, options.cursor, options.limit).select(
      EXCEPTION_COLUMNS,
    ),
  );
  return pageOfRows(rows, options.limit, exceptionFromRow);
}

export async function findGatewayException(db: DbOrTx, id: string): Promise<GatewayException | undefined> {
  const row = rowOf(await exceptionsWithDetails(db).where('x.id', id).first(EXCEPTION_COLUMNS));
  return row ? exceptionFromRow(row) : undefined;
}

/** False when it is not open (already resolved). */
export async function resolveGatewayException(
  db: DbOrTx,
  id: string,
  operatorId: string,
  resolution: string,
  now: Date,
): Promise<boolean> {
  return (
    (await db('payment_exceptions')
      .where({ id })
      .whereNull('resolved_at')
      .update({ resolved_at: now, resolved_by: operatorId, resolution })) === 1
  );
}

/** How many invoices a gateway payment paid (its PAYMENT rows). */
export async function countPaymentsOf(db: DbOrTx, paymentId: string): Promise<number> {
  const row = rowOf(
    await db('transactions').where({ payment_id: paymentId, type: 'PAYMENT' }).count({ n: '*' }).first(),
  );
  return Number(row?.n ?? 0);
}

/** The gateway payments still waiting for the gateway's word, and since when (ix_payments_pending). */
export async function pendingPaymentsSummary(db: DbOrTx): Promise<{ pending: number; oldestPendingAt: Date | null }> {
  const row = await db('payments')
    .where({ status: 'PENDING' })
    .count({ count: '*' })
    .min({ oldest: 'created_at' })
    .first<{ count: unknown; oldest: unknown } | undefined>();
  return { pending: Number(row?.count ?? 0), oldestPendingAt: asOptionalDate(row?.oldest ?? null) };
}
