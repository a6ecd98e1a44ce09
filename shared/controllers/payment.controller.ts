import { z } from 'zod';

import { GatewayError, type PaymentGateway } from '../clients/gateway.client';
import { inTransaction } from '../clients/sql.client';
import { AppError } from '../errors';
import { insertAudit } from '../models/audit.model';
import { couponJsonSchema } from '../models/coupon.model';
import {
  findInvoice,
  type InvoiceJson,
  invoiceJsonSchema,
  invoiceToJson,
  markInvoiceUnpaid,
} from '../models/invoice.model';
import { invoiceEvent } from '../models/invoiceEvent.model';
import { invoiceEmailMessage, notificationMessage } from '../models/message.model';
import { addToOutbox } from '../models/outbox.model';
import { decodeCursor, type Page, toPage } from '../models/pagination';
import { countPaymentsOf } from '../models/payment.model';
import { bogotaDay, bogotaDayRange } from '../models/time';
import {
  findTransaction,
  insertReversal,
  pageTransactions,
  type Transaction,
  type TransactionJson,
  transactionJsonSchema,
  transactionToJson,
} from '../models/transaction.model';
import { dispatchSoon } from '../outbox';
import type { BillingDeps } from '../services';

export const paymentResultSchema = z
  .object({
    transaction: transactionJsonSchema,
    invoice: invoiceJsonSchema,
    coupon: couponJsonSchema,
    paymentId: z.string().describe('The sandbox gateway payment that paid it (GET /payments/{paymentId})'),
  })
  .meta({ id: 'PaymentResult' });
export type PaymentResult = z.infer<typeof paymentResultSchema>;
export const REFUND_STATUSES = ['VOIDED', 'MANUAL', 'FAILED'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];
export const reversalResultSchema = z
  .object({
    transaction: transactionJsonSchema,
    invoice: invoiceJsonSchema,
    refund: z
      .object({ status: z.enum(REFUND_STATUSES) })
      .optional()
      .describe(
        'A gateway payment: VOIDED at the gateway (a card payment of this invoice alone), MANUAL (to refund by hand), ' +
          'FAILED (the gateway refused or did not answer: refund by hand)',
      ),
  })
  .meta({ id: 'ReversalResult' });

// ---- Reversal ----

/**
 * Operator only: undoes a payment. The invoice is UNPAID again, a REVERSAL row points at the
 * payment (uniquely: a second reversal hits the unique index → 409), and the customer is told.
 */
