import type { HttpRequest, HttpResponseInit } from '@azure/functions';

/** CORS for the frontend origins in CORS_ORIGINS ("*" allows any). Credentials stay off: auth is a bearer token. */
export const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'];
export const CORS_EXPOSED_HEADERS = [
  'Retry-After',
  'X-Request-Id',
  'Idempotent-Replayed',
  'Location',
  'WWW-Authenticate',
  // The PDF routes' file name, for a download link in the browser.
  'Content-Disposition',
];
export const CORS_ALLOWED_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

function allowedOrigin(origin: string | null, allowed: string[]): string | undefined {
  if (!origin) return undefined;
  if (allowed.includes('*')) return '*';
  return allowed.includes(origin) ? origin : undefined;
}

export function isPreflight(request: HttpRequest): boolean {
  return request.method === 'OPTIONS' && request.headers.has('access-control-request-method');
}

/** Headers added to every answer for an allowed origin. */
export function corsHeaders(origin: string | null, allowed: string[]): Record<string, string> {
  const allow = allowedOrigin(origin, allowed);
  if (!allow) return {};
  return {
    'Access-Control-Allow-Origin': allow,
    'Access-Control-Expose-Headers': CORS_EXPOSED_HEADERS.join(', '),
    Vary: 'Origin',
  };
}

/** Answer to a preflight: 204 with the allowed methods and headers, or 403 for an unknown origin. */
export function preflightResponse(origin: string | null, allowed: string[]): HttpResponseInit {
  if (!allowedOrigin(origin, allowed)) return { status: 403 };
  return {
    status: 204,
    headers: {
      'Access-Control-Allow-Methods': CORS_ALLOWED_METHODS.join(', '),
      'Access-Control-Allow-Headers': CORS_ALLOWED_HEADERS.join(', '),
      'Access-Control-Max-Age': '600',
    },
  };
}
