import type { DbOrTx } from '../clients/sql.client';
import { contractFollowers, recordContractAccess } from './contract.model';
import { type Coupon, markOtherActiveCouponsCancelled } from './coupon.model';
import { guestPaymentIdOfCoupon, isGuestPayer } from './guestPayment.model';
import type { Invoice } from './invoice.model';
import { invoiceEvent } from './invoiceEvent.model';
import { invoiceEmailMessage, notificationMessage } from './message.model';
import { addToOutbox } from './outbox.model';
import { insertTransaction, type PaymentMethod } from './transaction.model';

/**
 * What every payment does once the invoice turned PAID and its coupon USED (online or from a bank's
 * collection file), inside the same transaction: the other ACTIVE coupons of the invoice cancelled,
 * the PAYMENT row, and the outbox messages (receipt from a snapshot taken now, the confirmation,
 * and a notice to each holder of a cancelled coupon).
 */
export async function recordPayment(
  tx: DbOrTx,
  payment: {
    invoice: Invoice;
    coupon: Coupon;
    paymentMethod: PaymentMethod;
    bankAuthorization?: string;
    /** A gateway payment's: the payment attempt and the gateway's transaction. */
    paymentId?: string;
    gatewayTransactionId?: string;
    now: Date;
    /** For the receipt's snapshot (config.coupons.billerGln). */
    billerGln: string;
  },
): Promise<{ transactionId: string; messageIds: string[] }> {
  const { invoice, coupon, paymentMethod, now } = payment;
  const userId = coupon.userId;
  // A guest coupon (paid online by a guest, or printed by one and paid at a bank): the receipt
  // goes to that guest payment's payer, and the contract's followers hear that it was paid.
  const guest = isGuestPayer(userId);
  const guestPaymentId = guest ? (payment.paymentId ?? (await guestPaymentIdOfCoupon(tx, coupon.id))) : undefined;
  const cancelled = await markOtherActiveCouponsCancelled(tx, invoice.id, coupon.id, now);
  const transactionId = await insertTransaction(tx, {
    type: 'PAYMENT',
    invoiceId: invoice.id,
    couponId: coupon.id,
    userId,
    actorId: userId,
    amount: coupon.amount,
    paymentMethod,
    reversesId: null,
    reason: null,
    bankAuthorization: payment.bankAuthorization,
    paymentId: payment.paymentId,
    gatewayTransactionId: payment.gatewayTransactionId,
    now,
  });
  if (!guest) await recordContractAccess(tx, userId, invoice.contractId, now);
  const receipt = await invoiceEvent(tx, payment.billerGln, invoice, userId, {
    at: now,
    invoiceStatus: 'PAID',
    amount: coupon.amount,
    paymentMethod,
  });
  const paid = {
    invoiceId: invoice.id,
    invoiceNumber: invoice.number,
    contractNumber: invoice.contractNumber,
    amount: coupon.amount,
    transactionId,
    paymentMethod,
  };
  const followers = guest ? await contractFollowers(tx, invoice.contractId) : [];
  const messageIds = await addToOutbox(
    tx,
    [
      invoiceEmailMessage({
        kind: 'receipt',
        userId,
        invoiceId: invoice.id,
        transactionId,
        event: receipt,
        ...(guestPaymentId ? { guestPaymentId } : {}),
      }),
      notificationMessage({ kind: 'PAYMENT_CONFIRMED', userId, occurredAt: now, data: paid }),
      ...followers.map((follower) =>
        notificationMessage({ kind: 'INVOICE_PAID_BY_GUEST', userId: follower, occurredAt: now, data: paid }),
      ),
      ...cancelled.map((other) =>
        notificationMessage({
          kind: 'COUPON_CANCELLED',
          userId: other.userId,
          occurredAt: now,
          data: { couponCode: other.code, invoiceId: invoice.id, reason: 'INVOICE_PAID' },
        }),
      ),
    ],
    now,
  );
  return { transactionId, messageIds };
}
