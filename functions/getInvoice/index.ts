import { z } from 'zod';

import * as invoiceLines from '../../shared/controllers/invoice.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { idSchema } from '../../shared/models/ids';
import { services } from '../../shared/services';

/** GET /api/invoices/{invoiceId} → the invoice with its service lines (invoices of contracts the caller looked up or paid). */
export const getInvoice = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Detalle de una factura',
    description:
      'The invoice as search results show it, plus its service lines (docs/billing-feed.md, "Service lines") with Spanish ' +
      'labels; a subsidy is a negative line. Same access rule as the invoice PDF.',
    tag: 'Facturas',
    success: { status: 200, description: 'The invoice and its lines', schema: invoiceLines.invoiceDetailSchema },
    errors: ['INVOICE_NOT_FOUND'],
  },
  params: z.object({ invoiceId: idSchema }),
  handle: async ({ params, user }) => ({
    body: await invoiceLines.invoiceDetail(services(), user.id, params.invoiceId),
  }),
});

httpFunction('getInvoice', {
  methods: ['GET', 'OPTIONS'],
  route: 'invoices/{invoiceId}',
  authLevel: 'anonymous',
  handler: getInvoice,
});
