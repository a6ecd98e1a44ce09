/**
 * Route templates of HTTP triggers, matched as the Functions host does: literal segments,
 * `{name}` parameters, optional `{name?}`, catch-all `{*name}` and the `int`, `guid`, `alpha`
 * constraints (`{id:int}`). Literal segments win over parameters.
 */
export interface CompiledRoute<T> {
  template: string;
  methods: string[] | undefined;
  target: T;
  matcher: RegExp;
  paramNames: string[];
  specificity: number[];
}

const CONSTRAINTS: Record<string, string> = {
  int: '-?\\d+',
  guid: '[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}',
  alpha: '[A-Za-z]+',
};

export function compileRoute<T>(template: string, methods: string[] | undefined, target: T): CompiledRoute<T> {
  const paramNames: string[] = [];
  const specificity: number[] = [];
  let pattern = '^';
  for (const segment of template.replace(/^\/+|\/+$/g, '').split('/')) {
    const param = /^\{(\*)?([A-Za-z_][\w]*)(?::([a-z]+))?(\?)?\}$/.exec(segment);
    if (!param) {
      pattern += '/' + segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      specificity.push(3);
      continue;
    }
    const [, catchAll, name = '', constraint, optional] = param;
    paramNames.push(name);
    const valuePattern = catchAll ? '.+' : (constraint && CONSTRAINTS[constraint]) || '[^/]+';
    pattern += optional || catchAll ? `(?:/(${valuePattern}))?` : `/(${valuePattern})`;
    specificity.push(catchAll ? 0 : constraint ? 2 : 1);
  }
  return {
    template,
    methods: methods?.map((m) => m.toUpperCase()),
    target,
    matcher: new RegExp(pattern + '/?$'),
    paramNames,
    specificity,
  };
}

/** Most specific first, so `coupons/export` is tried before `coupons/{code}`. */
export function sortRoutes<T>(routes: CompiledRoute<T>[]): CompiledRoute<T>[] {
  return [...routes].sort((a, b) => {
    for (let i = 0; i < Math.max(a.specificity.length, b.specificity.length); i++) {
      const diff = (b.specificity[i] ?? -1) - (a.specificity[i] ?? -1);
      if (diff !== 0) return diff;
    }
    return 0;
  });
}

export type RouteMatch<T> =
  | { kind: 'found'; route: CompiledRoute<T>; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' };

export function matchRoute<T>(routes: CompiledRoute<T>[], method: string, path: string): RouteMatch<T> {
  const allowed = new Set<string>();
  for (const route of routes) {
    const match = route.matcher.exec(path);
    if (!match) continue;
    if (route.methods && !route.methods.includes(method.toUpperCase())) {
      route.methods.forEach((m) => allowed.add(m));
      continue;
    }
    const params: Record<string, string> = {};
    route.paramNames.forEach((name, i) => {
      const value = match[i + 1];
      if (value !== undefined) params[name] = safeDecode(value);
    });
    return { kind: 'found', route, params };
  }
  return allowed.size > 0 ? { kind: 'method-not-allowed', allowed: [...allowed] } : { kind: 'not-found' };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
