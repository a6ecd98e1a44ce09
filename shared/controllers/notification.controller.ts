import { z } from 'zod';

import type { Clock } from '../clients/clock.client';
import type { Db } from '../clients/sql.client';
import { AppError } from '../errors';
import {
  batchNoticeSourceId,
  isNoticeBatch,
  type NoticeBatchMessage,
  noticeBatchMessageSchema,
  notificationMessageSchema,
} from '../models/message.model';
import {
  findNotification,
  insertNotification,
  insertNotifications,
  linksOf,
  markAllNotificationsRead,
  markNotificationRead,
  type NotificationJson,
  notificationJsonSchema,
  type NotificationsQuery,
  notificationToJson,
  pageNotifications,
  unreadNotificationCount,
} from '../models/notification.model';
import { decodeCursor, type Page, pageSchema, toPage } from '../models/pagination';
import { findUserById, findUsersByIds } from '../models/user.model';
import * as outbox from '../outbox';
import { parseMessage, PermanentMessageError } from '../queueConsumer';
import { renderNotification } from '../views/notifications';

export interface NotificationDeps {
  db: Db;
  clock: Clock;
}

/**
 * The notifications consumer: one notification per message id. The insert carries the message id
 * under a unique index, so a redelivered or duplicated message has no second effect. Either way
 * the outbox learns the message is delivered, so its sweeper stops sending it.
 */
export async function store(deps: NotificationDeps, raw: unknown): Promise<string> {
  if (isNoticeBatch(raw)) return storeBatch(deps, parseMessage(noticeBatchMessageSchema, raw));
  const message = parseMessage(notificationMessageSchema, raw);
  const user = await findUserById(deps.db, message.userId);
  if (!user) throw new PermanentMessageError(`unknown user ${message.userId}`);
  // A person who deleted their account is not notified of anything again (a printed coupon paid later, say).
  if (user.deletedAt) {
    await outbox.confirmDelivered(deps, message.messageId);
    return 'duplicate';
  }
  const { title, body } = renderNotification(message.kind, message.data);
  const outcome = await insertNotification(deps.db, {
    userId: message.userId,
    kind: message.kind,
    title,
    body,
    sourceMessageId: message.messageId,
    occurredAt: message.occurredAt ? new Date(message.occurredAt) : deps.clock.now(),
    links: linksOf(message.data),
    now: deps.clock.now(),
  });
  await outbox.confirmDelivered(deps, message.messageId);
  return outcome;
}

/**
 * A batch message: one notification per notice, each under its own source id, so a redelivery
 * adds only the ones still missing. Its people are read in one query; a notice for an account
 * deleted since (or gone) is skipped, not poisoned, since the batch's others must still arrive.
 */
async function storeBatch(deps: NotificationDeps, message: NoticeBatchMessage): Promise<string> {
  const owners = await findUsersByIds(
    deps.db,
    message.notices.map((notice) => notice.userId),
  );
  const now = deps.clock.now();
  const occurredAt = new Date(message.occurredAt);
  const fresh = message.notices.flatMap((notice, index) => {
    const owner = owners.get(notice.userId.toLowerCase());
    if (!owner || owner.deletedAt) return [];
    return [
      {
        userId: notice.userId,
        kind: message.kind,
        ...renderNotification(message.kind, notice.data),
        sourceMessageId: batchNoticeSourceId(message.messageId, index),
        occurredAt,
        links: linksOf(notice.data),
        now,
      },
    ];
  });
  const stored = await insertNotifications(deps.db, fresh);
  await outbox.confirmDelivered(deps, message.messageId);
  const skipped = message.notices.length - fresh.length;
  return `${stored} of ${message.notices.length} notices stored${skipped > 0 ? ` (${skipped} for accounts deleted or gone)` : ''}`;
}

export const notificationsPageSchema = pageSchema(notificationJsonSchema)
  .extend({ unreadCount: z.number().int() })
  .meta({ id: 'NotificationsPage' });
export const readAllResultSchema = z
  .object({ updated: z.number().int(), unreadCount: z.number().int() })
  .meta({ id: 'ReadAllResult' });

export async function list(
  deps: NotificationDeps,
  userId: string,
  query: NotificationsQuery,
): Promise<Page<NotificationJson> & { unreadCount: number }> {
  const [page, unreadCount] = await Promise.all([
    pageNotifications(deps.db, userId, {
      unread: query.unread,
      limit: query.limit,
      cursor: decodeCursor(query.cursor),
    }),
    unreadNotificationCount(deps.db, userId),
  ]);
  return { ...toPage(page, (n) => ({ at: n.createdAt, id: n.id }), notificationToJson), unreadCount };
}

/** Idempotent: reading a read notification keeps its first read time. Another user's is 404. */
export async function markRead(deps: NotificationDeps, userId: string, id: string): Promise<NotificationJson> {
  await markNotificationRead(deps.db, id, userId, deps.clock.now());
  const notification = await findNotification(deps.db, id, userId);
  if (!notification) throw new AppError('NOTIFICATION_NOT_FOUND');
  return notificationToJson(notification);
}

export async function markAllRead(
  deps: NotificationDeps,
  userId: string,
): Promise<{ updated: number; unreadCount: number }> {
  const updated = await markAllNotificationsRead(deps.db, userId, deps.clock.now());
  return { updated, unreadCount: await unreadNotificationCount(deps.db, userId) };
}
