import { z } from 'zod';

import * as guests from '../../shared/controllers/guest.controller';
import { httpRoute } from '../../shared/http/handler';
import { PAYMENT_TOKEN_HEADER, paymentTokenOf } from '../../shared/http/paymentToken';
import { httpFunction } from '../../shared/http/routes';
import { idSchema } from '../../shared/models/ids';
import { paymentJsonSchema } from '../../shared/models/payment.model';
import { services } from '../../shared/services';

/** GET /api/guest/payments/{paymentId} with X-Payment-Token → the guest payment's status. */
export const guestGetPayment = httpRoute({
  auth: 'none',
  doc: {
    summary: 'Estado de un pago sin cuenta',
    description:
      'What the gateway has said so far, read with the payment token. A wrong token, another payment’s token or an unknown payment are all 404.',
    tag: 'Pago sin cuenta',
    success: { status: 200, description: 'The payment', schema: paymentJsonSchema },
    errors: ['UNAUTHENTICATED', 'PAYMENT_NOT_FOUND'],
    headers: [PAYMENT_TOKEN_HEADER],
  },
  params: z.object({ paymentId: idSchema }),
  handle: async ({ params, headers }) => ({
    body: await guests.getGuestPayment(services(), params.paymentId, paymentTokenOf(headers)),
  }),
});

httpFunction('guestGetPayment', {
  methods: ['GET', 'OPTIONS'],
  route: 'guest/payments/{paymentId}',
  authLevel: 'anonymous',
  handler: guestGetPayment,
});
