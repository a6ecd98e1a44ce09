import { z } from 'zod';

import * as system from '../../shared/controllers/system.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { consumedQueueSchema, queueMessageIdSchema } from '../../shared/models/message.model';
import { services } from '../../shared/services';

/** POST /api/operator/poison/{queue}/{messageId}/replay (operators) → 202: back on its queue. */
export const replayPoisonMessage = httpRoute({
  auth: 'operator',
  doc: {
    summary: 'Reintentar un mensaje fallido (operador)',
    description:
      'Puts the message back on its queue. Its consumer sends at most once per message id, so a replay of a message whose email went out sends nothing. Audited.',
    tag: 'Operación',
    success: { status: 202, description: 'Back on its queue', schema: system.poisonActionSchema },
    errors: ['POISON_MESSAGE_NOT_FOUND', 'SERVICE_UNAVAILABLE'],
  },
  params: z.object({ queue: consumedQueueSchema, messageId: queueMessageIdSchema }),
  handle: async ({ params, user }) => {
    await system.replayPoison(services(), user.id, params.queue, params.messageId);
    return { status: 202, body: { queue: params.queue, messageId: params.messageId } };
  },
});

httpFunction('replayPoisonMessage', {
  methods: ['POST', 'OPTIONS'],
  route: 'operator/poison/{queue}/{messageId}/replay',
  authLevel: 'anonymous',
  handler: replayPoisonMessage,
});
