import fs from 'node:fs';
import path from 'node:path';

import { app } from '@azure/functions';
import { z } from 'zod';

import { AppError } from '../../shared/http/errors';
import { httpRoute } from '../../shared/http/handler';
import { DOCS_INIT_SCRIPT, renderDocsPage } from '../../shared/views/docsPage';

// Swagger UI's files, served from the npm package: the page works offline, with no CDN.
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};
const assetDir = () => path.dirname(require.resolve('swagger-ui-dist/package.json'));

/** GET /api/docs → the API reference page with "try it out" against this app. */
export const docs = httpRoute({
  auth: 'none',
  doc: { summary: 'Referencia de la API (Swagger UI)', tag: 'Sistema', success: { status: 200, description: 'An HTML page', contentType: 'text/html' } },
  handle: async () => ({ file: { contentType: 'text/html; charset=utf-8', data: Buffer.from(renderDocsPage()) } }),
});

/** GET /api/docs/assets/{file} → Swagger UI's own scripts and styles. */
export const docsAssets = httpRoute({
  auth: 'none',
  params: z.object({ file: z.string().max(60) }),
  doc: { summary: 'Archivos de la página de referencia', tag: 'Sistema', success: { status: 200, description: 'A static file (CSS, JavaScript or PNG)', contentType: '*/*' }, errors: ['ROUTE_NOT_FOUND'] },
  handle: async ({ params }) => {
    if (params.file === 'docs-init.js') return { file: { contentType: 'text/javascript; charset=utf-8', data: Buffer.from(DOCS_INIT_SCRIPT) } };
    const contentType = ASSETS[params.file];
    if (!contentType) throw new AppError('ROUTE_NOT_FOUND', `No existe ${params.file}.`);
    const data = await fs.promises.readFile(path.join(assetDir(), params.file));
    return { file: { contentType, data }, headers: { 'Cache-Control': 'public, max-age=86400' } };
  },
});

app.http('docs', { methods: ['GET', 'OPTIONS'], route: 'docs', authLevel: 'anonymous', handler: docs });
app.http('docsAssets', { methods: ['GET', 'OPTIONS'], route: 'docs/assets/{file}', authLevel: 'anonymous', handler: docsAssets });
