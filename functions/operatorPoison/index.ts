import { z } from 'zod';

import * as system from '../../shared/controllers/system.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { consumedQueueSchema } from '../../shared/models/message.model';
import { services } from '../../shared/services';

/** GET /api/operator/poison/{queue} (operators) → the messages in `<queue>-poison`, oldest first. */
export const operatorPoison = httpRoute({
  auth: 'operator',
  doc: {
    summary: 'Mensajes fallidos de una cola (operador)',
    description:
      'Up to 32 messages at the front of the queue’s poison queue, each with a summary that carries no personal data. Audited.',
    tag: 'Operación',
    success: { status: 200, description: 'The poisoned messages', schema: system.poisonListSchema },
    errors: ['SERVICE_UNAVAILABLE'],
  },
  params: z.object({ queue: consumedQueueSchema }),
  handle: async ({ params, user }) => ({
    body: await system.listPoison(services(), user.id, params.queue),
    headers: { 'Cache-Control': 'no-store' },
  }),
});

httpFunction('operatorPoison', {
  methods: ['GET', 'OPTIONS'],
  route: 'operator/poison/{queue}',
  authLevel: 'anonymous',
  handler: operatorPoison,
});
