import { asDate, type DbOrTx } from '../clients/sql.client';
import { activeTraceparent } from '../clients/telemetry.client';
import { isGuestPayer } from './guestPayment.model';
import { insertRows } from './insertRows';
import { heldByASilentInstance } from './instance.model';
import { type OutgoingMessage, QUEUES } from './message.model';

/**
 * The transactional outbox: messages are written in the same database transaction as the change
 * that causes them, then moved to the queues by the dispatcher. A queue outage delays them; it
 * never loses them. The row id is the message id.
 */
export interface OutboxRow {
  id: string;
  queue: string;
  body: string;
  attempts: number;
  createdAt: Date;
  /** The W3C traceparent of what wrote the row (null when telemetry was off). */
  traceparent: string | null;
}

export const outboxQueries = {
  pending: (db: DbOrTx, now: Date, limit: number) =>
    db('outbox')
      .whereNull('dispatched_at')
      .where('available_at', '<=', now)
      .orderBy('created_at')
      .limit(limit)
      .select('id', 'queue', 'body', 'attempts', 'created_at', 'traceparent'),
  /**
   * Just these rows, by primary key, whatever their state (the caller keeps the pending ones): a
   * filter on the pending columns would let the planner walk ix_outbox_pending instead, whose size
   * is every message a queue outage left behind.
   */
  byIds: (db: DbOrTx, ids: string[]) =>
    db('outbox')
      .whereIn('id', ids)
      .select('id', 'queue', 'body', 'attempts', 'created_at', 'dispatched_at', 'available_at', 'traceparent'),
  /** Takes a short lease on a row so that two dispatchers don't send it at the same moment. */
  lease: (db: DbOrTx, id: string, now: Date, until: Date) =>
    db('outbox')
      .where({ id })
      .whereNull('dispatched_at')
      .where('available_at', '<=', now)
      .update({ available_at: until, attempts: db.raw('attempts + 1') }),
  markDispatched: (db: DbOrTx, id: string, now: Date, holder: string) =>
    db('outbox').where({ id }).update({ dispatched_at: now, last_error: null, held_by: holder }),
  /** A consumer took the message: if this instance dies, the sweeper need not wait for the lease. */
  hold: (db: DbOrTx, id: string, holder: string) =>
    db('outbox').where({ id }).whereNull('delivered_at').update({ held_by: holder }),
  markDelivered: (db: DbOrTx, id: string, now: Date) =>
    db('outbox').where({ id }).whereNull('delivered_at').update({ delivered_at: now }),
  /**
   * Sent but never confirmed within the lease (the queue lost it, or its consumer died), or held by
   * an instance that stopped beating (killed with it in hand): send again.
   */
  requeueUnconfirmed: (db: DbOrTx, now: Date, sentBefore: Date | null, maxSends: number, holders: LiveHolders) =>
    db('outbox')
      .whereNull('delivered_at')
      .whereNotNull('dispatched_at')
      .where((q) => {
        const silent = heldByASilentInstance(db, 'outbox.held_by', holders.aliveSince, holders.self);
        if (sentBefore) void q.where('dispatched_at', '<', sentBefore).orWhere(silent);
        else void q.where(silent);
      })
      .where('attempts', '<', maxSends)
      .update({ dispatched_at: null, available_at: now }),
  markFailed: (db: DbOrTx, id: string, error: string, retryAt: Date) =>
    db('outbox')
      .where({ id })
      .update({ last_error: error.slice(0, 500), available_at: retryAt }),
};

export async function addToOutbox(db: DbOrTx, outgoing: OutgoingMessage[], now: Date): Promise<string[]> {
  // The guest payer (guestPayment.model) is nobody's account: it has no inbox to notify.
  const messages = outgoing.flatMap((m): OutgoingMessage[] => {
    if (m.queue !== QUEUES.notifications) return [m];
    if ('notices' in m.body) {
      const notices = m.body.notices.filter((notice) => !isGuestPayer(notice.userId));
      return notices.length === 0 ? [] : [{ ...m, body: { ...m.body, notices } }];
    }
    return isGuestPayer(m.body.userId ?? '') ? [] : [m];
  });
  if (messages.length === 0) return [];
  // The trace of the request or run that causes them follows the messages to their consumers.
  const traceparent = activeTraceparent() ?? null;
  // In statements the engine takes: a timer's batch of 500 notices is 3,000 parameters, over T-SQL's 2,100.
  await insertRows(
    db,
    'outbox',
    messages.map((m) => ({
      id: m.body.messageId,
      queue: m.queue,
      body: JSON.stringify(traceparent ? { ...m.body, traceparent } : m.body),
      created_at: now,
      available_at: now,
      attempts: 0,
      // Only when traced: a schema before migration 0015 (the upgrade test's live data) has no column.
      ...(traceparent ? { traceparent } : {}),
    })),
  );
  return messages.map((m) => m.body.messageId);
}

