import type { Clock } from '../clients/clock.client';
import type { Db } from '../clients/sql.client';
import { AppError } from '../errors';
import { hitRateLimit, rateLimitHits } from './rateLimit.model';

/**
 * A fixed-window limit shared by every instance (the counters live in the database): the hit
 * over `limit` in the current window is refused with 429 and the seconds until the window ends.
 */
export async function enforceRateLimit(
  deps: { db: Db; clock: Clock },
  limit: { bucket: string; max: number; windowMs: number; detail: string },
): Promise<void> {
  const now = deps.clock.now();
  const windowStart = Math.floor(now.getTime() / limit.windowMs) * limit.windowMs;
  if ((await hitRateLimit(deps.db, limit.bucket, new Date(windowStart))) > limit.max) {
    const retryAfterSeconds = Math.max(1, Math.ceil((windowStart + limit.windowMs - now.getTime()) / 1000));
    throw new AppError('TOO_MANY_REQUESTS', limit.detail, { retryAfterSeconds });
  }
}

/**
 * A limit on distinct things per window (contracts a user searched today): the first use of a
 * thing in the window counts against `limit`, its later uses are free. Refused things stay unused,
 * so asking again for one is refused again.
 */
export async function enforceDistinctLimit(
  deps: { db: Db; clock: Clock },
  limit: { bucket: string; thing: string; max: number; windowMs: number; detail: string },
): Promise<void> {
  const now = deps.clock.now();
  const windowStart = new Date(Math.floor(now.getTime() / limit.windowMs) * limit.windowMs);
  const thingBucket = `${limit.bucket}:${limit.thing}`;
  if ((await rateLimitHits(deps.db, thingBucket, windowStart)) > 0) return;
  await enforceRateLimit(deps, limit);
  await hitRateLimit(deps.db, thingBucket, windowStart);
}
