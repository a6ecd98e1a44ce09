import { createHash } from 'node:crypto';

import type { Clock } from '../clients/clock.client';
import type { BeforeCommit, Db, DbOrTx } from '../clients/sql.client';
import type { Config } from '../config';
import { AppError } from '../errors';
import { claimIdempotencyKey, completeIdempotencyKey, releaseIdempotencyKey } from '../models/idempotency.model';
import { services } from '../services';
import { type ProblemDetails } from './errors';

export const IDEMPOTENCY_KEY_PATTERN = /^[\w.:-]{8,255}$/;

/** The Idempotency-Key header of a request, required and well-formed. */
export function idempotencyKeyOf(headers: Headers): string {
  const key = headers.get('idempotency-key');
  if (!key)
    throw new AppError(
      'IDEMPOTENCY_KEY_REQUIRED',
      'Envíe un encabezado Idempotency-Key único por pago (por ejemplo un UUID).',
    );
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new AppError(
      'VALIDATION_FAILED',
      'La Idempotency-Key debe tener de 8 a 255 caracteres (letras, dígitos, . _ : -).',
      {
        errors: [{ path: 'headers.idempotency-key', message: 'Formato no válido.' }],
      },
    );
  }
  return key;
}

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
async function claim(
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
async function storeAnswer(db: DbOrTx, scope: IdempotencyScope, answer: StoredAnswer): Promise<void> {
  await completeIdempotencyKey(db, scope.userId, scope.key, answer.status, JSON.stringify(answer.body));
}

/** Frees the key after an unexpected failure, so that the client's retry runs the request again. */
async function release(db: Db, scope: IdempotencyScope): Promise<void> {
  await releaseIdempotencyKey(db, scope.userId, scope.key);
}

function hashOf(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}

export type IdempotentOutcome = { replayed: StoredAnswer } | { result: { status: number; body: unknown } };

/**
 * Runs a route at most once per (user, Idempotency-Key). The route's success is stored by the
 * `beforeCommit` hook inside the route's own transaction (or after it, if the route never called
 * it); a refusal (AppError) is stored as the problem the client gets, then rethrown for the one
 * error mapping; an unexpected failure frees the key so that a retry runs again.
 */
export async function answerOnce(
  scope: IdempotencyScope,
  successStatus: number,
  problemOf: (error: AppError) => ProblemDetails,
  run: (beforeCommit: BeforeCommit) => Promise<{ status?: number; body?: unknown }>,
): Promise<IdempotentOutcome> {
  const deps = services();
  const replayed = await claim(deps, scope);
  if (replayed) return { replayed };
  let stored = false;
  const beforeCommit: BeforeCommit = async (tx, body) => {
    await storeAnswer(tx, scope, { status: successStatus, body });
    stored = true;
  };
  try {
    const result = await run(beforeCommit);
    const answer = { status: result.status ?? successStatus, body: result.body };
    if (!stored) await storeAnswer(deps.db, scope, answer);
    return { result: answer };
  } catch (error) {
    if (!(error instanceof AppError)) {
      await release(deps.db, scope).catch(() => undefined);
      throw error;
    }
    await storeAnswer(deps.db, scope, { status: error.status, body: problemOf(error) });
    throw error;
  }
}
