import type { HttpRequest } from '@azure/functions';

import { type AuthUser, verifyAccessToken } from '../controllers/auth.controller';
import { services } from '../services';
import { AppError } from './errors';

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
 * The caller's address for throttling. X-Client-IP and the last X-Forwarded-For hop are set by
 * the platform's front end (and by the local host); earlier hops can be forged by the client.
 */
export function clientKeyOf(request: HttpRequest): string {
  const forwarded = request.headers.get('x-forwarded-for')?.split(',').pop()?.trim();
  const address = request.headers.get('x-client-ip')?.trim() || forwarded || 'unknown';
  const ipv4WithPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(address);
  return (ipv4WithPort?.[1] ?? address).slice(0, 64);
}
