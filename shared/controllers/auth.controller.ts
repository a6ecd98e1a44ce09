import { createHash, randomBytes } from 'node:crypto';

import { z } from 'zod';

import type { Clock } from '../clients/clock.client';
import { signJwt, verifyJwt } from '../clients/jwt.client';
import type { QueuePublisher } from '../clients/queue.client';
import { type Db, inTransaction } from '../clients/sql.client';
import type { Config } from '../config';
import { AppError } from '../errors';
import { recordConsent } from '../models/consent.model';
import { newId } from '../models/ids';
import {
  clearLoginFailures,
  loginBlockedUntil,
  loginThrottleKey,
  recordLoginFailure,
} from '../models/loginThrottle.model';
import { verificationEmailMessage } from '../models/message.model';
import { addToOutbox } from '../models/outbox.model';
import { dummyHash, hashPassword, passwordProblems, verifyPassword } from '../models/password';
import {
  createSession,
  findActiveSession,
  findRefreshToken,
  insertRefreshToken,
  markRefreshTokenUsed,
  revokeSession,
} from '../models/session.model';
import { forgetRevoked, sessionCacheOf } from '../models/sessionCache';
import { enforceRateLimit } from '../models/throttle';
import {
  documentTaken,
  findUserByEmail,
  findUserById,
  insertUser,
  type LoginInput,
  type RegisterInput,
  type Role,
  takenUserKey,
  type User,
  type UserJson,
  userJsonSchema,
  userToJson,
} from '../models/user.model';
import { dispatchSoon } from '../outbox';
import { PRIVACY_POLICY } from '../views/privacyPolicy';

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

// ---- Tokens ----

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

function signAccessToken(deps: AuthDeps, user: { id: string; role: Role }, sessionId: string): string {
  const now = Math.floor(deps.clock.now().getTime() / 1000);
  return signJwt(deps.config.jwt, user.id, { role: user.role, sid: sessionId }, now);
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
  return (
    typeof claims.sub === 'string' &&
    typeof claims.sid === 'string' &&
    (claims.role === 'customer' || claims.role === 'operator')
  );
}

const invalidToken = (detail: string) =>
  new AppError('INVALID_TOKEN', detail, {
    headers: { 'WWW-Authenticate': `Bearer realm="cuponeras-epm", error="invalid_token"` },
  });

/**
 * Verifies an access token: signature with the configured algorithm only (never `none`, never a
 * switch to another), issuer, audience, expiry and not-before, then that its session is alive.
 */
export async function verifyAccessToken(deps: AuthDeps, token: string): Promise<AuthUser> {
  const verdict = verifyJwt(deps.config.jwt, token, Math.floor(deps.clock.now().getTime() / 1000));
  if (!verdict.valid)
    throw invalidToken(
      verdict.expired
        ? 'El token de acceso expiró; renuévelo con el refreshToken.'
        : 'El token de acceso no es válido.',
    );
  const payload = verdict.payload;
  if (!isAccessClaims(payload)) throw invalidToken('El token de acceso no es válido.');
  if (!(await isSessionAlive(deps, payload.sid))) throw invalidToken('La sesión de este token fue cerrada.');
  return { id: payload.sub, role: payload.role, sessionId: payload.sid };
}

/** Whether the token's session is alive: from this instance's short cache, else the database. */
async function isSessionAlive(deps: AuthDeps, sessionId: string): Promise<boolean> {
  const cache = sessionCacheOf(deps.db, deps.config.auth.sessionCacheMs);
  const now = deps.clock.now();
  if (cache.isActive(sessionId, now)) return true;
  const readStartedAt = cache.readStarted();
  const session = await findActiveSession(deps.db, sessionId, now);
  if (session) cache.remember(sessionId, session.userId, session.expiresAt, readStartedAt);
  return session !== undefined;
}

// ---- Use cases ----

/**
 * Registers a customer who accepted the privacy policy: the user, their consent (the policy
 * version, and when) and the verification email, in one transaction. Duplicate email or document
 * → 409, naming only what the caller typed.
 */
