import fs from 'node:fs';
import path from 'node:path';

import { projectRoot } from '../projectFiles';

/**
 * The API's own routes and methods, as the committed OpenAPI document lists them (generated from
 * the registrations; a test keeps it fresh). The catch-all function uses it to tell a wrong method
 * on a real route (405 with Allow) from a route that does not exist (404).
 */
interface CatalogRoute {
  pattern: RegExp;
  methods: string[];
}

let catalog: CatalogRoute[] | undefined;

function routes(): CatalogRoute[] {
  if (!catalog) {
    const doc = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'openapi.json'), 'utf8')) as {
      paths: Record<string, Record<string, unknown>>;
    };
    catalog = Object.entries(doc.paths).map(([template, operations]) => ({
      pattern: new RegExp(`^${template.split('/').map(segmentPattern).join('/')}/?$`),
      methods: Object.keys(operations).map((m) => m.toUpperCase()),
    }));
  }
  return catalog;
}

/** `{param}` matches one segment; anything else literally. */
function segmentPattern(segment: string): string {
  return /^\{[^}]+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The methods the API answers on a path under the route prefix (`/invoices/…/pay`); empty when none. */
export function methodsFor(apiPath: string): string[] {
  return [...new Set(routes().flatMap((route) => (route.pattern.test(apiPath) ? route.methods : [])))];
}
