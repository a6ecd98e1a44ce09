import { app } from '@azure/functions';
import { readNotification as markRead } from '../../shared/controllers/notification.controller';
import { httpRoute } from '../../shared/http/handler';
import { notificationIdParamsSchema } from '../../shared/models/notification.model';
import { services } from '../../shared/services';

/** POST /api/notifications/{id}/read → the notification, read (idempotent). */
export const readNotification = httpRoute({
  auth: 'user',
  params: notificationIdParamsSchema,
  handle: async ({ params, user }) => ({ body: await markRead(services(), user.id, params.id) }),
});

app.http('readNotification', { methods: ['POST', 'OPTIONS'], route: 'notifications/{id}/read', authLevel: 'anonymous', handler: readNotification });
