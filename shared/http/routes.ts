import { app, type HttpFunctionOptions } from '@azure/functions';

/**
 * The app's HTTP routes as its function files register them: `httpFunction` registers with the
 * Functions library (app.http) and keeps the route and methods, so the catch-all can tell a wrong
 * method on a real route (405) from a route that does not exist (404) without reading a document.
 */
export interface RegisteredRoute {
  route: string;
  methods: string[];
}

// On globalThis: the function modules and the catch-all share one list even if this module is
// loaded twice (compiled and transpiled copies, jest's per-file module registry).
const ROUTES_KEY = Symbol.for('cuponeras-epm.http-routes');
type GlobalWithRoutes = typeof globalThis & { [ROUTES_KEY]?: Map<string, RegisteredRoute> };

function routesByName(): Map<string, RegisteredRoute> {
  const holder = globalThis as GlobalWithRoutes;
  holder[ROUTES_KEY] ??= new Map();
  return holder[ROUTES_KEY];
}

export function httpFunction(name: string, options: HttpFunctionOptions): void {
  app.http(name, options);
  const route = options.route ?? name;
  // The catch-all ({*path}) is no route of the API.
  if (!route.includes('{*'))
    routesByName().set(name, {
      route,
      methods: (options.methods ?? ['GET', 'POST']).filter((m) => m !== 'OPTIONS'),
    });
}

export function registeredRoutes(): RegisteredRoute[] {
  return [...routesByName().values()];
}
