import { z } from 'zod';

import { GatewayError, type PaymentGateway } from '../clients/gateway.client';
import { type BeforeCommit, type DbOrTx, inTransaction, inTransactionRacing } from '../clients/sql.client';
import { appMetrics } from '../clients/telemetry.client';
import type { Config } from '../config';
import { AppError } from '../errors';
import {
  checkoutUrl,
  hasValidChecksum,
  type WompiEvent,
  wompiEventSchema,
  type WompiTransaction,
} from '../formats/wompi';
import { couponCodeSchema, findCouponByCode, findCouponById, markCouponPaidByGateway } from '../models/coupon.model';
import { findInvoice, markInvoicePaid } from '../models/invoice.model';
import { notificationMessage } from '../models/message.model';
import { addToOutbox } from '../models/outbox.model';
import { decodeCursor, type Page, toPage } from '../models/pagination';
import {
  closePayment,
  findPayment,
  findPaymentByReference,
  GATEWAY_PAYMENT_STATUSES,
  type GatewayPayment,
  insertPayment,
  insertPaymentEvent,
  insertPaymentException,
  pagePayments,
  type PaymentJson,
  paymentToJson,
  pendingPaymentOf,
  pendingPaymentsBefore,
  setEventOutcome,
} from '../models/payment.model';
import { recordPayment } from '../models/paymentRecord.model';
import { GATEWAY_PAYMENT_METHODS, type GatewayPaymentMethod, type PaymentMethod } from '../models/transaction.model';
import { dispatchSoon } from '../outbox';
import type { BillingDeps } from '../services';
import { couponRefusal } from './coupon.controller';

/**
 * Online payments confirmed by the gateway (docs/payments.md). Money moves only on the gateway's
 * signed word: a payment is PENDING from its creation until an event with a valid checksum (or
 * the gateway's own API, asked by the reconciler) says APPROVED, DECLINED, VOIDED or ERROR; the
 * customer's return from the checkout proves nothing.
 */
export type GatewayDeps = BillingDeps & { gateway: PaymentGateway; config: Pick<Config, 'payments'> };

export const createPaymentBodySchema = z.object({
  couponCodes: z.array(couponCodeSchema).min(1).max(10),
  paymentMethod: z.enum(GATEWAY_PAYMENT_METHODS),
});

