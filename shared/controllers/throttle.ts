import type { Clock } from '../clients/clock.client';
import type { Db } from '../clients/sql.client';
import { AppError } from '../http/errors';
import { hitRateLimit } from '../models/rateLimit.model';

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
