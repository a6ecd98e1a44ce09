import { z } from 'zod';

import * as billingFeed from '../../shared/controllers/feedImport.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { feedImportJsonSchema } from '../../shared/models/feedImport.model';
import { idSchema } from '../../shared/models/ids';
import { services } from '../../shared/services';

/** GET /api/operator/imports/{importId} (operators) → {status, counts, errors[]} of a billing-feed import. */
export const operatorImport = httpRoute({
  auth: 'operator',
  doc: {
    summary: 'Ver una carga de facturas (operador)',
    description:
      'Status, counts (inserted, updated, unchanged, rejected) and the rejected lines with their reason. Audited.',
    tag: 'Operación',
    success: { status: 200, description: 'The import', schema: feedImportJsonSchema },
    errors: ['IMPORT_NOT_FOUND'],
  },
  params: z.object({ importId: idSchema }),
  handle: async ({ params, user }) => ({ body: await billingFeed.viewImport(services(), user.id, params.importId) }),
});

httpFunction('operatorImport', {
  methods: ['GET', 'OPTIONS'],
  route: 'operator/imports/{importId}',
  authLevel: 'anonymous',
  handler: operatorImport,
});
