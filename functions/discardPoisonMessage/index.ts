import { z } from 'zod';

import * as system from '../../shared/controllers/system.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { consumedQueueSchema, queueMessageIdSchema } from '../../shared/models/message.model';
import { services } from '../../shared/services';

/** POST /api/operator/poison/{queue}/{messageId}/discard (operators) → 204: deleted for good. */
export const discardPoisonMessage = httpRoute({
  auth: 'operator',
  doc: {
    summary: 'Descartar un mensaje fallido (operador)',
    description: 'Deletes the message from the poison queue, for good. Audited.',
    tag: 'Operación',
    success: { status: 204, description: 'Deleted' },
    errors: ['POISON_MESSAGE_NOT_FOUND', 'SERVICE_UNAVAILABLE'],
  },
  params: z.object({ queue: consumedQueueSchema, messageId: queueMessageIdSchema }),
  handle: async ({ params, user }) => {
    await system.discardPoison(services(), user.id, params.queue, params.messageId);
    return { status: 204 };
  },
});

httpFunction('discardPoisonMessage', {
  methods: ['POST', 'OPTIONS'],
  route: 'operator/poison/{queue}/{messageId}/discard',
  authLevel: 'anonymous',
  handler: discardPoisonMessage,
});
