import { z } from 'zod';

import * as invoiceLines from '../../shared/controllers/invoice.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { contractNumberSchema } from '../../shared/models/contract.model';
import { services } from '../../shared/services';

/** GET /api/contracts/{contractNumber}/consumption?periods=6 → per metered service, the last periods billed, oldest first. */
export const getConsumption = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Consumo de un contrato',
    description:
      'For each metered service of the contract (kWh or m³), one row per billed period with its quantity and amount, ' +
      'oldest first: the last `periods` (1–36, default 6). Contracts the caller looked up or paid; operators any.',
    tag: 'Facturas',
    success: { status: 200, description: 'The consumption history', schema: invoiceLines.consumptionSchema },
    errors: ['CONTRACT_NOT_FOUND'],
  },
  params: z.object({ contractNumber: contractNumberSchema }),
  query: invoiceLines.consumptionQuerySchema,
  handle: async ({ params, query, user }) => ({
    body: await invoiceLines.consumption(services(), user, params.contractNumber, query.periods),
  }),
});

httpFunction('getConsumption', {
  methods: ['GET', 'OPTIONS'],
  route: 'contracts/{contractNumber}/consumption',
  authLevel: 'anonymous',
  handler: getConsumption,
});
