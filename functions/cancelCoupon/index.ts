import { z } from 'zod';

import * as coupons from '../../shared/controllers/coupon.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { couponCodeSchema, couponJsonSchema } from '../../shared/models/coupon.model';
import { services } from '../../shared/services';

/** POST /api/coupons/{code}/cancel → the coupon, CANCELLED (only an ACTIVE one). */
export const cancelCoupon = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Anular un cupón',
    tag: 'Cupones',
    success: { status: 200, description: 'The coupon, CANCELLED', schema: couponJsonSchema },
    errors: [
      'TOO_MANY_REQUESTS',
      'COUPON_NOT_FOUND',
      'COUPON_ALREADY_USED',
      'COUPON_EXPIRED',
      'COUPON_CANCELLED',
      'COUPON_NOT_ACTIVE',
    ],
  },
  params: z.object({ code: couponCodeSchema }),
  handle: async ({ params, user }) => ({ body: await coupons.cancel(services(), user.id, params.code) }),
});

httpFunction('cancelCoupon', {
  methods: ['POST', 'OPTIONS'],
  route: 'coupons/{code}/cancel',
  authLevel: 'anonymous',
  handler: cancelCoupon,
});
