import { z } from 'zod';

import * as invoices from '../../shared/controllers/invoice.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { idSchema } from '../../shared/models/ids';
import { services } from '../../shared/services';

/** GET /api/invoices/{invoiceId}/pdf → the invoice PDF (invoices of contracts the caller looked up or paid). */
export const getInvoicePdf = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Factura (PDF)',
    description:
      'The invoice as a PDF; an unpaid one carries the barcode of the caller’s ACTIVE coupon. Same access rule as emailing it.',
    tag: 'Facturas',
    success: { status: 200, description: 'The PDF', contentType: 'application/pdf' },
    errors: ['TOO_MANY_REQUESTS', 'INVOICE_NOT_FOUND'],
  },
  params: z.object({ invoiceId: idSchema }),
  handle: async ({ params, user }) => {
    const pdf = await invoices.pdf(services(), user.id, params.invoiceId);
    return { file: { contentType: 'application/pdf', data: pdf.data, filename: pdf.filename } };
  },
});

httpFunction('getInvoicePdf', {
  methods: ['GET', 'OPTIONS'],
  route: 'invoices/{invoiceId}/pdf',
  authLevel: 'anonymous',
  handler: getInvoicePdf,
});
