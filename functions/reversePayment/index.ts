import { z } from 'zod';

import * as payments from '../../shared/controllers/payment.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { idSchema } from '../../shared/models/ids';
import { reversalReasonSchema } from '../../shared/models/transaction.model';
import { services } from '../../shared/services';

/** POST /api/transactions/{id}/reverse {reason} (operators only) → the reversal and the invoice, UNPAID again. */
export const reversePayment = httpRoute({
  auth: 'operator',
  doc: {
    summary: 'Reversar un pago (operador)',
    tag: 'Pagos',
    success: {
      status: 201,
      description: 'The REVERSAL and the invoice, UNPAID again',
      schema: payments.reversalResultSchema,
    },
    errors: ['TRANSACTION_NOT_FOUND', 'TRANSACTION_NOT_REVERSIBLE', 'ALREADY_REVERSED'],
    requestExample: { reason: 'Pago duplicado reportado por el banco' },
  },
  params: z.object({ id: idSchema }),
  body: z.object({ reason: reversalReasonSchema }),
  handle: async ({ params, body, user }) => ({
    status: 201,
    body: await payments.reverse(services(), { operatorId: user.id, transactionId: params.id, reason: body.reason }),
  }),
});

httpFunction('reversePayment', {
  methods: ['POST', 'OPTIONS'],
  route: 'transactions/{id}/reverse',
  authLevel: 'anonymous',
  handler: reversePayment,
});