export async function register(
  deps: AuthDeps & { queue: QueuePublisher; config: Pick<Config, 'quotas'> },
  input: RegisterInput & { acceptTerms?: boolean },
  clientKey: string,
): Promise<UserJson> {
  if (input.acceptTerms !== true)
    throw new AppError(
      'TERMS_NOT_ACCEPTED',
      `Para crear la cuenta debe aceptar la política de tratamiento de datos personales (versión ${PRIVACY_POLICY.version}, GET /privacy-policy).`,
      { errors: [{ path: 'body.acceptTerms', message: 'Debe ser true.' }] },
    );
  const perHour = deps.config.quotas.registrationsPerClientPerHour;
  await enforceRateLimit(deps, {
    bucket: `register:client:${clientKey}`,
    max: perHour,
    windowMs: 3600_000,
    detail: `Se pueden crear hasta ${perHour} cuentas por hora desde el mismo cliente. Intente más tarde.`,
  });
  const weakness = passwordProblems(input.password, input.email);
  if (weakness)
    throw new AppError('WEAK_PASSWORD', weakness, { errors: [{ path: 'body.password', message: weakness }] });
  const emailTaken = () =>
    new AppError('EMAIL_ALREADY_REGISTERED', `Ya existe una cuenta con el correo ${input.email}.`, {
      errors: [{ path: 'body.email', message: 'Correo ya registrado.' }],
    });
  const docTaken = () =>
    new AppError(
      'DOCUMENT_ALREADY_REGISTERED',
      `Ya existe una cuenta con el documento ${input.documentType} ${input.documentNumber}.`,
      {
        errors: [{ path: 'body.documentNumber', message: 'Documento ya registrado.' }],
      },
    );

  // Hash first: an existing email must cost the same time as a new one (no enumeration by timing).
  const passwordHash = await hashPassword(input.password, deps.config.auth.bcryptCost);
  if (await findUserByEmail(deps.db, input.email)) throw emailTaken();
  if (await documentTaken(deps.db, input.documentType, input.documentNumber)) throw docTaken();
  const now = deps.clock.now();
  let registered: { user: User; messageIds: string[] };
  try {
    registered = await inTransaction(deps.db, async (tx) => {
      const user = await insertUser(tx, {
        id: newId(),
        email: input.email,
        passwordHash,
        fullName: input.fullName,
        documentType: input.documentType,
        documentNumber: input.documentNumber,
        phone: input.phone ?? null,
        role: 'customer',
        now,
      });
      await recordConsent(tx, user.id, PRIVACY_POLICY.version, now);
      return { user, messageIds: await addToOutbox(tx, [verificationEmailMessage(user, now)], now) };
    });
  } catch (error) {
    // A concurrent registration may win the race: the unique index decided, name which one.
    const taken = await takenUserKey(deps.db, error, input.email);
    if (taken === 'email') throw emailTaken();
    if (taken === 'document') throw docTaken();
    throw error;
  }
  await dispatchSoon(deps, registered.messageIds);
  return userToJson(registered.user);
}

/** The first wait of a pair that reached LOGIN_MAX_FAILURES; each further failure doubles it. */
const LOGIN_BASE_DELAY_MS = 30_000;

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
  // Wrong passwords slow down this (account, client) pair only, known email or not: the owner on
  // another client is never locked out, and the answers don't tell whether the email exists.
  const pair = loginThrottleKey(input.email, clientKey);
  const blockedUntil = await loginBlockedUntil(deps.db, pair, now);
  if (blockedUntil) {
    throw new AppError('TOO_MANY_REQUESTS', 'Demasiados intentos fallidos. Espere e intente de nuevo.', {
      retryAfterSeconds: Math.max(1, Math.ceil((blockedUntil.getTime() - now.getTime()) / 1000)),
    });
  }
  const user = await findUserByEmail(deps.db, input.email);
  const valid = await verifyPassword(input.password, user?.passwordHash ?? (await dummyHash(auth.bcryptCost)));
  if (!user || !valid) {
    await recordLoginFailure(deps.db, pair, now, {
      maxFailures: auth.maxFailures,
      windowMs: auth.failureWindowMinutes * 60_000,
      baseDelayMs: LOGIN_BASE_DELAY_MS,
      maxDelayMs: auth.lockMinutes * 60_000,
    });
    throw new AppError('INVALID_CREDENTIALS', 'El correo o la contraseña no son correctos.');
  }
  await clearLoginFailures(deps.db, pair);
  const sessionId = newId();
  const sessionExpiresAt = new Date(now.getTime() + deps.config.jwt.refreshTokenTtlDays * 86_400_000);
  await createSession(deps.db, { id: sessionId, userId: user.id, now, expiresAt: sessionExpiresAt });
  return issueTokens(deps, user, sessionId, sessionExpiresAt);
}

const invalidRefresh = () =>
  new AppError('INVALID_REFRESH_TOKEN', 'La sesión no es válida o expiró. Inicie sesión de nuevo.');

/**
 * Rotates a refresh token. A token that was already rotated means it leaked (or the client is
 * confused): the whole session family is revoked and the caller must log in again.
 */
export async function refresh(deps: AuthDeps, refreshToken: string): Promise<TokenPair> {
  const now = deps.clock.now();
  const record = await findRefreshToken(deps.db, sha256(refreshToken));
  if (!record || record.session.revokedAt || record.session.expiresAt <= now || record.expiresAt <= now)
    throw invalidRefresh();
  const rotated = await markRefreshTokenUsed(deps.db, record.id, now);
  if (record.usedAt || !rotated) {
    await revokeSession(deps.db, record.sessionId, 'refresh-token-reuse', now);
    forgetRevoked(deps, { sessionId: record.sessionId });
    throw new AppError(
      'REFRESH_TOKEN_REUSED',
      'Este refreshToken ya se había usado. Por seguridad se cerró la sesión; inicie sesión de nuevo.',
    );
  }
  const user = await findUserById(deps.db, record.session.userId);
  if (!user || user.deletedAt) throw invalidRefresh();
  return issueTokens(deps, user, record.sessionId, record.session.expiresAt);
}

/** Ends the session of a refresh token. Unknown or already-ended tokens also get 204: nothing to reveal. */
export async function logout(deps: AuthDeps, refreshToken: string): Promise<void> {
  const record = await findRefreshToken(deps.db, sha256(refreshToken));
  if (record) {
    await revokeSession(deps.db, record.sessionId, 'logout', deps.clock.now());
    forgetRevoked(deps, { sessionId: record.sessionId });
  }
}

export async function currentUser(deps: AuthDeps, userId: string): Promise<UserJson> {
  const user = await findUserById(deps.db, userId);
  if (!user || user.deletedAt) throw new AppError('USER_NOT_FOUND', 'El usuario de este token ya no existe.');
  return userToJson(user);
}
