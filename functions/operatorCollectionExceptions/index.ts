import { app } from '@azure/functions';
import { z } from 'zod';

import * as collections from '../../shared/controllers/collection.controller';
import { pageSchema } from '../../shared/controllers/pagination';
import { httpRoute } from '../../shared/http/handler';
import { collectionRecordJsonSchema } from '../../shared/models/collection.model';
import { pageQueryFields } from '../../shared/models/keyset';
import { services } from '../../shared/services';

/** GET /api/operator/collection-exceptions (operators) → ALREADY_PAID and AMOUNT_MISMATCH records to resolve. */
export const operatorCollectionExceptions = httpRoute({
  auth: 'operator',
  doc: {
    summary: 'Excepciones de recaudo por resolver (operador)',
    description:
      'Bank records that took money the app could not apply: ALREADY_PAID (to refund) and AMOUNT_MISMATCH, ' +
      'newest first; status=resolved lists the ones already dealt with. Audited.',
    tag: 'Operación',
    success: {
      status: 200,
      description: 'A page of records',
      schema: pageSchema(collectionRecordJsonSchema).meta({ id: 'CollectionRecordPage' }),
    },
  },
  query: z.object({ status: z.enum(['open', 'resolved']).default('open'), ...pageQueryFields }),
  handle: async ({ query, user }) => ({ body: await collections.exceptions(services(), user.id, query) }),
});

app.http('operatorCollectionExceptions', {
  methods: ['GET', 'OPTIONS'],
  route: 'operator/collection-exceptions',
  authLevel: 'anonymous',
  handler: operatorCollectionExceptions,
});
