import { z } from 'zod';

import * as collections from '../../shared/controllers/collectionReview.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { idSchema } from '../../shared/models/ids';
import { services } from '../../shared/services';

/** POST /api/operator/collection-exceptions/{recordId}/resolve {resolution} (operators) → the record, resolved. */
export const resolveCollectionException = httpRoute({
  auth: 'operator',
  doc: {
    summary: 'Resolver una excepción de recaudo (operador)',
    description: 'Records how the money was settled (a refund, an adjustment). Once per record. Audited.',
    tag: 'Operación',
    success: { status: 200, description: 'The record', schema: collections.exceptionJsonSchema },
    errors: ['COLLECTION_RECORD_NOT_FOUND', 'COLLECTION_EXCEPTION_RESOLVED'],
    requestExample: { resolution: 'Devolución al cliente por transferencia, radicado 2026-1234' },
  },
  params: z.object({ recordId: idSchema }),
  body: z.object({
    resolution: z
      .string()
      .trim()
      .min(5, 'Explique cómo se resolvió (mínimo 5 caracteres).')
      .max(300, 'Máximo 300 caracteres.'),
  }),
  handle: async ({ params, body, user }) => ({
    body: await collections.resolveException(services(), user.id, params.recordId, body.resolution),
  }),
});

httpFunction('resolveCollectionException', {
  methods: ['POST', 'OPTIONS'],
  route: 'operator/collection-exceptions/{recordId}/resolve',
  authLevel: 'anonymous',
  handler: resolveCollectionException,
});
