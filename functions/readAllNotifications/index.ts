import { app } from '@azure/functions';
import { readAllNotifications as markAllRead } from '../../shared/controllers/notification.controller';
import { httpRoute } from '../../shared/http/handler';
import { services } from '../../shared/services';

/** POST /api/notifications/read-all → {updated, unreadCount}. */
export const readAllNotifications = httpRoute({
  auth: 'user',
  handle: async ({ user }) => ({ body: await markAllRead(services(), user.id) }),
});

app.http('readAllNotifications', { methods: ['POST', 'OPTIONS'], route: 'notifications/read-all', authLevel: 'anonymous', handler: readAllNotifications });
