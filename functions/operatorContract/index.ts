import { z } from 'zod';

import * as operator from '../../shared/controllers/operator.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { contractNumberSchema } from '../../shared/models/contract.model';
import { services } from '../../shared/services';

/** GET /api/operator/contracts/{contractNumber} (operators) → the contract unmasked, invoices, coupons, transactions. */
export const operatorContract = httpRoute({
  auth: 'operator',
  doc: {
    summary: 'Ver un contrato completo (operador)',
    description: 'Holder data unmasked, every invoice, every customer’s coupons and transactions. Audited.',
    tag: 'Operación',
    success: { status: 200, description: 'The contract', schema: operator.operatorContractViewSchema },
    errors: ['CONTRACT_NOT_FOUND'],
  },
  params: z.object({ contractNumber: contractNumberSchema }),
  handle: async ({ params, user }) => ({ body: await operator.contract(services(), user.id, params.contractNumber) }),
});

httpFunction('operatorContract', {
  methods: ['GET', 'OPTIONS'],
  route: 'operator/contracts/{contractNumber}',
  authLevel: 'anonymous',
  handler: operatorContract,
});
