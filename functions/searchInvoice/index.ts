import { app } from '@azure/functions';
import { searchInvoices } from '../../shared/controllers/invoice.controller';
import { httpRoute } from '../../shared/http/handler';
import { searchInvoicesSchema } from '../../shared/models/contract.model';
import { services } from '../../shared/services';

/** POST /api/invoices/search {contractNumber} → the contract, its invoices and the caller's coupons. */
export const searchInvoice = httpRoute({
  auth: 'user',
  body: searchInvoicesSchema,
  handle: async ({ body, user }) => ({ body: await searchInvoices(services(), user.id, body.contractNumber) }),
});

app.http('searchInvoice', { methods: ['POST', 'OPTIONS'], route: 'invoices/search', authLevel: 'anonymous', handler: searchInvoice });
