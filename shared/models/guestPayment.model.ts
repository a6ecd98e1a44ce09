import { createHash, timingSafeEqual } from 'node:crypto';

import { asDate, asOptionalDate, type DbOrTx, isUniqueViolation } from '../clients/sql.client';

/**
 * Paying without an account (docs/payments.md): a guest payment is a `payments` row with no user
 * and a `guest_payments` row beside it. Its coupons and PAYMENT rows are held by the reserved guest
 * payer (migration 0012), nobody's account: the NOT NULL owner columns stay as they are and no
 * customer query (always filtered by the caller's id) can reach them.
 */
export const GUEST_PAYER_ID = '00000000-0000-4000-8000-00000000c0de';

export const isGuestPayer = (userId: string) => userId.toLowerCase() === GUEST_PAYER_ID;

export interface GuestPayment {
  paymentId: string;
  contractId: string;
  requestHash: string;
  tokenHash: string;
  payerEmail: string | null;
  policyVersion: string;
  acceptedAt: Date;
  createdAt: Date;
  emailErasedAt: Date | null;
}

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

/** Whether a presented token is the one whose hash was stored, in constant time. */
export function tokenMatches(presented: string, storedHash: string): boolean {
  const given = Buffer.from(sha256Hex(presented), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}

function fromRow(row: Record<string, unknown>): GuestPayment {
  return {
    paymentId: String(row.payment_id).toLowerCase(),
    contractId: String(row.contract_id).toLowerCase(),
    requestHash: String(row.request_hash),
    tokenHash: String(row.token_hash),
    payerEmail: (row.payer_email as string | null) ?? null,
    policyVersion: String(row.policy_version),
    acceptedAt: asDate(row.accepted_at),
    createdAt: asDate(row.created_at),
    emailErasedAt: asOptionalDate(row.email_erased_at),
  };
}

export const guestPaymentQueries = {
  byPayment: (db: DbOrTx, paymentId: string) => db('guest_payments').where({ payment_id: paymentId }).first(),
  byKey: (db: DbOrTx, keyHash: string) => db('guest_payments').where({ idempotency_key_hash: keyHash }).first(),
  /** The latest guest payment that holds a coupon: whose payer a bank's payment of it is told. */
  ofCoupon: (db: DbOrTx, couponId: string) =>
    db('guest_payments as g')
      .join('payment_items as pi', 'pi.payment_id', 'g.payment_id')
      .where('pi.coupon_id', couponId)
      .orderBy('g.created_at', 'desc')
      .first('g.payment_id'),
  emailsHeldBefore: (db: DbOrTx, before: Date) =>
    db('guest_payments').whereNotNull('payer_email').where('created_at', '<', before),
};

/** Inserted in the payment's own transaction; `'duplicate'` when its Idempotency-Key is taken. */
export async function insertGuestPayment(
  db: DbOrTx,
  row: Omit<GuestPayment, 'emailErasedAt'> & { idempotencyKeyHash: string },
): Promise<'inserted' | 'duplicate'> {
  try {
    await db('guest_payments').insert({
      payment_id: row.paymentId,
      contract_id: row.contractId,
      idempotency_key_hash: row.idempotencyKeyHash,
      request_hash: row.requestHash,
      token_hash: row.tokenHash,
      payer_email: row.payerEmail,
      policy_version: row.policyVersion,
      accepted_at: row.acceptedAt,
      created_at: row.createdAt,
    });
    return 'inserted';
  } catch (error) {
    if (isUniqueViolation(error)) return 'duplicate';
    throw error;
  }
}

export async function findGuestPayment(db: DbOrTx, paymentId: string): Promise<GuestPayment | undefined> {
  const row = (await guestPaymentQueries.byPayment(db, paymentId)) as Record<string, unknown> | undefined;
  return row ? fromRow(row) : undefined;
}

export async function findGuestPaymentByKey(db: DbOrTx, keyHash: string): Promise<GuestPayment | undefined> {
  const row = (await guestPaymentQueries.byKey(db, keyHash)) as Record<string, unknown> | undefined;
  return row ? fromRow(row) : undefined;
}

export async function guestPaymentIdOfCoupon(db: DbOrTx, couponId: string): Promise<string | undefined> {
  const row = (await guestPaymentQueries.ofCoupon(db, couponId)) as { payment_id: string } | undefined;
  return row ? String(row.payment_id).toLowerCase() : undefined;
}

/** A replayed request gets a new token: the old one (lost with the first answer) stops reading it. */
export async function replaceGuestToken(db: DbOrTx, paymentId: string, tokenHash: string): Promise<void> {
  await db('guest_payments').where({ payment_id: paymentId }).update({ token_hash: tokenHash });
}

/** Habeas data: payers' emails older than the retention are erased; the payments themselves stay. */
export async function eraseGuestEmailsBefore(db: DbOrTx, before: Date, now: Date): Promise<number> {
  return guestPaymentQueries.emailsHeldBefore(db, before).update({ payer_email: null, email_erased_at: now });
}
