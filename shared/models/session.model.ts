import { z } from 'zod';

import { asDate, asOptionalDate, type DbOrTx } from '../clients/sql.client';

/**
 * A session is one login: a family of rotating refresh tokens with an absolute expiry. Revoking
 * it (logout, refresh-token reuse) kills every refresh token of the family and, through the `sid`
 * claim the auth guard checks, every access token issued for it.
 */
export interface Session {
  id: string;
  userId: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

export interface RefreshTokenRecord {
  id: string;
  sessionId: string;
  usedAt: Date | null;
  expiresAt: Date;
  session: Session;
}

export type RevokeReason = 'logout' | 'refresh-token-reuse' | 'password-change' | 'password-reset' | 'account-deleted';

interface SessionRow {
  id: string;
  user_id: string;
  created_at: unknown;
  expires_at: unknown;
  revoked_at: unknown;
}

export const sessionQueries = {
  activeById: (db: DbOrTx, id: string, now: Date) =>
    db<SessionRow>('sessions')
      .where({ id })
      .whereNull('revoked_at')
      .where('expires_at', '>', now)
      .first<{ user_id: string; expires_at: unknown } | undefined>('user_id', 'expires_at'),
  refreshTokenByHash: (db: DbOrTx, tokenHash: string) =>
    db('refresh_tokens as t')
      .join('sessions as s', 's.id', 't.session_id')
      .where('t.token_hash', tokenHash)
      .first(
        't.id',
        't.session_id',
        't.used_at',
        't.expires_at as token_expires_at',
        's.user_id',
        's.created_at',
        's.expires_at',
        's.revoked_at',
      ),
  /** Marks a refresh token used only if nobody used it first: the rotation's compare-and-set. */
  markUsed: (db: DbOrTx, id: string, now: Date) =>
    db('refresh_tokens').where({ id }).whereNull('used_at').update({ used_at: now }),
  revoke: (db: DbOrTx, id: string, reason: RevokeReason, now: Date) =>
    db('sessions').where({ id }).whereNull('revoked_at').update({ revoked_at: now, revoked_reason: reason }),
  revokeAllOf: (db: DbOrTx, userId: string, reason: RevokeReason, now: Date, except?: string) =>
    db('sessions')
      .where({ user_id: userId })
      .whereNull('revoked_at')
      .modify((q) => {
        if (except) void q.whereNot({ id: except });
      })
      .update({ revoked_at: now, revoked_reason: reason }),
};

export async function createSession(
  db: DbOrTx,
  session: { id: string; userId: string; now: Date; expiresAt: Date },
): Promise<void> {
  await db('sessions').insert({
    id: session.id,
    user_id: session.userId,
    created_at: session.now,
    expires_at: session.expiresAt,
  });
}

export async function insertRefreshToken(
  db: DbOrTx,
  token: { id: string; sessionId: string; tokenHash: string; now: Date; expiresAt: Date },
): Promise<void> {
  await db('refresh_tokens').insert({
    id: token.id,
    session_id: token.sessionId,
    token_hash: token.tokenHash,
    created_at: token.now,
    expires_at: token.expiresAt,
  });
}

export async function findRefreshToken(db: DbOrTx, tokenHash: string): Promise<RefreshTokenRecord | undefined> {
  const row = (await sessionQueries.refreshTokenByHash(db, tokenHash)) as Record<string, unknown> | undefined;
  if (!row) return undefined;
  return {
    id: String(row.id),
    sessionId: String(row.session_id),
    usedAt: asOptionalDate(row.used_at),
    expiresAt: asDate(row.token_expires_at),
    session: {
      id: String(row.session_id),
      userId: String(row.user_id),
      createdAt: asDate(row.created_at),
      expiresAt: asDate(row.expires_at),
      revokedAt: asOptionalDate(row.revoked_at),
    },
  };
}

export async function markRefreshTokenUsed(db: DbOrTx, id: string, now: Date): Promise<boolean> {
  return (await sessionQueries.markUsed(db, id, now)) === 1;
}

export async function revokeSession(db: DbOrTx, id: string, reason: RevokeReason, now: Date): Promise<void> {
  await sessionQueries.revoke(db, id, reason, now);
}

/** Ends every session of a user (but `except`, the caller's own); their access tokens stop working at once. */
export async function revokeUserSessions(
  db: DbOrTx,
  userId: string,
  reason: RevokeReason,
  now: Date,
  except?: string,
): Promise<number> {
  return sessionQueries.revokeAllOf(db, userId, reason, now, except);
}

/** The session, if it is neither revoked nor past its absolute expiry. */
export async function findActiveSession(
  db: DbOrTx,
  id: string,
  now: Date,
): Promise<{ userId: string; expiresAt: Date } | undefined> {
  const row = await sessionQueries.activeById(db, id, now);
  return row && { userId: row.user_id, expiresAt: asDate(row.expires_at) };
}

/** The opaque refresh token a client sends back. */
export const refreshTokenSchema = z.string().min(20, 'Envíe el refreshToken recibido al iniciar sesión.').max(200);

/** Sessions (and their refresh tokens) whose absolute expiry passed before `before`: nothing can use them again. */
export async function purgeExpiredSessions(db: DbOrTx, before: Date): Promise<number> {
  const expired = db('sessions').where('expires_at', '<', before).select('id');
  await db('refresh_tokens').whereIn('session_id', expired).delete();
  return db('sessions').where('expires_at', '<', before).delete();
}
