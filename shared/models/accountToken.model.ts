import { createHash, createHmac, hkdfSync } from 'node:crypto';

import { z } from 'zod';

import { asDate, asOptionalDate, type DbOrTx, isUniqueViolation } from '../clients/sql.client';
import { AppError } from '../errors';
import { findUserById, type UserWithCredentials } from './user.model';

/**
 * Email-verification and password-reset tokens. A token is 256 bits derived (HMAC-SHA256, with a
 * key only the app holds) from the id of the email message that carries it, so a retried send
 * carries the same token and nothing secret has to sit in the outbox or the queue; the database
 * keeps only its SHA-256. One use each (`used_at`, set compare-and-set), and an expiry.
 */
export const ACCOUNT_TOKEN_PURPOSES = ['VERIFY_EMAIL', 'PASSWORD_RESET'] as const;
export type AccountTokenPurpose = (typeof ACCOUNT_TOKEN_PURPOSES)[number];

/** How long each kind of token works after it is requested. */
export const ACCOUNT_TOKEN_TTL_MS: Record<AccountTokenPurpose, number> = {
  VERIFY_EMAIL: 48 * 3600_000,
  PASSWORD_RESET: 30 * 60_000,
};

export interface AccountToken {
  id: string;
  userId: string;
  purpose: AccountTokenPurpose;
  expiresAt: Date;
  usedAt: Date | null;
}

/** As a client sends it back: base64url of 32 bytes. */
export const accountTokenSchema = z
  .string()
  .max(200, 'Copie el código completo del correo que recibió.')
  .trim()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'Copie el código completo del correo que recibió.');

export function accountTokenFor(key: Buffer, purpose: AccountTokenPurpose, messageId: string): string {
  return createHmac('sha256', key).update(`${purpose}:${messageId}`, 'utf8').digest('base64url');
}

const hashOf = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/** Stores a token's hash once: the same message handled twice stores nothing more. */
export async function storeAccountToken(
  db: DbOrTx,
  token: { id: string; userId: string; purpose: AccountTokenPurpose; value: string; createdAt: Date },
): Promise<void> {
  try {
    await db('account_tokens').insert({
      id: token.id,
      user_id: token.userId,
      purpose: token.purpose,
      token_hash: hashOf(token.value),
      created_at: token.createdAt,
      expires_at: new Date(token.createdAt.getTime() + ACCOUNT_TOKEN_TTL_MS[token.purpose]),
    });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
}

export const accountTokenQueries = {
  byHash: (db: DbOrTx, tokenHash: string, purpose: AccountTokenPurpose) =>
    db('account_tokens')
      .where({ token_hash: tokenHash, purpose })
      .first('id', 'user_id', 'purpose', 'expires_at', 'used_at'),
  /** The compare-and-set of a single use: only the first of two concurrent uses changes the row. */
  use: (db: DbOrTx, id: string, now: Date) =>
    db('account_tokens').where({ id }).whereNull('used_at').where('expires_at', '>', now).update({ used_at: now }),
  /** Every other unused token of this purpose ends too (an older reset link must not work after a newer one). */
  useAllOf: (db: DbOrTx, userId: string, purpose: AccountTokenPurpose, now: Date) =>
    db('account_tokens').where({ user_id: userId, purpose }).whereNull('used_at').update({ used_at: now }),
};

export async function findAccountToken(
  db: DbOrTx,
  value: string,
  purpose: AccountTokenPurpose,
): Promise<AccountToken | undefined> {
  const row = (await accountTokenQueries.byHash(db, hashOf(value), purpose)) as Record<string, unknown> | undefined;
  if (!row) return undefined;
  return {
    id: String(row.id),
    userId: String(row.user_id),
    purpose,
    expiresAt: asDate(row.expires_at),
    usedAt: asOptionalDate(row.used_at),
  };
}

/** True for the one caller that used the token; false if it was used, or expired, first. */
export async function useAccountToken(db: DbOrTx, id: string, now: Date): Promise<boolean> {
  return (await accountTokenQueries.use(db, id, now)) === 1;
}

export async function useAllAccountTokens(
  db: DbOrTx,
  userId: string,
  purpose: AccountTokenPurpose,
  now: Date,
): Promise<void> {
  await accountTokenQueries.useAllOf(db, userId, purpose, now);
}

export async function purgeExpiredAccountTokens(db: DbOrTx, before: Date): Promise<number> {
  return db('account_tokens').where('expires_at', '<', before).delete();
}

const tokenKeys = new Map<string, Buffer>();
/** The HMAC key of account tokens, derived from the JWT signing secret (one secret to keep, not two). */
export function accountTokenKey(jwtSigningKey: string): Buffer {
  let key = tokenKeys.get(jwtSigningKey);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', jwtSigningKey, 'cuponeras-epm', 'account tokens v1', 32));
    tokenKeys.set(jwtSigningKey, key);
  }
  return key;
}

const invalidToken = () =>
  new AppError(
    'INVALID_ACCOUNT_TOKEN',
    'El enlace no es válido, ya se usó o venció. Pida uno nuevo desde la aplicación.',
    { errors: [{ path: 'body.token', message: 'Código no válido o vencido.' }] },
  );

/** Uses a token once: the one caller that wins gets its user id; anyone else, a 400. */
export async function spendAccountToken(
  db: DbOrTx,
  token: string,
  purpose: AccountTokenPurpose,
  now: Date,
): Promise<UserWithCredentials> {
  const record = await findAccountToken(db, token, purpose);
  if (!record || record.usedAt || record.expiresAt <= now) throw invalidToken();
  const user = await findUserById(db, record.userId);
  if (!user || user.deletedAt) throw invalidToken();
  if (!(await useAccountToken(db, record.id, now))) throw invalidToken();
  return user;
}
