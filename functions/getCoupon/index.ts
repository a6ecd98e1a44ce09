import { z } from 'zod';

import * as coupons from '../../shared/controllers/coupon.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { couponCodeSchema } from '../../shared/models/coupon.model';
import { services } from '../../shared/services';

/** GET /api/coupons/{code} → the coupon with its invoice and barcode data. */
export const getCoupon = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Detalle de un cupón',
    description: "Status, invoice, amount, expiry and the GS1-128 barcode data. Another user's coupon is 404.",
    tag: 'Cupones',
    success: { status: 200, description: 'The coupon', schema: coupons.couponDetailSchema },
    errors: ['TOO_MANY_REQUESTS', 'COUPON_NOT_FOUND', 'INVOICE_NOT_FOUND'],
  },
  params: z.object({ code: couponCodeSchema }),
  handle: async ({ params, user }) => ({ body: await coupons.detail(services(), user.id, params.code) }),
});

httpFunction('getCoupon', {
  methods: ['GET', 'OPTIONS'],
  route: 'coupons/{code}',
  authLevel: 'anonymous',
  handler: getCoupon,
});
