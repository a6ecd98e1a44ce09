import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import bcrypt from 'bcryptjs';
import jwt from 'jsonwebtoken';
import { z } from 'zod';

import type { Clock } from '../clients/clock.client';
import { type Db, isUniqueViolation } from '../clients/sql.client';
import type { Config } from '../config';
import { AppError } from '../http/errors';
import { newId } from '../models/ids';
import {
  createSession,
  findRefreshToken,
  insertRefreshToken,
  isSessionActive,
  markRefreshTokenUsed,
  revokeSession,
} from '../models/session.model';
import {
  documentTaken,
  findUserByEmail,
  findUserById,
  insertUser,
  type LoginInput,
  recordFailedLogin,
  type RegisterInput,
  resetFailedLogins,
  type Role,
  type User,
  type UserJson,
  userJsonSchema,
  userToJson,
} from '../models/user.model';
import { enforceRateLimit } from './throttle';

export interface AuthDeps {
  db: Db;
  clock: Clock;
  config: Pick<Config, 'jwt' | 'auth'>;
}

export interface AuthUser {
  id: string;
  role: Role;
  sessionId: string;
}

export const tokenPairSchema = z
  .object({
    accessToken: z.string().describe('JWT for Authorization: Bearer'),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().describe('Seconds the access token lives'),
    refreshToken: z.string().describe('Opaque; use once with POST /auth/refresh'),
    refreshTokenExpiresAt: z.string().describe('Absolute end of the session'),
    user: userJsonSchema,
  })
  .meta({ id: 'TokenPair' });
export type TokenPair = z.infer<typeof tokenPairSchema>;

// ---- Passwords ----

let commonPasswords: Set<string> | undefined;

/** The shipped list of the most common passwords (shared/data/common-passwords.txt). */
function isCommonPassword(password: string): boolean {
  if (!commonPasswords) {
    const file = path.resolve(__dirname, '../data/common-passwords.txt');
    const source = fs.existsSync(file) ? file : path.resolve(__dirname, '../../../shared/data/common-passwords.txt');
    commonPasswords = new Set(
      fs
        .readFileSync(source, 'utf8')
        .split('\n')
        .filter((line) => line && !line.startsWith('#'))
        .map((line) => line.trim().toLowerCase()),
    );
  }
  return commonPasswords.has(password.toLowerCase());
}

/** ASVS 5.0 V6.2: no composition rules, but no common password and nothing built from the email. */
export function passwordProblems(password: string, email: string): string | undefined {
  if (isCommonPassword(password)) return 'Esa contraseña es muy común y fácil de adivinar. Use una frase larga (se recomiendan 15 o más caracteres).';
  const localPart = email.split('@')[0] ?? '';
  if (localPart.length >= 3 && password.toLowerCase().includes(localPart.toLowerCase())) {
    return 'La contraseña no puede contener su correo electrónico.';
  }
  return undefined;
}

/**
 * bcrypt reads only the first 72 bytes; hashing a SHA-256 digest first keeps every character of a
 * long passphrase significant (ASVS asks for at least 64 characters to be allowed).
 */
function prehash(password: string): string {
  return createHash('sha256').update(password, 'utf8').digest('base64');
}

export function hashPassword(password: string, cost: number): Promise<string> {
  return bcrypt.hash(prehash(password), Math.max(cost, 10));
}

function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(prehash(password), hash);
}

const dummyHashes = new Map<number, Promise<string>>();
/** Compared against when the email is unknown, so both answers cost one bcrypt comparison. */
function dummyHash(cost: number): Promise<string> {
  let hash = dummyHashes.get(cost);
  if (!hash) {
    hash = hashPassword(randomBytes(16).toString('hex'), cost);
    dummyHashes.set(cost, hash);
  }
  return hash;
}

// ---- Tokens ----

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

function signAccessToken(deps: AuthDeps, user: { id: string; role: Role }, sessionId: string): string {
  const { jwt: settings } = deps.config;
  const now = Math.floor(deps.clock.now().getTime() / 1000);
  return jwt.sign({ role: user.role, sid: sessionId, iat: now, nbf: now, exp: now + settings.accessTokenTtlSeconds }, settings.signingKey, {
    algorithm: settings.algorithm,
    issuer: settings.issuer,
    audience: settings.audience,
    subject: user.id,
    jwtid: randomUUID(),
  });
}

