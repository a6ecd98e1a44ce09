import { z } from 'zod';

import * as notifications from '../../shared/controllers/notification.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { pageQueryFields } from '../../shared/models/keyset';
import { unreadFilterSchema } from '../../shared/models/notification.model';
import { services } from '../../shared/services';

/** GET /api/notifications?unread=&cursor=&limit= → {items, nextCursor, unreadCount}. */
export const listNotifications = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Mis notificaciones',
    tag: 'Notificaciones',
    success: {
      status: 200,
      description: 'A page of notifications and the unread count',
      schema: notifications.notificationsPageSchema,
    },
  },
  query: z.object({ unread: unreadFilterSchema.optional(), ...pageQueryFields }),
  handle: async ({ query, user }) => ({ body: await notifications.list(services(), user.id, query) }),
});

httpFunction('listNotifications', {
  methods: ['GET', 'OPTIONS'],
  route: 'notifications',
  authLevel: 'anonymous',
  handler: listNotifications,
});
