import { z } from 'zod';

import * as sandbox from '../../shared/controllers/sandbox.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { services } from '../../shared/services';

/** GET /api/sandbox/v1/transactions/{id} → {data: transaction}, as Wompi's API answers (private key). */
export const sandboxTransaction = httpRoute({
  auth: 'none',
  doc: {
    summary: 'Pasarela de pruebas: una transacción',
    description: "Wompi's GET /v1/transactions/{id}, with the sandbox private key as bearer token.",
    tag: 'Sandbox',
    errors: ['GATEWAY_TRANSACTION_NOT_FOUND', 'UNAUTHENTICATED'],
    success: { status: 200, description: 'The transaction, in Wompi’s shape' },
  },
  params: z.object({ id: z.string().min(1).max(40) }),
  handle: async ({ params, headers }) => ({
    body: await sandbox.apiTransaction(services(), headers.get('authorization'), params.id),
  }),
});

httpFunction('sandboxTransaction', {
  methods: ['GET', 'OPTIONS'],
  route: 'sandbox/v1/transactions/{id}',
  authLevel: 'anonymous',
  handler: sandboxTransaction,
});
