import { app } from '@azure/functions';
import { cancelCoupon as cancel } from '../../shared/controllers/coupon.controller';
import { httpRoute } from '../../shared/http/handler';
import { services } from '../../shared/services';
import { couponCodeParamsSchema } from '../../shared/models/coupon.model';

/** POST /api/coupons/{code}/cancel → the coupon, CANCELLED (only an ACTIVE one). */
export const cancelCoupon = httpRoute({
  auth: 'user',
  params: couponCodeParamsSchema,
  handle: async ({ params, user }) => ({ body: await cancel(services(), user.id, params.code) }),
});

app.http('cancelCoupon', { methods: ['POST', 'OPTIONS'], route: 'coupons/{code}/cancel', authLevel: 'anonymous', handler: cancelCoupon });
