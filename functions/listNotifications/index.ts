import { app } from '@azure/functions';
import { listNotifications as list } from '../../shared/controllers/notification.controller';
import { httpRoute } from '../../shared/http/handler';
import { notificationsQuerySchema } from '../../shared/models/notification.model';
import { services } from '../../shared/services';

/** GET /api/notifications?unread=&cursor=&limit= → {items, nextCursor, unreadCount}. */
export const listNotifications = httpRoute({
  auth: 'user',
  query: notificationsQuerySchema,
  handle: async ({ query, user }) => ({ body: await list(services(), user.id, query) }),
});

app.http('listNotifications', { methods: ['GET', 'OPTIONS'], route: 'notifications', authLevel: 'anonymous', handler: listNotifications });
