import { createHash } from 'node:crypto';

import type { Clock } from '../clients/clock.client';
import type { Db, DbOrTx } from '../clients/sql.client';
import type { Config } from '../config';
import { AppError } from '../errors';
import { claimIdempotencyKey, completeIdempotencyKey, releaseIdempotencyKey } from '../models/idempotency.model';

/**
 * Idempotency keys, after Stripe: per user and key, the first answer to a request — success or
 * refusal — is kept for 24 h and replayed for the same key; the same key with a different
 * request is refused with 422, and while the first is still running with 409.
 */
const TTL_MS = 24 * 3600_000;

export interface IdempotencyScope {
  userId: string;
  key: string;
  /** What the request asked for; a different request under the same key is refused. */
  request: unknown;
}

export interface StoredAnswer {
  status: number;
  body: unknown;
}

/** Claims the key for a new request (`undefined`), or returns the first answer to replay. */
export async function claim(
  deps: { db: Db; clock: Clock; config: Pick<Config, 'http'> },
  scope: IdempotencyScope,
): Promise<StoredAnswer | undefined> {
  const now = deps.clock.now();
  const requestHash = hashOf(scope.request);
  const outcome = await claimIdempotencyKey(deps.db, {
    userId: scope.userId,
    key: scope.key,
    requestHash,
    now,
    // A crashed holder's key is taken over after this lock; a live one never runs that long.
    lockedUntil: new Date(now.getTime() + deps.config.http.idempotencyLockMs),
    expiresAt: new Date(now.getTime() + TTL_MS),
  });
  if (outcome.claimed) return undefined;
  const { existing } = outcome;
  if (existing.requestHash !== requestHash)
    throw new AppError(
      'IDEMPOTENCY_KEY_REUSED',
      'Esta Idempotency-Key ya se usó con otra solicitud; genere una nueva.',
    );
  if (existing.status === 'IN_PROGRESS')
    throw new AppError(
      'IDEMPOTENCY_REQUEST_IN_PROGRESS',
      'La solicitud original sigue en curso; reintente en unos segundos.',
      { retryAfterSeconds: 2 },
    );
  return { status: existing.responseStatus ?? 200, body: JSON.parse(existing.responseBody ?? 'null') as unknown };
}

/** Stores the first answer; inside the work's own transaction when given one, so both commit or neither. */
export async function storeAnswer(db: DbOrTx, scope: IdempotencyScope, answer: StoredAnswer): Promise<void> {
  await completeIdempotencyKey(db, scope.userId, scope.key, answer.status, JSON.stringify(answer.body));
}

/** Frees the key after an unexpected failure, so that the client's retry runs the request again. */
export async function release(db: Db, scope: IdempotencyScope): Promise<void> {
  await releaseIdempotencyKey(db, scope.userId, scope.key);
}

function hashOf(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}