async function issueTokens(deps: AuthDeps, user: User, sessionId: string, sessionExpiresAt: Date): Promise<TokenPair> {
  const refreshToken = randomBytes(32).toString('base64url');
  await insertRefreshToken(deps.db, {
    id: newId(),
    sessionId,
    tokenHash: sha256(refreshToken),
    now: deps.clock.now(),
    expiresAt: sessionExpiresAt,
  });
  return {
    accessToken: signAccessToken(deps, user, sessionId),
    tokenType: 'Bearer',
    expiresIn: deps.config.jwt.accessTokenTtlSeconds,
    refreshToken,
    refreshTokenExpiresAt: sessionExpiresAt.toISOString(),
    user: userToJson(user),
  };
}

interface AccessClaims {
  sub: string;
  role: Role;
  sid: string;
}

function isAccessClaims(payload: unknown): payload is AccessClaims {
  if (typeof payload !== 'object' || payload === null) return false;
  const claims = payload as Record<string, unknown>;
  return typeof claims.sub === 'string' && typeof claims.sid === 'string' && (claims.role === 'customer' || claims.role === 'operator');
}

const invalidToken = (detail: string) =>
  new AppError('INVALID_TOKEN', detail, { headers: { 'WWW-Authenticate': `Bearer realm="cuponeras-epm", error="invalid_token"` } });

/**
 * Verifies an access token: signature with the configured algorithm only (never `none`, never a
 * switch to another), issuer, audience, expiry and not-before, then that its session is alive.
 */
export async function verifyAccessToken(deps: AuthDeps, token: string): Promise<AuthUser> {
  const { jwt: settings } = deps.config;
  let payload: unknown;
  try {
    payload = jwt.verify(token, settings.verifyKey, {
      algorithms: [settings.algorithm],
      issuer: settings.issuer,
      audience: settings.audience,
      clockTimestamp: Math.floor(deps.clock.now().getTime() / 1000),
      clockTolerance: 5,
    });
  } catch (error) {
    throw invalidToken(error instanceof jwt.TokenExpiredError ? 'El token de acceso expiró; renuévelo con el refreshToken.' : 'El token de acceso no es válido.');
  }
  if (!isAccessClaims(payload)) throw invalidToken('El token de acceso no es válido.');
  if (!(await isSessionActive(deps.db, payload.sid, deps.clock.now()))) throw invalidToken('La sesión de este token fue cerrada.');
  return { id: payload.sub, role: payload.role, sessionId: payload.sid };
}

// ---- Use cases ----

/** Registers a customer. Duplicate email or document → 409, naming only what the caller typed. */
export async function register(deps: AuthDeps, input: RegisterInput): Promise<UserJson> {
  const weakness = passwordProblems(input.password, input.email);
  if (weakness) throw new AppError('WEAK_PASSWORD', weakness, { errors: [{ path: 'body.password', message: weakness }] });
  const emailTaken = () => new AppError('EMAIL_ALREADY_REGISTERED', `Ya existe una cuenta con el correo ${input.email}.`, { errors: [{ path: 'body.email', message: 'Correo ya registrado.' }] });
  const docTaken = () =>
    new AppError('DOCUMENT_ALREADY_REGISTERED', `Ya existe una cuenta con el documento ${input.documentType} ${input.documentNumber}.`, {
      errors: [{ path: 'body.documentNumber', message: 'Documento ya registrado.' }],
    });

  if (await findUserByEmail(deps.db, input.email)) throw emailTaken();
  if (await documentTaken(deps.db, input.documentType, input.documentNumber)) throw docTaken();
  const passwordHash = await hashPassword(input.password, deps.config.auth.bcryptCost);
  try {
    const user = await insertUser(deps.db, {
      id: newId(),
      email: input.email,
      passwordHash,
      fullName: input.fullName,
      documentType: input.documentType,
      documentNumber: input.documentNumber,
      phone: input.phone ?? null,
      role: 'customer',
      now: deps.clock.now(),
    });
    return userToJson(user);
  } catch (error) {
    // Lost a race with a concurrent registration: the unique index decided, name which one.
    if (!isUniqueViolation(error)) throw error;
    if (await findUserByEmail(deps.db, input.email)) throw emailTaken();
    throw docTaken();
  }
}