export async function reverse(
  deps: BillingDeps & { gateway: PaymentGateway },
  request: { operatorId: string; transactionId: string; reason: string },
): Promise<{ transaction: TransactionJson; invoice: InvoiceJson; refund?: { status: RefundStatus } }> {
  const now = deps.clock.now();
  const payment = await findTransaction(deps.db, request.transactionId);
  if (!payment) throw new AppError('TRANSACTION_NOT_FOUND');
  if (payment.type !== 'PAYMENT') throw new AppError('TRANSACTION_NOT_REVERSIBLE', 'Solo se pueden reversar pagos.');
  const { reversalId, messageIds } = await inTransaction(deps.db, async (tx) => {
    const inserted = await insertReversal(tx, {
      type: 'REVERSAL',
      invoiceId: payment.invoiceId,
      couponId: null,
      userId: payment.userId,
      actorId: request.operatorId,
      amount: payment.amount,
      paymentMethod: payment.paymentMethod,
      reversesId: payment.id,
      reason: request.reason,
      now,
    });
    if (inserted === 'already-reversed') throw new AppError('ALREADY_REVERSED', 'Este pago ya fue reversado.');
    const { id } = inserted;
    if (!(await markInvoiceUnpaid(tx, payment.invoiceId, now)))
      throw new AppError('TRANSACTION_NOT_REVERSIBLE', 'La factura de este pago no está pagada.');
    const reversedInvoice = await findInvoice(tx, payment.invoiceId);
    if (!reversedInvoice) throw new AppError('TRANSACTION_NOT_REVERSIBLE', 'La factura de este pago no existe.');
    const notice = await invoiceEvent(tx, deps.config.coupons.billerGln, reversedInvoice, payment.userId, {
      at: now,
      invoiceStatus: 'UNPAID',
      amount: payment.amount,
      paymentMethod: payment.paymentMethod ?? undefined,
      reason: request.reason,
    });
    await insertAudit(tx, {
      actorId: request.operatorId,
      action: 'PAYMENT_REVERSED',
      subjectType: 'transaction',
      subjectId: payment.id,
      details: { reversalId: id, reason: request.reason, amount: payment.amount, invoiceNumber: payment.invoiceNumber },
      now,
    });
    const ids = await addToOutbox(
      tx,
      [
        invoiceEmailMessage({
          kind: 'reversal',
          userId: payment.userId,
          invoiceId: payment.invoiceId,
          transactionId: id,
          event: notice,
        }),
        notificationMessage({
          kind: 'PAYMENT_REVERSED',
          userId: payment.userId,
          occurredAt: now,
          data: {
            invoiceId: payment.invoiceId,
            invoiceNumber: payment.invoiceNumber,
            contractNumber: payment.contractNumber,
            amount: payment.amount,
            transactionId: id,
            reason: request.reason,
          },
        }),
      ],
      now,
    );
    return { reversalId: id, messageIds: ids };
  });
  await dispatchSoon(deps, messageIds);
  const [reversal, invoice] = await Promise.all([
    findTransaction(deps.db, reversalId),
    findInvoice(deps.db, payment.invoiceId),
  ]);
  if (!reversal || !invoice) throw new Error('reversal rows missing after commit');
  const result = { transaction: transactionToJson(reversal), invoice: invoiceToJson(invoice, bogotaDay(now)) };
  if (!payment.gatewayTransactionId || !payment.paymentId) return result;
  return { ...result, refund: { status: await refundAtGateway(deps, payment, request.operatorId) } };
}

/**
 * The money of a reversed gateway payment: a card payment that paid this invoice alone is voided
 * at the gateway (a void returns the whole transaction); anything else is refunded by hand. Either
 * way the operator's audit says which, after the reversal committed: a failed void is reported,
 * never hidden.
 */
async function refundAtGateway(
  deps: Pick<BillingDeps, 'db' | 'clock'> & { gateway: PaymentGateway },
  payment: Transaction,
  operatorId: string,
): Promise<RefundStatus> {
  const gatewayId = payment.gatewayTransactionId ?? '';
  const invoicesPaid = await countPaymentsOf(deps.db, payment.paymentId ?? '');
  let status: RefundStatus = 'MANUAL';
  let detail: string | undefined;
  if (payment.paymentMethod === 'CARD' && invoicesPaid === 1) {
    try {
      const voided = await deps.gateway.voidTransaction(gatewayId);
      status = voided.status === 'VOIDED' ? 'VOIDED' : 'FAILED';
      if (status === 'FAILED') detail = `the gateway left it ${voided.status}`;
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      status = 'FAILED';
      detail = error.message;
    }
  }
  await insertAudit(deps.db, {
    actorId: operatorId,
    action: 'PAYMENT_REFUND',
    subjectType: 'transaction',
    subjectId: payment.id,
    details: { status, gatewayTransactionId: gatewayId, paymentId: payment.paymentId, amount: payment.amount, detail },
    now: deps.clock.now(),
  });
  return status;
}

// ---- History ----

export interface HistoryQuery {
  /** Colombian calendar days, inclusive (YYYY-MM-DD). */
  from?: string;
  to?: string;
  cursor?: string;
  limit: number;
}

/** The caller's payments and reversals, newest first; from/to are Colombian calendar days, inclusive. */
export async function list(
  deps: Pick<BillingDeps, 'db'>,
  userId: string,
  query: HistoryQuery,
): Promise<Page<TransactionJson>> {
  const page = await pageTransactions(deps.db, userId, {
    ...bogotaDayRange(query),
    cursor: decodeCursor(query.cursor),
    limit: query.limit,
  });
  return toPage(page, (t) => ({ at: t.createdAt, id: t.id }), transactionToJson);
}
