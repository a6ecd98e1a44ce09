import * as guests from '../../shared/controllers/guest.controller';
import { httpRoute } from '../../shared/http/handler';
import { PAYMENT_TOKEN_HEADER, paymentTokenOf } from '../../shared/http/paymentToken';
import { httpFunction } from '../../shared/http/routes';
import { services } from '../../shared/services';

/** GET /api/guest/payments/{paymentId}/coupons/{code}/pdf with X-Payment-Token → the printable guest coupon. */
export const guestCouponPdf = httpRoute({
  auth: 'none',
  doc: {
    summary: 'Cupón imprimible de un pago sin cuenta (PDF)',
    description:
      'A coupon of this guest payment, with its GS1-128 barcode while ACTIVE: payable at a bank, applied by the bank collections like any other.',
    tag: 'Pago sin cuenta',
    success: { status: 200, description: 'The PDF', contentType: 'application/pdf' },
    errors: ['UNAUTHENTICATED', 'PAYMENT_NOT_FOUND', 'COUPON_NOT_FOUND'],
    headers: [PAYMENT_TOKEN_HEADER],
  },
  params: guests.guestCouponParamsSchema,
  handle: async ({ params, headers }) => {
    const pdf = await guests.guestCouponPdf(services(), params, paymentTokenOf(headers));
    return { file: { contentType: 'application/pdf', data: pdf.data, filename: pdf.filename } };
  },
});

httpFunction('guestCouponPdf', {
  methods: ['GET', 'OPTIONS'],
  route: 'guest/payments/{paymentId}/coupons/{code}/pdf',
  authLevel: 'anonymous',
  handler: guestCouponPdf,
});
