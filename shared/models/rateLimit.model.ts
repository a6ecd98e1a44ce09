import { type DbOrTx, isUniqueViolation } from '../clients/sql.client';

/**
 * Fixed-window counters kept in the database, so every instance of the app shares them.
 * Returns the number of hits in the current window, this one included: the count the increment
 * itself wrote (RETURNING / OUTPUT), so a concurrent hit is never counted twice and a search pays
 * one statement for its window, not an update and a read.
 */
export async function hitRateLimit(db: DbOrTx, bucket: string, windowStart: Date): Promise<number> {
  const counted = await incrementWindow(db, bucket, windowStart);
  if (counted !== undefined) return counted;
  try {
    await db('rate_limits').insert({ bucket, window_start: windowStart, hits: 1 });
    return 1;
  } catch (error) {
    // Another request created the window first: count this hit on it.
    if (!isUniqueViolation(error)) throw error;
    return (await incrementWindow(db, bucket, windowStart)) ?? 1;
  }
}

/** The window's hits after adding one; undefined when the window has no row yet. */
async function incrementWindow(db: DbOrTx, bucket: string, windowStart: Date): Promise<number | undefined> {
  const rows: { hits: number | string }[] = await db('rate_limits')
    .where({ bucket, window_start: windowStart })
    .update({ hits: db.raw('?? + 1', ['hits']) }, ['hits']);
  return rows[0] === undefined ? undefined : Number(rows[0].hits);
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
