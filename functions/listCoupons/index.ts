import { z } from 'zod';

import * as coupons from '../../shared/controllers/coupon.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { couponListItemSchema } from '../../shared/models/coupon.model';
import { COUPON_STATUSES } from '../../shared/models/coupon.model';
import { pageQueryFields } from '../../shared/models/keyset';
import { pageSchema } from '../../shared/models/pagination';
import { services } from '../../shared/services';

export const listCouponsQuerySchema = z.object({ status: z.enum(COUPON_STATUSES).optional(), ...pageQueryFields });

/** GET /api/coupons?status=&cursor=&limit= → the caller's "cuponera", newest first. */
export const listCoupons = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Mi cuponera',
    description: "The caller's coupons, newest first, keyset-paginated.",
    tag: 'Cupones',
    success: {
      status: 200,
      description: 'A page of coupons',
      schema: pageSchema(couponListItemSchema).meta({ id: 'CouponPage' }),
    },
  },
  query: listCouponsQuerySchema,
  handle: async ({ query, user }) => ({ body: await coupons.list(services(), user.id, query) }),
});

httpFunction('listCoupons', {
  methods: ['GET', 'OPTIONS'],
  route: 'coupons',
  authLevel: 'anonymous',
  handler: listCoupons,
});
