import { z } from 'zod';

import * as sandbox from '../../shared/controllers/sandbox.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { services } from '../../shared/services';

/** GET /api/sandbox/v1/transactions?reference= → {data: [transaction]}, as Wompi's API answers (private key). */
export const sandboxTransactions = httpRoute({
  auth: 'none',
  doc: {
    summary: 'Pasarela de pruebas: transacciones de una referencia',
    description: "Wompi's GET /v1/transactions?reference=, with the sandbox private key as bearer token.",
    tag: 'Sandbox',
    errors: ['UNAUTHENTICATED'],
    success: { status: 200, description: 'The transactions, in Wompi’s shape' },
  },
  query: z.object({ reference: z.string().min(1).max(100) }),
  handle: async ({ query, headers }) => ({
    body: await sandbox.apiTransactionsOf(services(), headers.get('authorization'), query.reference),
  }),
});

httpFunction('sandboxTransactions', {
  methods: ['GET', 'OPTIONS'],
  route: 'sandbox/v1/transactions',
  authLevel: 'anonymous',
  handler: sandboxTransactions,
});
