import { app } from '@azure/functions';
import { z } from 'zod';
import { reversePayment as reverse, reverseSchema } from '../../shared/controllers/payment.controller';
import { httpRoute } from '../../shared/http/handler';
import { services } from '../../shared/services';

/** POST /api/transactions/{id}/reverse {reason} (operators only) → the reversal and the invoice, UNPAID again. */
export const reversePayment = httpRoute({
  auth: 'operator',
  params: z.object({ id: z.string().min(1).max(64) }),
  body: reverseSchema,
  handle: async ({ params, body, user }) => ({
    status: 201,
    body: await reverse(services(), { operatorId: user.id, transactionId: params.id, reason: body.reason }),
  }),
});

app.http('reversePayment', { methods: ['POST', 'OPTIONS'], route: 'transactions/{id}/reverse', authLevel: 'anonymous', handler: reversePayment });
