import fs from 'node:fs';
import path from 'node:path';

import { functionFilesFromMain, installFunctionsCore, registeredHttpFunctions } from '../local/host';
import { buildOpenApiDocument, type DocumentedRoute, type RouteContract } from '../shared/http/openapi';
import { projectRoot } from '../shared/projectFiles';
import { loadLocalSettings } from './localEnv';

/** The HTTP functions the app registers, with the contract their httpRoute carries. */
export function documentedRoutes(): DocumentedRoute[] {
  return registeredHttpFunctions().flatMap(({ name, route, methods, handler }) => {
    const contract = (handler as { contract?: RouteContract }).contract;
    if (!contract) throw new Error(`HTTP function ${name} is not built with httpRoute`);
    if (contract.doc?.hidden) return []; // the catch-all answers unknown routes; it is no operation of the API
    return [{ name, route, methods, contract }];
  });
}

export function renderOpenApi(): string {
  const version = (JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version: string })
    .version;
  return JSON.stringify(buildOpenApiDocument(documentedRoutes(), { version }), null, 2) + '\n';
}

/** npm run openapi: loads the compiled functions and writes openapi.json at the repository root. */
if (require.main === module) {
  // Loading the function modules reads the configuration: give it the local defaults.
  loadLocalSettings();
  process.env.AzureWebJobsStorage ??= 'UseDevelopmentStorage=true';
  installFunctionsCore();
  for (const file of functionFilesFromMain()) require(file); // eslint-disable-line @typescript-eslint/no-require-imports -- files known only at run time
  fs.writeFileSync(path.join(projectRoot(), 'openapi.json'), renderOpenApi());
  console.log('Wrote openapi.json');
}