export async function login(deps: AuthDeps, input: LoginInput, clientKey: string): Promise<TokenPair> {
  // Per-client throttle against password spraying: N attempts per window per client address.
  await enforceRateLimit(deps, {
    bucket: `login:client:${clientKey}`,
    max: deps.config.auth.maxAttemptsPerClient,
    windowMs: deps.config.auth.clientWindowMinutes * 60_000,
    detail: 'Demasiados intentos desde este cliente. Espere e intente de nuevo.',
  });
  const { auth } = deps.config;
  const now = deps.clock.now();
  const user = await findUserByEmail(deps.db, input.email);
  if (user?.lockedUntil && user.lockedUntil > now) {
    const retryAfterSeconds = Math.ceil((user.lockedUntil.getTime() - now.getTime()) / 1000);
    throw new AppError('ACCOUNT_LOCKED', 'Demasiados intentos fallidos. La cuenta está bloqueada temporalmente.', { retryAfterSeconds });
  }
  const valid = await verifyPassword(input.password, user?.passwordHash ?? (await dummyHash(auth.bcryptCost)));
  if (!user || !valid) {
    if (user) {
      await recordFailedLogin(deps.db, user.id, {
        now,
        windowStart: new Date(now.getTime() - auth.failureWindowMinutes * 60_000),
        maxFailures: auth.maxFailures,
        lockedUntil: new Date(now.getTime() + auth.lockMinutes * 60_000),
      });
    }
    throw new AppError('INVALID_CREDENTIALS', 'El correo o la contraseña no son correctos.');
  }
  if (user.failedLogins > 0 || user.lockedUntil) await resetFailedLogins(deps.db, user.id, now);
  const sessionId = newId();
  const sessionExpiresAt = new Date(now.getTime() + deps.config.jwt.refreshTokenTtlDays * 86_400_000);
  await createSession(deps.db, { id: sessionId, userId: user.id, now, expiresAt: sessionExpiresAt });
  return issueTokens(deps, user, sessionId, sessionExpiresAt);
}

const invalidRefresh = () => new AppError('INVALID_REFRESH_TOKEN', 'La sesión no es válida o expiró. Inicie sesión de nuevo.');

/**
 * Rotates a refresh token. A token that was already rotated means it leaked (or the client is
 * confused): the whole session family is revoked and the caller must log in again.
 */
export async function refresh(deps: AuthDeps, refreshToken: string): Promise<TokenPair> {
  const now = deps.clock.now();
  const record = await findRefreshToken(deps.db, sha256(refreshToken));
  if (!record || record.session.revokedAt || record.session.expiresAt <= now || record.expiresAt <= now) throw invalidRefresh();
  const rotated = await markRefreshTokenUsed(deps.db, record.id, now);
  if (record.usedAt || !rotated) {
    await revokeSession(deps.db, record.sessionId, 'refresh-token-reuse', now);
    throw new AppError('REFRESH_TOKEN_REUSED', 'Este refreshToken ya se había usado. Por seguridad se cerró la sesión; inicie sesión de nuevo.');
  }
  const user = await findUserById(deps.db, record.session.userId);
  if (!user) throw invalidRefresh();
  return issueTokens(deps, user, record.sessionId, record.session.expiresAt);
}

/** Ends the session of a refresh token. Unknown or already-ended tokens also get 204: nothing to reveal. */
export async function logout(deps: AuthDeps, refreshToken: string): Promise<void> {
  const record = await findRefreshToken(deps.db, sha256(refreshToken));
  if (record) await revokeSession(deps.db, record.sessionId, 'logout', deps.clock.now());
}

export async function currentUser(deps: AuthDeps, userId: string): Promise<UserJson> {
  const user = await findUserById(deps.db, userId);
  if (!user) throw new AppError('USER_NOT_FOUND', 'El usuario de este token ya no existe.');
  return userToJson(user);
}
