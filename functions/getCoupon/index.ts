import { app } from '@azure/functions';
import { getCoupon as detail } from '../../shared/controllers/coupon.controller';
import { httpRoute } from '../../shared/http/handler';
import { couponCodeParamsSchema } from '../../shared/models/coupon.model';
import { services } from '../../shared/services';

/** GET /api/coupons/{code} → the coupon with its invoice and barcode data. */
export const getCoupon = httpRoute({
  auth: 'user',
  params: couponCodeParamsSchema,
  handle: async ({ params, user }) => ({ body: await detail(services(), user.id, params.code) }),
});

app.http('getCoupon', { methods: ['GET', 'OPTIONS'], route: 'coupons/{code}', authLevel: 'anonymous', handler: getCoupon });
