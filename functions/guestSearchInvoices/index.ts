import { z } from 'zod';

import * as guests from '../../shared/controllers/guest.controller';
import { clientKeyOf } from '../../shared/http/auth';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { contractNumberSchema } from '../../shared/models/contract.model';
import { services } from '../../shared/services';

/** POST /api/guest/invoices/search {contractNumber} → the contract's unpaid invoices, without an account. */
export const guestSearchInvoices = httpRoute({
  auth: 'none',
  doc: {
    summary: 'Consultar facturas sin cuenta',
    description:
      "Anyone with the contract number: its unpaid invoices, holder masked; no history, no document, no coupon. A contract that doesn't exist and one with nothing to pay are both 404, after the same work and time. Quotas per client: GUEST_SEARCH_MAX_PER_CLIENT_PER_MINUTE and GUEST_SEARCH_MAX_CONTRACTS_PER_CLIENT_PER_DAY (429 with Retry-After).",
    tag: 'Pago sin cuenta',
    success: {
      status: 200,
      description: 'The contract and its unpaid invoices',
      schema: guests.guestSearchResultSchema,
    },
    errors: ['TOO_MANY_REQUESTS', 'CONTRACT_NOT_FOUND'],
    requestExample: { contractNumber: '10000001' },
  },
  body: z.object({ contractNumber: contractNumberSchema }),
  handle: async ({ body, request }) => ({
    body: await guests.searchAsGuest(services(), clientKeyOf(request), body.contractNumber),
  }),
});

httpFunction('guestSearchInvoices', {
  methods: ['POST', 'OPTIONS'],
  route: 'guest/invoices/search',
  authLevel: 'anonymous',
  handler: guestSearchInvoices,
});
