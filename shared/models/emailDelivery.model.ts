import { asDate, asOptionalDate, type DbOrTx, isUniqueViolation } from '../clients/sql.client';
import { heldByASilentInstance, INSTANCE_SILENT_MS, THIS_INSTANCE } from './instance.model';
import type { LiveHolders } from './outbox.model';

/**
 * One row per email queue message: PENDING before the send, SENT after it. A sender claims the
 * row with a short lease, so two copies of one message handled at once cannot both send; a
 * redelivered message whose row is SENT has no second effect; one left PENDING by a crash is
 * claimed again once its lease lapses, and the sender's own idempotency (file name / ACS
 * operation id) keeps that resend from doubling.
 */
export type ClaimOutcome = 'claimed' | 'already-sent' | 'in-progress';

export const emailDeliveryQueries = {
  status: (db: DbOrTx, messageId: string) => db('email_deliveries').where({ message_id: messageId }).first('status'),
  /** A PENDING delivery whose lease lapsed, or whose sender stopped beating (killed mid-send). */
  reclaim: (db: DbOrTx, messageId: string, now: Date, until: Date, holders: LiveHolders) =>
    db('email_deliveries')
      .where({ message_id: messageId, status: 'PENDING' })
      .where((q) => {
        void q
          .where('locked_until', '<=', now)
          .orWhere(heldByASilentInstance(db, 'email_deliveries.claimed_by', holders.aliveSince, holders.self));
      })
      .update({ locked_until: until, claimed_by: holders.self }),
  release: (db: DbOrTx, messageId: string, now: Date) =>
    db('email_deliveries').where({ message_id: messageId, status: 'PENDING' }).update({ locked_until: now }),
  markSent: (db: DbOrTx, messageId: string, providerId: string, now: Date) =>
    db('email_deliveries')
      .where({ message_id: messageId, status: 'PENDING' })
      .update({ status: 'SENT', provider_id: providerId.slice(0, 200), sent_at: now }),
};

export async function claimEmailDelivery(
  db: DbOrTx,
  d: { messageId: string; userId: string; kind: string; now: Date; leaseMs: number },
): Promise<ClaimOutcome> {
  const until = new Date(d.now.getTime() + d.leaseMs);
  try {
    await db('email_deliveries').insert({
      message_id: d.messageId,
      user_id: d.userId,
      kind: d.kind,
      status: 'PENDING',
      created_at: d.now,
      locked_until: until,
      claimed_by: THIS_INSTANCE,
    });
    return 'claimed';
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
  const holders = { self: THIS_INSTANCE, aliveSince: new Date(d.now.getTime() - INSTANCE_SILENT_MS) };
  if ((await emailDeliveryQueries.reclaim(db, d.messageId, d.now, until, holders)) === 1) return 'claimed';
  const row = (await emailDeliveryQueries.status(db, d.messageId)) as { status: string } | undefined;
  return row?.status === 'SENT' ? 'already-sent' : 'in-progress';
}

export async function markEmailSent(db: DbOrTx, messageId: string, providerId: string, now: Date): Promise<void> {
  await emailDeliveryQueries.markSent(db, messageId, providerId, now);
}

/** After a failed send: let the next try claim the delivery at once. */
export async function releaseEmailDelivery(db: DbOrTx, messageId: string, now: Date): Promise<void> {
  await emailDeliveryQueries.release(db, messageId, now);
}

/** A person's emails as the habeas-data export lists them: what kind, whether sent, when. */
export async function emailDeliveriesOf(
  db: DbOrTx,
  userId: string,
): Promise<{ kind: string; status: string; createdAt: Date; sentAt: Date | null }[]> {
  const rows = await db('email_deliveries')
    .where({ user_id: userId })
    .orderBy('created_at')
    .select<Record<string, unknown>[]>('kind', 'status', 'created_at', 'sent_at');
  return rows.map((r) => ({
    kind: String(r.kind),
    status: String(r.status),
    createdAt: asDate(r.created_at),
    sentAt: asOptionalDate(r.sent_at),
  }));
}