/** Rows due for sending, oldest first (only `ids` when given). */
export async function pendingOutbox(db: DbOrTx, now: Date, limit: number, ids?: string[]): Promise<OutboxRow[]> {
  const rows = ids
    ? ((await outboxQueries.byIds(db, ids)) as Record<string, unknown>[])
        .filter((r) => r.dispatched_at === null && asDate(r.available_at) <= now)
        .sort((a, b) => asDate(a.created_at).getTime() - asDate(b.created_at).getTime())
        .slice(0, limit)
    : ((await outboxQueries.pending(db, now, limit)) as Record<string, unknown>[]);
  return rows.map((r) => ({
    id: String(r.id),
    queue: String(r.queue),
    body: String(r.body),
    attempts: Number(r.attempts),
    createdAt: asDate(r.created_at),
    traceparent: typeof r.traceparent === 'string' ? r.traceparent : null,
  }));
}

export async function leaseOutboxRow(db: DbOrTx, id: string, now: Date, until: Date): Promise<boolean> {
  return (await outboxQueries.lease(db, id, now, until)) === 1;
}

export async function markOutboxDispatched(db: DbOrTx, id: string, now: Date, holder: string): Promise<void> {
  await outboxQueries.markDispatched(db, id, now, holder);
}

export async function holdOutboxRow(db: DbOrTx, id: string, holder: string): Promise<void> {
  await outboxQueries.hold(db, id, holder);
}

/** This instance, and the time since which another must have beaten to count as alive. */
export interface LiveHolders {
  self: string;
  aliveSince: Date;
}

export async function markOutboxFailed(db: DbOrTx, id: string, error: string, retryAt: Date): Promise<void> {
  await outboxQueries.markFailed(db, id, error, retryAt);
}

/** The consumer confirms the message's effect: the sweeper stops sending it. */
export async function markOutboxDelivered(db: DbOrTx, id: string, now: Date): Promise<void> {
  await outboxQueries.markDelivered(db, id, now);
}

/** Makes unconfirmed messages pending again (`sentBefore` null: only the silent instances'); returns how many. */
export async function requeueUnconfirmedOutbox(
  db: DbOrTx,
  now: Date,
  sentBefore: Date | null,
  maxSends: number,
  holders: LiveHolders,
): Promise<number> {
  return outboxQueries.requeueUnconfirmed(db, now, sentBefore, maxSends, holders);
}

/** Delivered messages (and ones given up after their last send) are kept a while for support, then dropped. */
export async function purgeDispatchedOutbox(db: DbOrTx, before: Date, maxSends: number): Promise<number> {
  return db('outbox')
    .whereNotNull('dispatched_at')
    .where('dispatched_at', '<', before)
    .where((q) => {
      void q.whereNotNull('delivered_at').orWhere('attempts', '>=', maxSends);
    })
    .delete();
}

export interface OutboxBacklog {
  /**
   * Messages whose consumer has not confirmed their effect and that the sweeper still sends: not
   * yet sent, or sent and unconfirmed with sends left. One given up after its last send is not
   * owed here any more: its copies are in the poison queue, where the operator deals with it.
   */
  undelivered: number;
  oldestUndeliveredAt: Date | null;
}

/**
 * The messages still owed, in two parts so that each reads its own partial index (ix_outbox_pending,
 * ix_outbox_unconfirmed): in normal running both are small, whatever a week of sent messages holds.
 */
export async function outboxBacklog(db: DbOrTx, maxSends: number): Promise<OutboxBacklog> {
  type Part = { count: unknown; oldest: unknown } | undefined;
  const [unsent, unconfirmed] = await Promise.all([
    db('outbox').whereNull('dispatched_at').count({ count: '*' }).min({ oldest: 'created_at' }).first<Part>(),
    db('outbox')
      .whereNull('delivered_at')
      .whereNotNull('dispatched_at')
      .where('attempts', '<', maxSends)
      .count({ count: '*' })
      .min({ oldest: 'created_at' })
      .first<Part>(),
  ]);
  const oldest = [unsent?.oldest, unconfirmed?.oldest]
    .filter((v) => v !== null && v !== undefined)
    .map(asDate)
    .sort((a, b) => a.getTime() - b.getTime())[0];
  return {
    undelivered: Number(unsent?.count ?? 0) + Number(unconfirmed?.count ?? 0),
    oldestUndeliveredAt: oldest ?? null,
  };
}
