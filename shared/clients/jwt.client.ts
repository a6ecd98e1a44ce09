import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject, randomUUID } from 'node:crypto';

import type * as Jwt from 'jsonwebtoken';

import type { Config } from '../config';
import { onFirstUse } from './lazy';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (cold start, see lazy.ts)
const jwt = onFirstUse(() => require('jsonwebtoken') as typeof Jwt);

type JwtSettings = Config['jwt'];

interface VerifiedToken {
  payload: unknown;
  notBefore: number;
  expires: number;
}

/** What is built once per configuration: its keys, and the tokens it has verified. */
interface JwtState {
  signing: KeyObject;
  verifying: KeyObject;
  /**
   * Tokens that passed the whole check, by their whole text: a client sends the same token on
   * every request, and checking its HMAC and parsing it again was ~4 % of a search. A hit is the
   * very bytes that passed (signature included), so nothing unverified gets in; expiry and
   * not-before are checked again on every use; a new key (a new configuration) starts empty.
   */
  verified: Map<string, VerifiedToken>;
}

const stateCache = new WeakMap<JwtSettings, JwtState>();
/**
 * The JWT keys as KeyObjects, built once per configuration: given a string, jsonwebtoken first
 * tries to parse an HS256 secret as a public key on every verify (and catches the failure), which
 * was a sixth of a search's CPU.
 */
function jwtState(settings: JwtSettings): JwtState {
  let state = stateCache.get(settings);
  if (!state) {
    const keys =
      settings.algorithm === 'HS256'
        ? {
            signing: createSecretKey(Buffer.from(settings.signingKey, 'utf8')),
            verifying: createSecretKey(Buffer.from(settings.verifyKey, 'utf8')),
          }
        : { signing: createPrivateKey(settings.signingKey), verifying: createPublicKey(settings.verifyKey) };
    state = { ...keys, verified: new Map() };
    stateCache.set(settings, state);
  }
  return state;
}

/** An access token for `subject`, valid from `nowSeconds` for the configured lifetime, with a fresh jti. */
export function signJwt(
  settings: JwtSettings,
  subject: string,
  claims: Record<string, string>,
  nowSeconds: number,
): string {
  return jwt().sign(
    { ...claims, iat: nowSeconds, nbf: nowSeconds, exp: nowSeconds + settings.accessTokenTtlSeconds },
    jwtState(settings).signing,
    {
      algorithm: settings.algorithm,
      issuer: settings.issuer,
      audience: settings.audience,
      subject,
      jwtid: randomUUID(),
    },
  );
}

export type JwtVerdict = { valid: true; payload: unknown } | { valid: false; expired: boolean };

const CLOCK_TOLERANCE_SECONDS = 5;
const VERIFIED_CACHE_SIZE = 10_000;

/**
 * Verifies a token with the configured algorithm only (never `none`, never a switch to another),
 * its issuer, audience, expiry and not-before (5 s of clock tolerance). What its claims must say
 * is the caller's to check.
 */
export function verifyJwt(settings: JwtSettings, token: string, nowSeconds: number): JwtVerdict {
  const state = jwtState(settings);
  const cache = state.verified;
  const known = cache.get(token);
  if (known && nowSeconds + CLOCK_TOLERANCE_SECONDS >= known.notBefore) {
    if (nowSeconds < known.expires + CLOCK_TOLERANCE_SECONDS) return { valid: true, payload: known.payload };
    cache.delete(token);
    return { valid: false, expired: true };
  }
  try {
    const payload: unknown = jwt().verify(token, state.verifying, {
      algorithms: [settings.algorithm],
      issuer: settings.issuer,
      audience: settings.audience,
      clockTimestamp: nowSeconds,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });
    remember(cache, token, payload);
    return { valid: true, payload };
  } catch (error) {
    return { valid: false, expired: error instanceof jwt().TokenExpiredError };
  }
}

/** Keeps a verified token whose lifetime is known; past the bound, the oldest entry goes. */
function remember(cache: Map<string, VerifiedToken>, token: string, payload: unknown): void {
  const { exp, nbf } = (payload ?? {}) as { exp?: unknown; nbf?: unknown };
  if (typeof exp !== 'number') return;
  if (cache.size >= VERIFIED_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(token, { payload: Object.freeze(payload), notBefore: typeof nbf === 'number' ? nbf : 0, expires: exp });
}
