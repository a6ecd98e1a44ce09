import { z } from 'zod';

import { asDate, asOptionalDate, countOf, type DbOrTx, isUniqueViolation } from '../clients/sql.client';
import { newId } from './ids';
import { chunks, insertRows } from './insertRows';
import { type Keyset, keysetPage, pageOfRows } from './keyset';
import { NOTIFICATION_KINDS, type NotificationKind } from './message.model';

/** A notice for one user, created once per queue message (unique source message id). */
export interface Notification {
  id: string;
  userId: string;
  kind: NotificationKind;
  title: string;
  body: string;
  /** When the event happened (lists are ordered by it); createdAt is when the notice arrived. */
  occurredAt: Date;
  createdAt: Date;
  readAt: Date | null;
  links: NotificationLinks;
}

/** What a notification is about, when it applies: a screen links to it. */
export interface NotificationLinks {
  invoiceId: string | null;
  invoiceNumber: string | null;
  contractNumber: string | null;
  couponCode: string | null;
  transactionId: string | null;
}

const LINK_COLUMNS = {
  invoiceId: 'invoice_id',
  invoiceNumber: 'invoice_number',
  contractNumber: 'contract_number',
  couponCode: 'coupon_code',
  transactionId: 'transaction_id',
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** What each link must look like to be stored (anything else in a message's data is not a link). */
const LINK_FORMATS: Record<keyof NotificationLinks, RegExp> = {
  invoiceId: UUID,
  invoiceNumber: /^[\x21-\x7e]{1,20}$/,
  contractNumber: /^\d{6,12}$/,
  couponCode: /^\d{12}$/,
  transactionId: UUID,
};

/** The links a message's data holds: well-formed strings only. */
export function linksOf(data: Record<string, string | number>): NotificationLinks {
  const pick = (key: keyof NotificationLinks) => {
    const value = data[key];
    return typeof value === 'string' && LINK_FORMATS[key].test(value) ? value : null;
  };
  return {
    invoiceId: pick('invoiceId'),
    invoiceNumber: pick('invoiceNumber'),
    contractNumber: pick('contractNumber'),
    couponCode: pick('couponCode'),
    transactionId: pick('transactionId'),
  };
}

export const notificationJsonSchema = z
  .object({
    id: z.string(),
    kind: z.enum(NOTIFICATION_KINDS),
    title: z.string(),
    body: z.string(),
    occurredAt: z.string().describe('When the event happened; lists are ordered by it, newest first'),
    createdAt: z.string().describe('When the notice arrived'),
    readAt: z.string().nullable(),
    invoiceId: z.string().nullable(),
    invoiceNumber: z.string().nullable(),
    contractNumber: z.string().nullable(),
    couponCode: z.string().nullable(),
    transactionId: z.string().nullable(),
  })
  .meta({ id: 'Notification' });
export type NotificationJson = z.infer<typeof notificationJsonSchema>;

export const notificationToJson = (n: Notification): NotificationJson => ({
  id: n.id,
  kind: n.kind,
  title: n.title,
  body: n.body,
  occurredAt: n.occurredAt.toISOString(),
  createdAt: n.createdAt.toISOString(),
  readAt: n.readAt?.toISOString() ?? null,
  ...n.links,
});

/** `?unread=true|false` */
export const unreadFilterSchema = z.enum(['true', 'false']).transform((v) => v === 'true');

export interface NotificationsQuery {
  unread?: boolean;
  cursor?: string;
  limit: number;
}

interface NotificationRow {
  id: string;
  user_id: string;
  kind: NotificationKind;
  title: string;
  body: string;
  occurred_at: unknown;
  created_at: unknown;
  read_at: unknown;
  invoice_id: string | null;
  invoice_number: string | null;
  contract_number: string | null;
  coupon_code: string | null;
  transaction_id: string | null;
}

const fromRow = (r: NotificationRow): Notification => ({
  id: r.id,
  userId: r.user_id,
  kind: r.kind,
  title: r.title,
  body: r.body,
  occurredAt: asDate(r.occurred_at ?? r.created_at),
  createdAt: asDate(r.created_at),
  readAt: asOptionalDate(r.read_at),
  links: {
    invoiceId: r.invoice_id ?? null,
    invoiceNumber: r.invoice_number ?? null,
    contractNumber: r.contract_number ?? null,
    couponCode: r.coupon_code ?? null,
    transactionId: r.transaction_id ?? null,
  },
});

export const notificationQueries = {
  page: (db: DbOrTx, userId: string, options: { unread?: boolean; cursor?: Keyset; limit: number }) => {
    const query = db<NotificationRow>('notifications').where({ user_id: userId });
    if (options.unread === true) void query.whereNull('read_at');
    if (options.unread === false) void query.whereNotNull('read_at');
    return keysetPage(query, { at: 'occurred_at', id: 'id' }, options.cursor, options.limit).select('*');
  },
  unreadCount: (db: DbOrTx, userId: string) =>
    db('notifications').where({ user_id: userId }).whereNull('read_at').count({ count: '*' }).first(),
  /** Marks read only what is unread, so reading twice keeps the first read time. */
  markRead: (db: DbOrTx, id: string, userId: string, now: Date) =>
    db('notifications').where({ id, user_id: userId }).whereNull('read_at').update({ read_at: now }),
  /** Which of these source ids are stored already (a batch delivered again). */
  storedSources: (db: DbOrTx, sourceIds: string[]) =>
    db('notifications')
      .whereIn('source_message_id', sourceIds)
      .select<{ source_message_id: string }[]>('source_message_id'),
  markAllRead: (db: DbOrTx, userId: string, now: Date) =>
    db('notifications').where({ user_id: userId }).whereNull('read_at').update({ read_at: now }),
};

/** A notification to store, and the queue message (or batch position) it comes from. */
export interface NewNotification {
  userId: string;
  kind: NotificationKind;
  title: string;
  body: string;
  sourceMessageId: string;
  occurredAt: Date;
  links: NotificationLinks;
  now: Date;
}

function toRow(n: NewNotification): Record<string, unknown> {
  return {
    id: newId(),
    user_id: n.userId,
    kind: n.kind,
    title: n.title,
    body: n.body,
    source_message_id: n.sourceMessageId,
    occurred_at: n.occurredAt,
    ...Object.fromEntries(
      Object.entries(LINK_COLUMNS).map(([key, column]) => [column, n.links[key as keyof NotificationLinks]]),
    ),
    created_at: n.now,
  };
}

export async function insertNotification(db: DbOrTx, n: NewNotification): Promise<'stored' | 'duplicate'> {
  try {
    await db('notifications').insert(toRow(n));
    return 'stored';
  } catch (error) {
    if (isUniqueViolation(error)) return 'duplicate'; // the same message delivered again
    throw error;
  }
}

/**
 * Many notifications at once (a batch message's): the ones whose source id is not stored yet, in
 * multi-row inserts. Returns how many this call stored. When another consumer stores the same
 * batch at the same moment, the insert meets its rows; then each is tried on its own.
 */
export async function insertNotifications(db: DbOrTx, notifications: NewNotification[]): Promise<number> {
  const known = new Set<string>();
  for (const part of chunks(notifications, 500)) {
    const sourceIds = part.map((n) => n.sourceMessageId);
    for (const row of await notificationQueries.storedSources(db, sourceIds)) known.add(String(row.source_message_id));
  }
  const fresh = notifications.filter((n) => !known.has(n.sourceMessageId));
  try {
    await insertRows(db, 'notifications', fresh.map(toRow));
    return fresh.length;
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    let stored = 0;
    for (const n of fresh) if ((await insertNotification(db, n)) === 'stored') stored++;
    return stored;
  }
}

export async function findNotification(db: DbOrTx, id: string, userId: string): Promise<Notification | undefined> {
  const row = await db<NotificationRow>('notifications').where({ id, user_id: userId }).first();
  return row ? fromRow(row) : undefined;
}

export async function pageNotifications(
  db: DbOrTx,
  userId: string,
  options: { unread?: boolean; cursor?: Keyset; limit: number },
): Promise<{ items: Notification[]; hasMore: boolean }> {
  return pageOfRows(await notificationQueries.page(db, userId, options), options.limit, fromRow);
}

export async function unreadNotificationCount(db: DbOrTx, userId: string): Promise<number> {
  return countOf(await notificationQueries.unreadCount(db, userId));
}

export async function markNotificationRead(db: DbOrTx, id: string, userId: string, now: Date): Promise<void> {
  await notificationQueries.markRead(db, id, userId, now);
}

export async function markAllNotificationsRead(db: DbOrTx, userId: string, now: Date): Promise<number> {
  return notificationQueries.markAllRead(db, userId, now);
}

/** A deleted account's notifications go: they only ever served that person. */
export async function deleteNotificationsOf(db: DbOrTx, userId: string): Promise<number> {
  return db('notifications').where({ user_id: userId }).delete();
}