export const paymentListQuerySchema = z.object({
  status: z.enum(GATEWAY_PAYMENT_STATUSES).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/** The checkout link of a PENDING payment, signed with the integrity secret. */
export function checkoutOf(payments: Config['payments'], payment: GatewayPayment): string {
  return checkoutUrl(
    payments.checkoutUrl,
    {
      publicKey: payments.publicKey,
      reference: payment.reference,
      amountInCents: payment.amount * 100,
      currency: 'COP',
      redirectUrl: payments.returnUrl,
      expirationTime: payment.expiresAt.toISOString(),
    },
    payments.integritySecret,
  );
}

export const toJson = (deps: Pick<GatewayDeps, 'config'>, payment: GatewayPayment) =>
  paymentToJson(payment, checkoutOf(deps.config.payments, payment));

/**
 * A PENDING payment of 1–10 of the caller's ACTIVE coupons, each of a distinct UNPAID invoice,
 * for their sum. An invoice already in a PENDING payment is PAYMENT_IN_PROGRESS (with that
 * payment's id); two requests racing for one invoice meet at a unique index and one of them is.
 */
export async function createPayment(
  deps: GatewayDeps,
  request: { userId: string; couponCodes: string[]; paymentMethod: GatewayPaymentMethod },
  beforeCommit?: BeforeCommit<PaymentJson>,
): Promise<PaymentJson> {
  const now = deps.clock.now();
  if (new Set(request.couponCodes).size !== request.couponCodes.length)
    throw new AppError('VALIDATION_FAILED', 'Cada cupón va una sola vez.', {
      errors: [{ path: 'body.couponCodes', message: 'Cupones repetidos.' }],
    });
  const opened = await inTransactionRacing(deps.db, async (tx) => {
    const items = [];
    for (const code of request.couponCodes) {
      const coupon = await findCouponByCode(tx, code, request.userId);
      if (!coupon) throw new AppError('COUPON_NOT_FOUND', `No tiene un cupón con el código ${code}.`);
      const refusal = couponRefusal(coupon, now);
      if (refusal) throw refusal;
      const invoice = await findInvoice(tx, coupon.invoiceId);
      if (!invoice) throw new AppError('INVOICE_NOT_FOUND');
      if (invoice.status === 'PAID')
        throw new AppError('INVOICE_ALREADY_PAID', `La factura ${invoice.number} ya está pagada.`);
      items.push({ invoiceId: invoice.id, couponId: coupon.id, amount: coupon.amount });
    }
    if (new Set(items.map((i) => i.invoiceId)).size !== items.length)
      throw new AppError('VALIDATION_FAILED', 'Use un cupón por factura.', {
        errors: [{ path: 'body.couponCodes', message: 'Dos cupones de la misma factura.' }],
      });
    const payment = await openPayment(deps, tx, {
      userId: request.userId,
      paymentMethod: request.paymentMethod,
      items,
      now,
    });
    const json = toJson(deps, payment);
    await beforeCommit?.(tx, json);
    return json;
  });
  appMetrics().payments.add(1, { channel: 'gateway', outcome: 'PENDING' });
  return opened;
}

/**
 * The PENDING payment of these items, inside the caller's transaction (a customer's coupons, or a
 * guest's): an invoice already in a PENDING payment is PAYMENT_IN_PROGRESS, and of two racing
 * transactions the unique index lets one insert and the other, run again, finds it.
 */
export async function openPayment(
  deps: Pick<GatewayDeps, 'config'>,
  tx: DbOrTx,
  request: {
    userId: string | null;
    paymentMethod: GatewayPaymentMethod;
    items: { invoiceId: string; couponId: string; amount: number }[];
    now: Date;
  },
): Promise<GatewayPayment> {
  const inProgress = await pendingPaymentOf(
    tx,
    request.items.map((i) => i.invoiceId),
  );
  if (inProgress) throw paymentInProgress(inProgress);
  const { id } = await insertPayment(tx, {
    userId: request.userId,
    amount: request.items.reduce((sum, i) => sum + i.amount, 0),
    paymentMethod: request.paymentMethod,
    expiresAt: new Date(request.now.getTime() + deps.config.payments.ttlMinutes * 60_000),
    now: request.now,
    items: request.items,
  });
  const payment = await findPayment(tx, id);
  if (!payment) throw new Error('payment vanished inside its own transaction');
  return payment;
}

function paymentInProgress(paymentId: string): AppError {
  return new AppError(
    'PAYMENT_IN_PROGRESS',
    'Una de estas facturas ya tiene un pago en proceso; espere su resultado o termínelo en la pasarela.',
    { extensions: { paymentId } },
  );
}

/** A payment, for its owner (or an operator); anybody else's is "not found". */
export async function getPayment(
  deps: GatewayDeps,
  caller: { id: string; role: string },
  paymentId: string,
): Promise<PaymentJson> {
  const payment = await findPayment(deps.db, paymentId);
  if (!payment || (caller.role !== 'operator' && payment.userId !== caller.id)) throw new AppError('PAYMENT_NOT_FOUND');
  return toJson(deps, payment);
}

export async function listPayments(
  deps: GatewayDeps,
  userId: string,
  query: z.infer<typeof paymentListQuerySchema>,
): Promise<Page<PaymentJson>> {
  const page = await pagePayments(deps.db, userId, {
    status: query.status,
    cursor: decodeCursor(query.cursor),
    limit: query.limit,
  });
  return toPage(
    page,
    (p) => ({ at: p.createdAt, id: p.id }),
    (p) => toJson(deps, p),
  );
}

// ---- The gateway's word ----

export type EventOutcome = 'APPLIED' | 'DUPLICATE' | 'UNKNOWN_REFERENCE' | 'NO_CHANGE';

/**
 * POST /payments/events: a Wompi event. A bad checksum is 401 and stores nothing we act on; a
 * valid one is stored once (by its checksum), then its transaction applied once, whichever
 * instance receives it and however often the gateway sends it.
 */
export async function receiveEvent(deps: GatewayDeps, body: unknown, headerChecksum?: string): Promise<EventOutcome> {
  const parsed = wompiEventSchema.safeParse(body);
  if (!parsed.success)
    throw new AppError('VALIDATION_FAILED', 'El evento no tiene la forma de un evento de la pasarela.');
  const event: WompiEvent = parsed.data;
  const secret = deps.config.payments.eventsSecret;
  const headerAgrees =
    headerChecksum === undefined ||
    hasValidChecksum({ ...event, signature: { ...event.signature, checksum: headerChecksum } }, secret);
  if (!hasValidChecksum(event, secret) || !headerAgrees) {
    appMetrics().gatewayEvents.add(1, { valid: false });
    throw new AppError('INVALID_EVENT_SIGNATURE');
  }
  appMetrics().gatewayEvents.add(1, { valid: true });
  const transaction = event.data.transaction;
  const stored = await insertPaymentEvent(deps.db, {
    checksum: event.signature.checksum,
    gatewayTransactionId: transaction.id,
    reference: transaction.reference,
    status: transaction.status,
    amountInCents: transaction.amount_in_cents,
    currency: transaction.currency,
    payload: JSON.stringify(body),
    now: deps.clock.now(),
  });
  if (stored.applied) return 'DUPLICATE';
  // New, or stored by a delivery that failed before applying it: applying is idempotent (the
  // payment closes once), so a concurrent repeat changes nothing and records nothing.
  const outcome = await applyGatewayTransaction(deps, transaction);
  if (!stored.duplicate || outcome.outcome === 'APPLIED')
    await setEventOutcome(deps.db, stored.id, outcome.outcome, outcome.paymentId);
  return stored.duplicate && outcome.outcome !== 'APPLIED' ? 'DUPLICATE' : outcome.outcome;
}

/**
 * What the gateway says of a transaction, applied to its payment once: APPROVED with the amount
 * and currency asked pays every invoice (an invoice paid meanwhile through another channel is an
 * ALREADY_PAID exception: money to refund); another amount is ERROR and an AMOUNT_MISMATCH
 * exception; DECLINED, VOIDED and ERROR close it with the coupons still ACTIVE. PENDING changes
 * nothing, and neither does anything after the payment closed (an event late or repeated).
 */
export async function applyGatewayTransaction(
  deps: GatewayDeps,
  transaction: WompiTransaction,
): Promise<{ outcome: EventOutcome; paymentId: string | null }> {
  const payment = await findPaymentByReference(deps.db, transaction.reference);
  if (!payment) return { outcome: 'UNKNOWN_REFERENCE', paymentId: null };
  if (transaction.status === 'PENDING') return { outcome: 'NO_CHANGE', paymentId: payment.id };
  const now = deps.clock.now();
  const applied = await inTransaction(deps.db, (tx) => applyWithin(deps, tx, payment, transaction, now));
  if (applied === undefined) return { outcome: 'NO_CHANGE', paymentId: payment.id };
  appMetrics().payments.add(1, { channel: payment.userId ? 'gateway' : 'guest', outcome: applied.paymentStatus });
  await dispatchSoon(deps, applied.messageIds);
  return { outcome: 'APPLIED', paymentId: payment.id };
}

/** What applying a gateway transaction made: its outbox messages and the PAYMENT rows (APPROVED). */
export interface Applied {
  messageIds: string[];
  transactionIds: string[];
  /** How the payment closed: the gateway's status, or ERROR when it charged another amount. */
  paymentStatus: 'APPROVED' | 'DECLINED' | 'VOIDED' | 'ERROR';
}

/**
 * The gateway's final word on a payment, inside the caller's transaction (see
 * applyGatewayTransaction); undefined when the payment was already closed. `recordAs` is the
 * method the PAYMENT rows carry when it isn't the gateway payment's (the sandbox's one-step demo).
 */
export async function applyWithin(
  deps: BillingDeps,
  tx: DbOrTx,
  payment: GatewayPayment,
  transaction: WompiTransaction,
  now: Date,
  recordAs?: PaymentMethod,
): Promise<Applied | undefined> {
  const status = transaction.status;
  const matches = transaction.amount_in_cents === payment.amount * 100 && transaction.currency === payment.currency;
  if (status === 'APPROVED' && !matches) {
    const closed = await closePayment(tx, payment.id, {
      status: 'ERROR',
      now,
      gatewayTransactionId: transaction.id,
      declineReason: 'El monto o la moneda no coinciden con lo cobrado.',
    });
    if (!closed) return undefined;
    await insertPaymentException(tx, {
      paymentId: payment.id,
      invoiceId: null,
      outcome: 'AMOUNT_MISMATCH',
      amountInCents: transaction.amount_in_cents,
      gatewayTransactionId: transaction.id,
      now,
    });
    return { messageIds: [], transactionIds: [], paymentStatus: 'ERROR' };
  }
  if (status === 'APPROVED') return approve(deps, tx, payment, transaction, now, recordAs);
  if (status === 'PENDING') return undefined;
  const closed = await closePayment(tx, payment.id, {
    status,
    now,
    gatewayTransactionId: transaction.id,
    declineReason: transaction.status_message ?? null,
  });
  if (!closed) return undefined;
  if (!payment.userId) return { messageIds: [], transactionIds: [], paymentStatus: status };
  const messageIds = await addToOutbox(
    tx,
    [
      notificationMessage({
        kind: 'PAYMENT_DECLINED',
        userId: payment.userId,
        occurredAt: now,
        data: {
          paymentId: payment.id,
          amount: payment.amount,
          invoiceCount: payment.items.length,
          reason: transaction.status_message ?? '',
        },
      }),
    ],
    now,
  );
  return { messageIds, transactionIds: [], paymentStatus: status };
}

/** APPROVED: each invoice PAID through the rules every channel uses (recordPayment), once. */
async function approve(
  deps: BillingDeps,
  tx: DbOrTx,
  payment: GatewayPayment,
  transaction: WompiTransaction,
  now: Date,
  recordAs?: PaymentMethod,
): Promise<Applied | undefined> {
  if (!(await closePayment(tx, payment.id, { status: 'APPROVED', now, gatewayTransactionId: transaction.id })))
    return undefined;
  const applied: Applied = { messageIds: [], transactionIds: [], paymentStatus: 'APPROVED' };
  for (const item of payment.items) {
    const invoice = await findInvoice(tx, item.invoiceId);
    const coupon = await findCouponById(tx, item.couponId);
    if (!invoice || !coupon) throw new Error(`payment ${payment.id} names an invoice or coupon that is gone`);
    if (!(await markInvoicePaid(tx, invoice.id, now))) {
      await insertPaymentException(tx, {
        paymentId: payment.id,
        invoiceId: invoice.id,
        outcome: 'ALREADY_PAID',
        amountInCents: item.amount * 100,
        gatewayTransactionId: transaction.id,
        now,
      });
      continue;
    }
    await markCouponPaidByGateway(tx, coupon.id, now);
    const recorded = await recordPayment(tx, {
      billerGln: deps.config.coupons.billerGln,
      invoice,
      coupon,
      paymentMethod: recordAs ?? payment.paymentMethod,
      paymentId: payment.id,
      gatewayTransactionId: transaction.id,
      now,
    });
    applied.messageIds.push(...recorded.messageIds);
    applied.transactionIds.push(recorded.transactionId);
  }
  return applied;
}

// ---- When an event never comes ----

const RECONCILE_BATCH = 100;

/**
 * The reconcilePayments timer: every PENDING payment older than two minutes is looked up at the
 * gateway by its reference and the gateway's final word applied; one past its expiry with no
 * final word is EXPIRED. A gateway that does not answer leaves the payment PENDING for the next run,
 * even past its expiry (the customer may have paid at the gateway).
 */
export async function reconcilePayments(
  deps: GatewayDeps,
): Promise<{ checked: number; applied: number; expired: number; unreachable: number }> {
  const now = deps.clock.now();
  // Two minutes by default (PAYMENT_RECONCILE_AFTER_SECONDS): the gateway's event normally comes first.
  const waited = deps.config.payments.reconcileAfterSeconds * 1000;
  const pending = await pendingPaymentsBefore(deps.db, new Date(now.getTime() - waited), RECONCILE_BATCH);
  let applied = 0;
  let expired = 0;
  let unreachable = 0;
  for (const payment of pending) {
    let transactions: WompiTransaction[];
    try {
      transactions = await deps.gateway.transactionsByReference(payment.reference);
    } catch (error) {
      // Not even past its expiry: a payment the gateway may have approved is never closed blind.
      if (!(error instanceof GatewayError)) throw error;
      unreachable++;
      continue;
    }
    const final = transactions.find((t) => t.status !== 'PENDING');
    if (final) {
      if ((await applyGatewayTransaction(deps, final)).outcome === 'APPLIED') applied++;
    } else if (payment.expiresAt <= now) {
      if (await inTransaction(deps.db, (tx) => closePayment(tx, payment.id, { status: 'EXPIRED', now }))) expired++;
    }
  }
  return { checked: pending.length, applied, expired, unreachable };
}
