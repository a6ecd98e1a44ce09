import { z } from 'zod';

import * as collections from '../../shared/controllers/collection.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { services } from '../../shared/services';

/** POST /api/operator/collections (operators, body text/plain) → 202 {collectionId}; the blob trigger applies it. */
export const operatorUploadCollection = httpRoute({
  auth: 'operator',
  doc: {
    summary: 'Cargar un archivo de recaudo bancario (operador)',
    description:
      'An Asobancaria 2001 collection file as the body (Content-Type: text/plain). The same content again answers ' +
      'with the id it already has and changes nothing. The file is stored as a blob and checked and applied by the ' +
      'importCollections blob trigger; follow it with GET /operator/collections/{collectionId}. Audited.',
    tag: 'Operación',
    success: {
      status: 202,
      description: 'The file was queued (or had been loaded before: alreadyLoaded)',
      schema: z.object({ collectionId: z.string(), alreadyLoaded: z.boolean() }).meta({ id: 'CollectionQueued' }),
    },
    errors: ['SERVICE_UNAVAILABLE'],
  },
  upload: { mediaTypes: ['text/plain'] },
  handle: async ({ user, upload }) => ({
    status: 202,
    body: await collections.uploadCollection(services(), user.id, upload),
  }),
});

httpFunction('operatorUploadCollection', {
  methods: ['POST', 'OPTIONS'],
  route: 'operator/collections',
  authLevel: 'anonymous',
  handler: operatorUploadCollection,
});
