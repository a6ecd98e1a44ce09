import { registeredRoutes } from './routes';

/**
 * The API's own routes and methods, as the function files registered them (shared/http/routes.ts).
 * The catch-all function uses it to tell a wrong method on a real route (405 with Allow) from a
 * route that does not exist (404).
 */
interface CatalogRoute {
  pattern: RegExp;
  methods: string[];
}

let catalog: { size: number; routes: CatalogRoute[] } | undefined;

function routes(): CatalogRoute[] {
  const registered = registeredRoutes();
  // Built once every function module has registered (they all load before the first request).
  if (!catalog || catalog.size !== registered.length) {
    catalog = {
      size: registered.length,
      routes: registered.map(({ route, methods }) => ({
        pattern: new RegExp(`^/${route.split('/').map(segmentPattern).join('/')}/?$`),
        methods,
      })),
    };
  }
  return catalog.routes;
}
/** `{param}` matches one segment; anything else literally. */
function segmentPattern(segment: string): string {
  return /^\{[^}]+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The methods the API answers on a path under the route prefix (`/invoices/…/pay`); empty when none. */
export function methodsFor(apiPath: string): string[] {
  return [...new Set(routes().flatMap((route) => (route.pattern.test(apiPath) ? route.methods : [])))];
}
