import { app } from '@azure/functions';
import { z } from 'zod';
import { payInvoice as pay, withIdempotency } from '../../shared/controllers/payment.controller';
import { httpRoute } from '../../shared/http/handler';
import { couponCodeSchema } from '../../shared/models/coupon.model';
import { invoiceIdParamsSchema } from '../../shared/models/invoice.model';
import { PAYMENT_METHODS } from '../../shared/models/transaction.model';
import { services } from '../../shared/services';

export const payInvoiceBodySchema = z.object({
  couponCode: couponCodeSchema,
  paymentMethod: z.enum(PAYMENT_METHODS, { message: 'Medio de pago: PSE, CARD o CASH.' }),
});

/** POST /api/invoices/{invoiceId}/pay with Idempotency-Key → 201 {transaction, invoice, coupon}; replays answer the same. */
export const payInvoice = httpRoute({
  auth: 'user',
  params: invoiceIdParamsSchema,
  body: payInvoiceBodySchema,
  handle: async ({ params, body, user, headers, requestId, request }) => {
    const deps = services();
    const payment = { userId: user.id, invoiceId: params.invoiceId, couponCode: body.couponCode, paymentMethod: body.paymentMethod };
    const answer = await withIdempotency(
      deps,
      { userId: user.id, key: headers.get('idempotency-key'), request: payment, requestId, instance: new URL(request.url).pathname },
      async () => ({ status: 201, body: await pay(deps, payment) }),
    );
    const isProblem = answer.status >= 400;
    return {
      status: answer.status,
      body: answer.body,
      headers: { 'Idempotent-Replayed': String(answer.replayed), ...(isProblem ? { 'Content-Type': 'application/problem+json; charset=utf-8' } : {}) },
    };
  },
});

app.http('payInvoice', { methods: ['POST', 'OPTIONS'], route: 'invoices/{invoiceId}/pay', authLevel: 'anonymous', handler: payInvoice });
