import { z } from 'zod';

import * as coupons from '../../shared/controllers/coupon.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { couponCodeSchema } from '../../shared/models/coupon.model';
import { services } from '../../shared/services';

/** GET /api/coupons/{code}/pdf → the printable coupon with its GS1-128 barcode. */
export const getCouponPdf = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Cupón imprimible (PDF)',
    description: 'EPM-style printable coupon; an ACTIVE coupon carries its GS1-128 barcode.',
    tag: 'Cupones',
    success: { status: 200, description: 'The PDF', contentType: 'application/pdf' },
    errors: ['TOO_MANY_REQUESTS', 'COUPON_NOT_FOUND', 'INVOICE_NOT_FOUND'],
  },
  params: z.object({ code: couponCodeSchema }),
  handle: async ({ params, user }) => {
    const pdf = await coupons.pdf(services(), user.id, params.code);
    return { file: { contentType: 'application/pdf', data: pdf.data, filename: pdf.filename } };
  },
});

httpFunction('getCouponPdf', {
  methods: ['GET', 'OPTIONS'],
  route: 'coupons/{code}/pdf',
  authLevel: 'anonymous',
  handler: getCouponPdf,
});
