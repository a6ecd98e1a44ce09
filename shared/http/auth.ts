import type { HttpRequest } from '@azure/functions';

import { config } from '../config';
import { type AuthUser, verifyAccessToken } from '../controllers/auth.controller';
import { AppError } from '../errors';
import { services } from '../services';

export type { AuthUser };

const BEARER = /^Bearer\s+([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*)$/i;

/**
 * The auth guard of every protected route: a valid bearer access token (see verifyAccessToken),
 * and for operator routes the operator role. 401 carries WWW-Authenticate; a wrong role is 403.
 */
export async function authenticate(request: HttpRequest, required: 'user' | 'operator'): Promise<AuthUser> {
  const header = request.headers.get('authorization')?.trim();
  if (!header) {
    throw new AppError('UNAUTHENTICATED', 'Envíe el encabezado Authorization: Bearer <accessToken>.', {
      headers: { 'WWW-Authenticate': 'Bearer realm="cuponeras-epm"' },
    });
  }
  const token = BEARER.exec(header)?.[1];
  if (!token) {
    throw new AppError('INVALID_TOKEN', 'El encabezado Authorization debe ser "Bearer <accessToken>".', {
      headers: { 'WWW-Authenticate': 'Bearer realm="cuponeras-epm", error="invalid_request"' },
    });
  }
  const user = await verifyAccessToken(services(), token);
  if (required === 'operator' && user.role !== 'operator') {
    throw new AppError('FORBIDDEN', 'Esta operación es solo para operadores.');
  }
  return user;
}

/**
 * The caller's address for throttling and quotas: the socket's peer as our host saw it, or, behind
 * TRUSTED_PROXY_HOPS more proxies of our own (Front Door, API Management), the address the
 * farthest of them saw. Never a header the client can simply set (X-Client-IP is not read).
 */
export function clientKeyOf(request: HttpRequest, trustedProxyHops = config().http.trustedProxyHops): string {
  // X-Forwarded-For grows to the right: each proxy appends the address that connected to it, and
  // the last entry comes from our own host (the socket address locally, the Azure front end's peer
  // in Azure). Entries left of the trusted hops are whatever the client wrote: never read them.
  const chain = (request.headers.get('x-forwarded-for') ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  const address = chain[Math.max(chain.length - 1 - trustedProxyHops, 0)] ?? 'unknown';
  const ipv4WithPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(address);
  return (ipv4WithPort?.[1] ?? address).slice(0, 64);
}
