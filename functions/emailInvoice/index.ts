import { app } from '@azure/functions';
import { requestInvoiceEmail } from '../../shared/controllers/email.controller';
import { httpRoute } from '../../shared/http/handler';
import { invoiceIdParamsSchema } from '../../shared/models/invoice.model';
import { services } from '../../shared/services';

/** POST /api/invoices/{invoiceId}/email → 202; the invoice PDF goes to the caller's own address. */
export const emailInvoice = httpRoute({
  auth: 'user',
  params: invoiceIdParamsSchema,
  handle: async ({ params, user }) => ({ status: 202, body: await requestInvoiceEmail(services(), user.id, params.invoiceId) }),
});

app.http('emailInvoice', { methods: ['POST', 'OPTIONS'], route: 'invoices/{invoiceId}/email', authLevel: 'anonymous', handler: emailInvoice });
