import { asDate, type DbOrTx, isUniqueViolation } from '../clients/sql.client';

/**
 * Idempotency keys, after Stripe: scoped to the user, the first request's answer is stored and
 * replayed for the same key; a different request under the same key is refused.
 */
export interface IdempotencyRecord {
  requestHash: string;
  status: 'IN_PROGRESS' | 'COMPLETED';
  responseStatus: number | null;
  responseBody: string | null;
  lockedUntil: Date;
  expiresAt: Date;
}

export const idempotencyQueries = {
  find: (db: DbOrTx, userId: string, key: string) =>
    db('idempotency_keys').where({ user_id: userId, idempotency_key: key }).first(),
  /** Takes over a key whose earlier holder crashed (lock lapsed) or that has expired. */
  takeOver: (
    db: DbOrTx,
    userId: string,
    key: string,
    requestHash: string,
    now: Date,
    lockedUntil: Date,
    expiresAt: Date,
  ) =>
    db('idempotency_keys')
      .where({ user_id: userId, idempotency_key: key })
      .where((q) => {
        void q.where('expires_at', '<=', now).orWhere((q2) => {
          void q2.where({ status: 'IN_PROGRESS' }).where('locked_until', '<=', now);
        });
      })
      .update({
        request_hash: requestHash,
        status: 'IN_PROGRESS',
        response_status: null,
        response_body: null,
        created_at: now,
        locked_until: lockedUntil,
        expires_at: expiresAt,
      }),
  complete: (db: DbOrTx, userId: string, key: string, status: number, body: string) =>
    db('idempotency_keys')
      .where({ user_id: userId, idempotency_key: key, status: 'IN_PROGRESS' })
      .update({ status: 'COMPLETED', response_status: status, response_body: body }),
  release: (db: DbOrTx, userId: string, key: string) =>
    db('idempotency_keys').where({ user_id: userId, idempotency_key: key, status: 'IN_PROGRESS' }).delete(),
};

export type ClaimResult = { claimed: true } | { claimed: false; existing: IdempotencyRecord };

/** Claims a key for a new request, or returns what the key already holds. */
export async function claimIdempotencyKey(
  db: DbOrTx,
  claim: { userId: string; key: string; requestHash: string; now: Date; lockedUntil: Date; expiresAt: Date },
): Promise<ClaimResult> {
  try {
    await db('idempotency_keys').insert({
      user_id: claim.userId,
      idempotency_key: claim.key,
      request_hash: claim.requestHash,
      status: 'IN_PROGRESS',
      created_at: claim.now,
      locked_until: claim.lockedUntil,
      expires_at: claim.expiresAt,
    });
    return { claimed: true };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
  const takenOver = await idempotencyQueries.takeOver(
    db,
    claim.userId,
    claim.key,
    claim.requestHash,
    claim.now,
    claim.lockedUntil,
    claim.expiresAt,
  );
  if (takenOver === 1) return { claimed: true };
  const row = (await idempotencyQueries.find(db, claim.userId, claim.key)) as Record<string, unknown> | undefined;
  if (!row) return claimIdempotencyKey(db, claim); // released between our insert and read: try again
  return {
    claimed: false,
    existing: {
      requestHash: String(row.request_hash),
      status: row.status as IdempotencyRecord['status'],
      responseStatus: row.response_status === null ? null : Number(row.response_status),
      responseBody: (row.response_body as string | null) ?? null,
      lockedUntil: asDate(row.locked_until),
      expiresAt: asDate(row.expires_at),
    },
  };
}

export async function completeIdempotencyKey(
  db: DbOrTx,
  userId: string,
  key: string,
  status: number,
  body: string,
): Promise<void> {
  await idempotencyQueries.complete(db, userId, key, status, body);
}

export async function releaseIdempotencyKey(db: DbOrTx, userId: string, key: string): Promise<void> {
  await idempotencyQueries.release(db, userId, key);
}

/** Keys past their 24 h are forgotten (a later request with the same key is a new request). */
export async function purgeExpiredIdempotencyKeys(db: DbOrTx, now: Date): Promise<number> {
  return db('idempotency_keys').where('expires_at', '<=', now).delete();
}

/** A deleted account's stored answers go: they hold the person's request bodies. */
export async function deleteIdempotencyKeysOf(db: DbOrTx, userId: string): Promise<number> {
  return db('idempotency_keys').where({ user_id: userId }).delete();
}
