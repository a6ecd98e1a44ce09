import { z } from 'zod';

import * as collections from '../../shared/controllers/collectionReview.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { collectionSummaryJsonSchema } from '../../shared/models/collectionFile.model';
import { calendarDaySchema, checkDayRange } from '../../shared/models/time';
import { services } from '../../shared/services';

/** GET /api/operator/collections?from=&to= (operators) → the files received, with counts and totals to reconcile. */
export const operatorCollections = httpRoute({
  auth: 'operator',
  doc: {
    summary: 'Conciliar los archivos de recaudo (operador)',
    description:
      'Files received in the Colombian days from–to (inclusive), newest first (at most 500): what each bank reported ' +
      '(records, reportedTotal) beside what was applied, duplicated or left as an exception. Audited.',
    tag: 'Operación',
    success: {
      status: 200,
      description: 'The files',
      schema: z.object({ items: z.array(collectionSummaryJsonSchema) }).meta({ id: 'CollectionFiles' }),
    },
  },
  query: z.object({ from: calendarDaySchema.optional(), to: calendarDaySchema.optional() }).superRefine(checkDayRange),
  handle: async ({ query, user }) => ({ body: await collections.reconciliation(services(), user.id, query) }),
});

httpFunction('operatorCollections', {
  methods: ['GET', 'OPTIONS'],
  route: 'operator/collections',
  authLevel: 'anonymous',
  handler: operatorCollections,
});
