import { type DbOrTx, isUniqueViolation } from '../clients/sql.client';

/**
 * One row per email queue message: PENDING before the send, SENT after it. A redelivered message
 * whose row is SENT has no second effect; one left PENDING (a crash mid-send) is sent again, and
 * the sender's own idempotency (file name / ACS operation id) keeps that from doubling.
 */
export type DeliveryStatus = 'PENDING' | 'SENT';

export const emailDeliveryQueries = {
  status: (db: DbOrTx, messageId: string) => db('email_deliveries').where({ message_id: messageId }).first('status'),
  markSent: (db: DbOrTx, messageId: string, providerId: string, now: Date) =>
    db('email_deliveries').where({ message_id: messageId, status: 'PENDING' }).update({ status: 'SENT', provider_id: providerId.slice(0, 200), sent_at: now }),
};

/** Records the delivery as PENDING unless it exists; returns its status afterwards. */
export async function beginEmailDelivery(db: DbOrTx, d: { messageId: string; userId: string; kind: string; now: Date }): Promise<DeliveryStatus> {
  try {
    await db('email_deliveries').insert({ message_id: d.messageId, user_id: d.userId, kind: d.kind, status: 'PENDING', created_at: d.now });
    return 'PENDING';
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const row = (await emailDeliveryQueries.status(db, d.messageId)) as { status: DeliveryStatus } | undefined;
    return row?.status ?? 'PENDING';
  }
}

export async function markEmailSent(db: DbOrTx, messageId: string, providerId: string, now: Date): Promise<void> {
  await emailDeliveryQueries.markSent(db, messageId, providerId, now);
}
