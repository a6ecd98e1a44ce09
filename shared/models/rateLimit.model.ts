import { type DbOrTx, isUniqueViolation } from '../clients/sql.client';
import { compiledQuery } from './compiledQuery';

type Window = { bucket: string; windowStart: Date };

/** On every rate-limited request's path (three of a search's six statements): built once (compiledQuery). */
const windowQueries = {
  increment: compiledQuery((db, w: Window) =>
    db('rate_limits').where({ bucket: w.bucket, window_start: w.windowStart }).increment('hits', 1),
  ),
  hits: compiledQuery((db, w: Window) =>
    db('rate_limits')
      .where({ bucket: w.bucket, window_start: w.windowStart })
      .first<{ hits: number } | undefined>('hits'),
  ),
};

/**
 * Fixed-window counters kept in the database, so every instance of the app shares them.
 * Returns the number of hits in the current window, this one included.
 */
export async function hitRateLimit(db: DbOrTx, bucket: string, windowStart: Date): Promise<number> {
  const window = { bucket, windowStart };
  const updated = await windowQueries.increment(db, window);
  if (updated === 0) {
    try {
      await db('rate_limits').insert({ bucket, window_start: windowStart, hits: 1 });
      return 1;
    } catch (error) {
      // Another request created the window first: count this hit on it.
      if (!isUniqueViolation(error)) throw error;
      await windowQueries.increment(db, window);
    }
  }
  return Number((await windowQueries.hits(db, window))?.hits ?? 0);
}

/** The hits counted so far in a window, without adding one. */
export async function rateLimitHits(db: DbOrTx, bucket: string, windowStart: Date): Promise<number> {
  return Number((await windowQueries.hits(db, { bucket, windowStart }))?.hits ?? 0);
}

/** Drops windows that ended before `before` (called now and then; not on the hot path). */
export async function pruneRateLimits(db: DbOrTx, before: Date): Promise<number> {
  return db('rate_limits').where('window_start', '<', before).delete();
}
