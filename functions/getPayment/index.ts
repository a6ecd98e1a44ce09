import { z } from 'zod';

import * as gatewayPayments from '../../shared/controllers/gatewayPayment.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { idSchema } from '../../shared/models/ids';
import { paymentJsonSchema } from '../../shared/models/payment.model';
import { services } from '../../shared/services';

/** GET /api/payments/{paymentId} → the payment (its owner, or an operator). */
export const getPayment = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Estado de un pago en la pasarela',
    description: "What the gateway has said so far. Someone else's payment is 404.",
    tag: 'Pagos',
    success: { status: 200, description: 'The payment', schema: paymentJsonSchema },
    errors: ['PAYMENT_NOT_FOUND'],
  },
  params: z.object({ paymentId: idSchema }),
  handle: async ({ params, user }) => ({
    body: await gatewayPayments.getPayment(services(), user, params.paymentId),
  }),
});

httpFunction('getPayment', {
  methods: ['GET', 'OPTIONS'],
  route: 'payments/{paymentId}',
  authLevel: 'anonymous',
  handler: getPayment,
});
