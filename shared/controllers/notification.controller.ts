import { z } from 'zod';

import type { Clock } from '../clients/clock.client';
import type { Db } from '../clients/sql.client';
import { AppError } from '../errors';
import { notificationMessageSchema } from '../models/message.model';
import {
  findNotification,
  insertNotification,
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
import { findUserById } from '../models/user.model';
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
export async function store(deps: NotificationDeps, raw: unknown): Promise<'stored' | 'duplicate'> {
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
