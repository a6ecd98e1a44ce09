import fs from 'node:fs';
import path from 'node:path';

import { AppError } from '../errors';

/** The API reference page: Swagger UI over /api/openapi.json, its files served by the app itself. */
export function renderDocsPage(): string {
  return `<!doctype html>
<html lang="es">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Cuponeras EPM · API</title>
  <link rel="stylesheet" href="docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/assets/swagger-ui-bundle.js"></script>
  <script src="docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="docs/assets/docs-init.js"></script>
</body>
</html>
`;
}

/** Started from a file, not inline, so a strict Content-Security-Policy can forbid inline scripts. */
export const DOCS_INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: 'openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  tryItOutEnabled: true,
  persistAuthorization: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
});
`;

// Swagger UI's files, served from the npm package: the page works offline, with no CDN.
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** One file the page loads: our init script or a whitelisted Swagger UI asset; anything else is 404. */
export async function docsAsset(file: string): Promise<{ contentType: string; data: Buffer }> {
  if (file === 'docs-init.js')
    return { contentType: 'text/javascript; charset=utf-8', data: Buffer.from(DOCS_INIT_SCRIPT) };
  // Own keys only: "constructor" or "__proto__" are names of every object, not of our assets.
  const contentType = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
  if (!contentType) throw new AppError('ROUTE_NOT_FOUND', `No existe ${file}.`);
  const dir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  return { contentType, data: await fs.promises.readFile(path.join(dir, file)) };
}
