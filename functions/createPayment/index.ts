import * as gatewayPayments from '../../shared/controllers/gatewayPayment.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { paymentJsonSchema } from '../../shared/models/payment.model';
import { services } from '../../shared/services';

/** POST /api/payments → 201 a PENDING payment with its gateway checkout URL. */
export const createPayment = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Iniciar un pago en la pasarela',
    description:
      "One gateway payment for 1–10 of the caller's ACTIVE coupons (distinct UNPAID invoices), for their sum. Send the " +
      'customer to checkoutUrl; the invoices are PAID only when the gateway confirms (docs/payments.md). An invoice in ' +
      'another PENDING payment is 409 PAYMENT_IN_PROGRESS with that paymentId.',
    tag: 'Pagos',
    success: { status: 201, description: 'The PENDING payment', schema: paymentJsonSchema },
    errors: [
      'COUPON_NOT_FOUND',
      'COUPON_ALREADY_USED',
      'COUPON_EXPIRED',
      'COUPON_CANCELLED',
      'COUPON_NOT_ACTIVE',
      'INVOICE_NOT_FOUND',
      'INVOICE_ALREADY_PAID',
      'PAYMENT_IN_PROGRESS',
      'IDEMPOTENCY_KEY_REQUIRED',
      'IDEMPOTENCY_KEY_REUSED',
      'IDEMPOTENCY_REQUEST_IN_PROGRESS',
    ],
    headers: [
      {
        name: 'Idempotency-Key',
        required: true,
        description: 'One unique key per payment attempt (8–255 characters, e.g. a UUID); reuse it when retrying',
        example: '6b1f0c52-3d7a-4f0e-9c1b-7e2a5d4c8f10',
        schema: { type: 'string', minLength: 8, maxLength: 255, pattern: '^[\\w.:-]{8,255}$' },
      },
    ],
    requestExample: { couponCodes: ['2414 3979 7539'], paymentMethod: 'PSE' },
  },
  body: gatewayPayments.createPaymentBodySchema,
  idempotency: 'required',
  payment: true,
  handle: async ({ body, user, beforeCommit }) => ({
    status: 201,
    body: await gatewayPayments.createPayment(
      services(),
      { userId: user.id, couponCodes: body.couponCodes, paymentMethod: body.paymentMethod },
      beforeCommit,
    ),
  }),
});

httpFunction('createPayment', {
  methods: ['POST', 'OPTIONS'],
  route: 'payments',
  authLevel: 'anonymous',
  handler: createPayment,
});
