import { z } from 'zod';

import * as payments from '../../shared/controllers/payment.controller';
import * as sandbox from '../../shared/controllers/sandbox.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { couponCodeSchema } from '../../shared/models/coupon.model';
import { idSchema } from '../../shared/models/ids';
import { ONLINE_PAYMENT_METHODS } from '../../shared/models/transaction.model';
import { services } from '../../shared/services';

export const payInvoiceBodySchema = z.object({
  couponCode: couponCodeSchema,
  paymentMethod: z.enum(ONLINE_PAYMENT_METHODS, { message: 'Medio de pago: PSE, CARD o CASH.' }),
});

/** POST /api/invoices/{invoiceId}/pay with Idempotency-Key → 201 {transaction, invoice, coupon}; replays answer the same. */
export const payInvoice = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Pagar una factura con un cupón',
    description:
      'The one-step demo over the gateway sandbox (PAYMENT_PROVIDER=sandbox), no money moves: a gateway payment of the coupon is ' +
      'opened, approved by the sandbox and its signed event applied, in one transaction; the answer names it (paymentId). ' +
      'An invoice in another PENDING payment is 409 PAYMENT_IN_PROGRESS. With a real gateway it is 403 ' +
      'DIRECT_PAYMENT_DISABLED: pay through POST /payments. Idempotent per user and ' +
      'Idempotency-Key for 24 h: a retry replays the first answer (Idempotent-Replayed: true).',
    tag: 'Pagos',
    success: {
      status: 201,
      description: 'The payment, the invoice (PAID) and the coupon (USED)',
      schema: payments.paymentResultSchema,
    },
    errors: [
      'DIRECT_PAYMENT_DISABLED',
      'IDEMPOTENCY_KEY_REQUIRED',
      'IDEMPOTENCY_KEY_REUSED',
      'IDEMPOTENCY_REQUEST_IN_PROGRESS',
      'COUPON_NOT_FOUND',
      'COUPON_INVOICE_MISMATCH',
      'INVOICE_NOT_FOUND',
      'INVOICE_ALREADY_PAID',
      'PAYMENT_IN_PROGRESS',
      'COUPON_ALREADY_USED',
      'COUPON_EXPIRED',
      'COUPON_CANCELLED',
    ],
    headers: [
      {
        name: 'Idempotency-Key',
        required: true,
        description: 'One unique key per payment attempt (8–255 characters, e.g. a UUID); reuse it when retrying',
        example: '3f0e7c2a-8b1d-4c55-9a57-2f4b8e1d6c90',
        schema: { type: 'string', minLength: 8, maxLength: 255, pattern: '^[\\w.:-]{8,255}$' },
      },
    ],
    requestExample: { couponCode: '2414 3979 7539', paymentMethod: 'PSE' },
  },
  params: z.object({ invoiceId: idSchema }),
  body: payInvoiceBodySchema,
  idempotency: 'required',
  payment: true,
  handle: async ({ params, body, user, beforeCommit }) => ({
    status: 201,
    body: await sandbox.payInOneStep(
      services(),
      { userId: user.id, invoiceId: params.invoiceId, couponCode: body.couponCode, paymentMethod: body.paymentMethod },
      beforeCommit,
    ),
  }),
});

httpFunction('payInvoice', {
  methods: ['POST', 'OPTIONS'],
  route: 'invoices/{invoiceId}/pay',
  authLevel: 'anonymous',
  handler: payInvoice,
});
