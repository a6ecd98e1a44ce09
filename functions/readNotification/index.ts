import { z } from 'zod';

import * as notifications from '../../shared/controllers/notification.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { idSchema } from '../../shared/models/ids';
import { notificationJsonSchema } from '../../shared/models/notification.model';
import { services } from '../../shared/services';

/** POST /api/notifications/{id}/read → the notification, read (idempotent). */
export const readNotification = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Marcar una notificación como leída',
    tag: 'Notificaciones',
    success: { status: 200, description: 'The notification', schema: notificationJsonSchema },
    errors: ['NOTIFICATION_NOT_FOUND'],
  },
  params: z.object({ id: idSchema }),
  handle: async ({ params, user }) => ({ body: await notifications.markRead(services(), user.id, params.id) }),
});

httpFunction('readNotification', {
  methods: ['POST', 'OPTIONS'],
  route: 'notifications/{id}/read',
  authLevel: 'anonymous',
  handler: readNotification,
});
