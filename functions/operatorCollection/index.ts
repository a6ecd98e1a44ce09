import { z } from 'zod';

import * as collections from '../../shared/controllers/collectionReview.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { COLLECTION_OUTCOMES } from '../../shared/models/collectionRecord.model';
import { collectionReportSchema, RECORDS_PAGE } from '../../shared/models/collectionReport.model';
import { idSchema } from '../../shared/models/ids';
import { services } from '../../shared/services';

/** GET /api/operator/collections/{collectionId} (operators) → {status, counts, records[]} of a bank's file. */
export const operatorCollection = httpRoute({
  auth: 'operator',
  doc: {
    summary: 'Ver un archivo de recaudo (operador)',
    description:
      'Status (REJECTED with the first offending line), counts by outcome, totals, and the records in file order, ' +
      `${RECORDS_PAGE.default} per page (nextCursor). Audited.`,
    tag: 'Operación',
    success: { status: 200, description: 'The collection file', schema: collectionReportSchema },
    errors: ['COLLECTION_NOT_FOUND'],
  },
  params: z.object({ collectionId: idSchema }),
  query: z.object({
    outcome: z.enum(COLLECTION_OUTCOMES).optional().describe('Only records with this outcome'),
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(RECORDS_PAGE.max).default(RECORDS_PAGE.default),
  }),
  handle: async ({ params, query, user }) => ({
    body: await collections.viewCollection(services(), user.id, params.collectionId, query),
  }),
});

httpFunction('operatorCollection', {
  methods: ['GET', 'OPTIONS'],
  route: 'operator/collections/{collectionId}',
  authLevel: 'anonymous',
  handler: operatorCollection,
});
