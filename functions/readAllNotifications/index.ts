import * as notifications from '../../shared/controllers/notification.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { services } from '../../shared/services';

/** POST /api/notifications/read-all → {updated, unreadCount}. */
export const readAllNotifications = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Marcar todas como leídas',
    tag: 'Notificaciones',
    success: { status: 200, description: 'How many were marked', schema: notifications.readAllResultSchema },
  },
  handle: async ({ user }) => ({ body: await notifications.markAllRead(services(), user.id) }),
});

httpFunction('readAllNotifications', {
  methods: ['POST', 'OPTIONS'],
  route: 'notifications/read-all',
  authLevel: 'anonymous',
  handler: readAllNotifications,
});
