import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject, randomUUID } from 'node:crypto';

import type * as Jwt from 'jsonwebtoken';

import type { Config } from '../config';
import { onFirstUse } from './lazy';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (cold start, see lazy.ts)
const jwt = onFirstUse(() => require('jsonwebtoken') as typeof Jwt);

type JwtSettings = Config['jwt'];

const keyCache = new WeakMap<JwtSettings, { signing: KeyObject; verifying: KeyObject }>();
/**
 * The JWT keys as KeyObjects, built once per configuration: given a string, jsonwebtoken first
 * tries to parse an HS256 secret as a public key on every verify (and catches the failure), which
 * was a sixth of a search's CPU.
 */
function jwtKeys(settings: JwtSettings): { signing: KeyObject; verifying: KeyObject } {
  let keys = keyCache.get(settings);
  if (!keys) {
    keys =
      settings.algorithm === 'HS256'
        ? {
            signing: createSecretKey(Buffer.from(settings.signingKey, 'utf8')),
            verifying: createSecretKey(Buffer.from(settings.verifyKey, 'utf8')),
          }
        : { signing: createPrivateKey(settings.signingKey), verifying: createPublicKey(settings.verifyKey) };
    keyCache.set(settings, keys);
  }
  return keys;
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
    jwtKeys(settings).signing,
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

/**
 * Verifies a token with the configured algorithm only (never `none`, never a switch to another),
 * its issuer, audience, expiry and not-before (5 s of clock tolerance). What its claims must say
 * is the caller's to check.
 */
export function verifyJwt(settings: JwtSettings, token: string, nowSeconds: number): JwtVerdict {
  try {
    const payload: unknown = jwt().verify(token, jwtKeys(settings).verifying, {
      algorithms: [settings.algorithm],
      issuer: settings.issuer,
      audience: settings.audience,
      clockTimestamp: nowSeconds,
      clockTolerance: 5,
    });
    return { valid: true, payload };
  } catch (error) {
    return { valid: false, expired: error instanceof jwt().TokenExpiredError };
  }
}
