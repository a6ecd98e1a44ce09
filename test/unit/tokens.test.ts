import { createHmac, generateKeyPairSync } from 'node:crypto';

import jwt from 'jsonwebtoken';

import { ManualClock } from '../../shared/clients/clock.client';
import { verifyJwt } from '../../shared/clients/jwt.client';
import { type AuthDeps, verifyAccessToken } from '../../shared/controllers/auth.controller';
import { AppError } from '../../shared/errors';

// Signature checks fail before any database lookup, so no database is needed here.
const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const clock = new ManualClock(new Date('2026-11-30T15:00:00Z'));
const deps = {
  db: {} as AuthDeps['db'], // never reached: every token below fails its signature or claims first
  clock,
  config: {
    jwt: {
      algorithm: 'RS256',
      signingKey: privateKey,
      verifyKey: publicKey,
      issuer: 'https://cuponeras.epm.com.co',
      audience: 'cuponeras-epm-api',
      accessTokenTtlSeconds: 900,
      refreshTokenTtlDays: 14,
    },
    auth: {
      bcryptCost: 10,
      sessionCacheMs: 5000,
      maxFailures: 5,
      failureWindowMinutes: 15,
      lockMinutes: 15,
      maxAttemptsPerClient: 30,
      clientWindowMinutes: 5,
    },
  },
} satisfies AuthDeps;

const claims = {
  sub: 'u1',
  role: 'customer',
  sid: 's1',
  iss: 'https://cuponeras.epm.com.co',
  aud: 'cuponeras-epm-api',
};
const codeOf = async (token: string) =>
  verifyAccessToken(deps, token).then(
    () => 'accepted',
    (e: unknown) => (e instanceof AppError ? e.code : String(e)),
  );

describe('access tokens with RS256', () => {
  test('when a token is signed with HS256 using the public key as the secret (algorithm confusion), then it is refused', async () => {
    // jsonwebtoken itself refuses to sign with a PEM key as an HMAC secret; forge the token by hand.
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({ ...claims, exp: Math.floor(clock.now().getTime() / 1000) + 600 }),
    ).toString('base64url');
    const signature = createHmac('sha256', publicKey).update(`${header}.${payload}`).digest('base64url');
    expect(await codeOf(`${header}.${payload}.${signature}`)).toBe('INVALID_TOKEN');
  });

  test('when the token is signed by another RSA key, then it is refused', async () => {
    const other = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const token = jwt.sign(claims, other.privateKey, { algorithm: 'RS256', expiresIn: 600 });
    expect(await codeOf(token)).toBe('INVALID_TOKEN');
  });

  test('when a well-signed token is not yet valid (nbf in the future), then it is refused', async () => {
    const now = Math.floor(clock.now().getTime() / 1000);
    const token = jwt.sign({ ...claims, nbf: now + 600, exp: now + 900 }, privateKey, { algorithm: 'RS256' });
    expect(await codeOf(token)).toBe('INVALID_TOKEN');
  });

  test('when a well-signed token lacks the session claim, then it is refused', async () => {
    const now = Math.floor(clock.now().getTime() / 1000);
    const token = jwt.sign(
      { sub: 'u1', role: 'customer', iss: claims.iss, aud: claims.aud, exp: now + 600 },
      privateKey,
      { algorithm: 'RS256' },
    );
    expect(await codeOf(token)).toBe('INVALID_TOKEN');
  });
});

describe('tokens already verified (the per-configuration cache)', () => {
  const hs256 = {
    ...deps.config.jwt,
    algorithm: 'HS256' as const,
    signingKey: 'a-secret-of-at-least-thirty-two-characters',
    verifyKey: 'a-secret-of-at-least-thirty-two-characters',
  };
  const issuedAt = Math.floor(clock.now().getTime() / 1000);
  const sign = (key = hs256.signingKey, nbf = issuedAt) =>
    jwt.sign({ ...claims, nbf, exp: issuedAt + 900 }, key, { algorithm: 'HS256' });

  test('when a verified token is used again after its expiry, then it is refused as expired', () => {
    const settings = { ...hs256 };
    const token = sign();
    expect(verifyJwt(settings, token, issuedAt + 10)).toMatchObject({ valid: true });
    expect(verifyJwt(settings, token, issuedAt + 904)).toMatchObject({ valid: true }); // within the 5 s tolerance
    expect(verifyJwt(settings, token, issuedAt + 905)).toEqual({ valid: false, expired: true });
    expect(verifyJwt(settings, token, issuedAt + 10)).toMatchObject({ valid: true }); // checked afresh, not remembered as refused
  });

  test('when a verified token is used before its not-before (a clock set back), then it is refused', () => {
    const settings = { ...hs256 };
    const token = sign(hs256.signingKey, issuedAt + 60);
    expect(verifyJwt(settings, token, issuedAt + 60)).toMatchObject({ valid: true });
    expect(verifyJwt(settings, token, issuedAt)).toEqual({ valid: false, expired: false });
  });

  test('when a verified token is altered by one character, then the copy is checked and refused', () => {
    const settings = { ...hs256 };
    const token = sign();
    expect(verifyJwt(settings, token, issuedAt)).toMatchObject({ valid: true });
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    expect(verifyJwt(settings, token.slice(0, -1) + last, issuedAt)).toEqual({ valid: false, expired: false });
  });

  test('when the key is rotated, then a token verified under the old key is refused', () => {
    const token = sign();
    expect(verifyJwt({ ...hs256 }, token, issuedAt)).toMatchObject({ valid: true });
    const rotated = {
      ...hs256,
      signingKey: 'another-secret-of-at-least-thirty-two-chars',
      verifyKey: 'another-secret-of-at-least-thirty-two-chars',
    };
    expect(verifyJwt(rotated, token, issuedAt)).toEqual({ valid: false, expired: false });
  });
});
