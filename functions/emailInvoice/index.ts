import { z } from 'zod';

import * as emails from '../../shared/controllers/email.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { idSchema } from '../../shared/models/ids';
import { services } from '../../shared/services';

/** POST /api/invoices/{invoiceId}/email → 202; the invoice PDF goes to the caller's own address. */
export const emailInvoice = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Enviar la factura por correo',
    description:
      "Queues the invoice PDF to the caller's own address; only invoices of contracts the caller searched or paid; rate-limited per user.",
    tag: 'Facturas',
    success: { status: 202, description: 'Queued', schema: emails.emailQueuedSchema },
    errors: ['INVOICE_NOT_FOUND', 'TOO_MANY_REQUESTS'],
  },
  params: z.object({ invoiceId: idSchema }),
  handle: async ({ params, user }) => ({
    status: 202,
    body: await emails.request(services(), user.id, params.invoiceId),
  }),
});

httpFunction('emailInvoice', {
  methods: ['POST', 'OPTIONS'],
  route: 'invoices/{invoiceId}/email',
  authLevel: 'anonymous',
  handler: emailInvoice,
});
