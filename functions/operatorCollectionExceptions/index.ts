import { z } from 'zod';

import * as collections from '../../shared/controllers/collectionReview.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { EXCEPTION_OUTCOMES } from '../../shared/models/collectionRecord.model';
import { idSchema } from '../../shared/models/ids';
import { pageQueryFields } from '../../shared/models/keyset';
import { pageSchema } from '../../shared/models/pagination';
import { services } from '../../shared/services';

/** GET /api/operator/collection-exceptions (operators) → the bank records that paid no invoice, to resolve. */
export const operatorCollectionExceptions = httpRoute({
  auth: 'operator',
  doc: {
    summary: 'Excepciones de recaudo por resolver (operador)',
    description:
      'Bank records that took money the app did not apply, newest first: DUPLICATE (the same payment sent ' +
      'again), CONFLICTING_DUPLICATE (another payment under a bank key already used; conflictsWith is the ' +
      "other record), ALREADY_PAID (to refund), AMOUNT_MISMATCH and UNKNOWN_REFERENCE. A file's reportedTotal " +
      'minus its appliedTotal is the sum of its exceptions. Beside them (source GATEWAY), online payments whose money ' +
      'paid nothing: ALREADY_PAID (an invoice paid meanwhile through another channel: to refund) and AMOUNT_MISMATCH. ' +
      'status=resolved lists the ones already dealt with. Audited.',
    tag: 'Operación',
    success: {
      status: 200,
      description: 'A page of records',
      schema: pageSchema(collections.exceptionJsonSchema).meta({ id: 'MoneyExceptionPage' }),
    },
  },
  query: z.object({
    status: z.enum(['open', 'resolved']).default('open'),
    source: z.enum(['COLLECTION', 'GATEWAY']).optional().describe('Only bank records, or only gateway payments'),
    collectionId: idSchema.optional().describe('Only the records of this collection file'),
    outcome: z.enum(EXCEPTION_OUTCOMES).optional().describe('Only records with this outcome'),
    ...pageQueryFields,
  }),
  handle: async ({ query, user }) => ({ body: await collections.exceptions(services(), user.id, query) }),
});

httpFunction('operatorCollectionExceptions', {
  methods: ['GET', 'OPTIONS'],
  route: 'operator/collection-exceptions',
  authLevel: 'anonymous',
  handler: operatorCollectionExceptions,
});
