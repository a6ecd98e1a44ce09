import { app } from '@azure/functions';
import { couponPdf } from '../../shared/controllers/coupon.controller';
import { httpRoute } from '../../shared/http/handler';
import { services } from '../../shared/services';
import { couponCodeParamsSchema } from '../../shared/models/coupon.model';

/** GET /api/coupons/{code}/pdf → the printable coupon with its GS1-128 barcode. */
export const getCouponPdf = httpRoute({
  auth: 'user',
  params: couponCodeParamsSchema,
  handle: async ({ params, user }) => {
    const pdf = await couponPdf(services(), user.id, params.code);
    return { file: { contentType: 'application/pdf', data: pdf.data, filename: pdf.filename } };
  },
});

app.http('getCouponPdf', { methods: ['GET', 'OPTIONS'], route: 'coupons/{code}/pdf', authLevel: 'anonymous', handler: getCouponPdf });
