import { type DbOrTx, isUniqueViolation } from '../clients/sql.client';

/**
 * Fixed-window counters kept in the database, so every instance of the app shares them.
 * Returns the number of hits in the current window, this one included.
 */
export async function hitRateLimit(db: DbOrTx, bucket: string, windowStart: Date): Promise<number> {
  const updated = await db('rate_limits').where({ bucket, window_start: windowStart }).increment('hits', 1);
  if (updated === 0) {
    try {
      await db('rate_limits').insert({ bucket, window_start: windowStart, hits: 1 });
      return 1;
    } catch (error) {
      // Another request created the window first: count this hit on it.
      if (!isUniqueViolation(error)) throw error;
      await db('rate_limits').where({ bucket, window_start: windowStart }).increment('hits', 1);
    }
  }
  const row = await db<{ bucket: string; window_start: Date; hits: number }>('rate_limits')
    .where({ bucket, window_start: windowStart })
    .first('hits');
  return Number(row?.hits ?? 0);
}

/** The hits counted so far in a window, without adding one. */
export async function rateLimitHits(db: DbOrTx, bucket: string, windowStart: Date): Promise<number> {
  const row = await db('rate_limits')
    .where({ bucket, window_start: windowStart })
    .first<{ hits: number } | undefined>('hits');
  return Number(row?.hits ?? 0);
}

/** Drops windows that ended before `before` (called now and then; not on the hot path). */
export async function pruneRateLimits(db: DbOrTx, before: Date): Promise<number> {
  return db('rate_limits').where('window_start', '<', before).delete();
}
