import { z } from 'zod';

import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { docsAsset, renderDocsPage } from '../../shared/views/docsPage';

/** GET /api/docs → the API reference page with "try it out" against this app. */
export const docs = httpRoute({
  auth: 'none',
  doc: {
    summary: 'Referencia de la API (Swagger UI)',
    tag: 'Sistema',
    success: { status: 200, description: 'An HTML page', contentType: 'text/html' },
  },
  handle: async () => ({ file: { contentType: 'text/html; charset=utf-8', data: Buffer.from(renderDocsPage()) } }),
});

/** GET /api/docs/assets/{file} → Swagger UI's own scripts and styles. */
export const docsAssets = httpRoute({
  auth: 'none',
  params: z.object({ file: z.string().max(60) }),
  doc: {
    summary: 'Archivos de la página de referencia',
    tag: 'Sistema',
    success: { status: 200, description: 'A static file (CSS, JavaScript or PNG)', contentType: '*/*' },
    errors: ['ROUTE_NOT_FOUND'],
  },
  handle: async ({ params }) => ({
    file: await docsAsset(params.file),
    headers: { 'Cache-Control': 'public, max-age=86400' },
  }),
});

httpFunction('docs', { methods: ['GET', 'OPTIONS'], route: 'docs', authLevel: 'anonymous', handler: docs });
httpFunction('docsAssets', {
  methods: ['GET', 'OPTIONS'],
  route: 'docs/assets/{file}',
  authLevel: 'anonymous',
  handler: docsAssets,
});
