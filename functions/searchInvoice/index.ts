import { z } from 'zod';

import * as invoices from '../../shared/controllers/invoice.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { contractNumberSchema } from '../../shared/models/contract.model';
import { services } from '../../shared/services';

/** POST /api/invoices/search {contractNumber} → the contract, its invoices and the caller's coupons. */
export const searchInvoice = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Buscar facturas por contrato',
    description:
      'The contract (holder data masked), its invoices newest first, and an ACTIVE coupon of the caller for each unpaid invoice (reused or created).',
    tag: 'Facturas',
    success: { status: 200, description: 'Contract, invoices and coupons', schema: invoices.searchResultSchema },
    errors: ['TOO_MANY_REQUESTS', 'CONTRACT_NOT_FOUND'],
    requestExample: { contractNumber: '10000001' },
  },
  body: z.object({ contractNumber: contractNumberSchema }),
  handle: async ({ body, user }) => ({ body: await invoices.search(services(), user.id, body.contractNumber) }),
});

httpFunction('searchInvoice', {
  methods: ['POST', 'OPTIONS'],
  route: 'invoices/search',
  authLevel: 'anonymous',
  handler: searchInvoice,
});
