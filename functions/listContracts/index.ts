import { z } from 'zod';

import * as invoices from '../../shared/controllers/invoice.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { followedContractJsonSchema } from '../../shared/models/contract.model';
import { services } from '../../shared/services';

/** GET /api/contracts → "my contracts": the ones the caller looked up or paid, with what they owe. */
export const listContracts = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Mis contratos',
    description: 'The contracts the caller searched or paid, by number, with unpaid count, total and next due date.',
    tag: 'Facturas',
    success: {
      status: 200,
      description: 'The contracts',
      schema: z.object({ items: z.array(followedContractJsonSchema) }).meta({ id: 'ContractList' }),
    },
  },
  handle: async ({ user }) => ({ body: await invoices.contracts(services(), user.id) }),
});

httpFunction('listContracts', {
  methods: ['GET', 'OPTIONS'],
  route: 'contracts',
  authLevel: 'anonymous',
  handler: listContracts,
});
