import { z } from 'zod';

import * as sandbox from '../../shared/controllers/sandbox.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { services } from '../../shared/services';

/** POST /api/sandbox/v1/transactions/{id}/void → {data: {transaction}}, as Wompi's API answers (private key). */
export const sandboxVoidTransaction = httpRoute({
  auth: 'none',
  doc: {
    summary: 'Pasarela de pruebas: anular una transacción',
    description: "Wompi's POST /v1/transactions/{id}/void (an APPROVED card payment), with the sandbox private key.",
    tag: 'Sandbox',
    errors: ['GATEWAY_TRANSACTION_NOT_FOUND', 'UNAUTHENTICATED'],
    success: { status: 200, description: 'The voided transaction, in Wompi’s shape' },
  },
  params: z.object({ id: z.string().min(1).max(40) }),
  handle: async ({ params, headers }) => ({
    body: await sandbox.apiVoid(services(), headers.get('authorization'), params.id),
  }),
});

httpFunction('sandboxVoidTransaction', {
  methods: ['POST', 'OPTIONS'],
  route: 'sandbox/v1/transactions/{id}/void',
  authLevel: 'anonymous',
  handler: sandboxVoidTransaction,
});
