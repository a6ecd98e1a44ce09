import { z } from 'zod';

import { asDate, asOptionalDate, countOf, type DbOrTx, isUniqueViolation } from '../clients/sql.client';
import { newId } from './ids';
import { type Keyset, keysetPage, pageOfRows } from './keyset';
import { NOTIFICATION_KINDS, type NotificationKind } from './message.model';

/** A notice for one user, created once per queue message (unique source message id). */
export interface Notification {
  id: string;
  userId: string;
  kind: NotificationKind;
  title: string;
  body: string;
  createdAt: Date;
  readAt: Date | null;
}

export const notificationJsonSchema = z
  .object({
    id: z.string(),
    kind: z.enum(NOTIFICATION_KINDS),
    title: z.string(),
    body: z.string(),
    createdAt: z.string(),
    readAt: z.string().nullable(),
  })
  .meta({ id: 'Notification' });
export type NotificationJson = z.infer<typeof notificationJsonSchema>;

export const notificationToJson = (n: Notification): NotificationJson => ({
  id: n.id,
  kind: n.kind,
  title: n.title,
  body: n.body,
  createdAt: n.createdAt.toISOString(),
  readAt: n.readAt?.toISOString() ?? null,
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
  created_at: unknown;
  read_at: unknown;
}

const fromRow = (r: NotificationRow): Notification => ({
  id: r.id,
  userId: r.user_id,
  kind: r.kind,
  title: r.title,
  body: r.body,
  createdAt: asDate(r.created_at),
  readAt: asOptionalDate(r.read_at),
});

export const notificationQueries = {
  page: (db: DbOrTx, userId: string, options: { unread?: boolean; cursor?: Keyset; limit: number }) => {
    const query = db<NotificationRow>('notifications').where({ user_id: userId });
    if (options.unread === true) void query.whereNull('read_at');
    if (options.unread === false) void query.whereNotNull('read_at');
    return keysetPage(query, { at: 'created_at', id: 'id' }, options.cursor, options.limit).select('*');
  },
  unreadCount: (db: DbOrTx, userId: string) =>
    db('notifications').where({ user_id: userId }).whereNull('read_at').count({ count: '*' }).first(),
  /** Marks read only what is unread, so reading twice keeps the first read time. */
  markRead: (db: DbOrTx, id: string, userId: string, now: Date) =>
    db('notifications').where({ id, user_id: userId }).whereNull('read_at').update({ read_at: now }),
  markAllRead: (db: DbOrTx, userId: string, now: Date) =>
    db('notifications').where({ user_id: userId }).whereNull('read_at').update({ read_at: now }),
};

export async function insertNotification(
  db: DbOrTx,
  n: { userId: string; kind: NotificationKind; title: string; body: string; sourceMessageId: string; now: Date },
): Promise<'stored' | 'duplicate'> {
  try {
    await db('notifications').insert({
      id: newId(),
      user_id: n.userId,
      kind: n.kind,
      title: n.title,
      body: n.body,
      source_message_id: n.sourceMessageId,
      created_at: n.now,
    });
    return 'stored';
  } catch (error) {
    if (isUniqueViolation(error)) return 'duplicate'; // the same message delivered again
    throw error;
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
