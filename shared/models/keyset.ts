import type { Knex } from 'knex';
import { z } from 'zod';

/**
 * Keyset pagination over (time, id), newest first: the cursor is the last row served. It stays
 * correct while rows are added, unlike OFFSET. Shared by the cuponera, history and notifications.
 */
export interface Keyset {
  at: Date;
  id: string;
}

/** The fields of every paged list's query: the opaque `cursor` of the previous page and the page size. */
export const pageQueryFields = {
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
};

/** Orders newest first, keeps only rows after `cursor`, and reads one row more than a page. */
export function keysetPage<Q extends Knex.QueryBuilder>(
  query: Q,
  columns: { at: string; id: string },
  cursor: Keyset | undefined,
  limit: number,
): Q {
  if (cursor) {
    void query.where((q) => {
      void q.where(columns.at, '<', cursor.at).orWhere((q2) => {
        void q2.where(columns.at, '=', cursor.at).where(columns.id, '<', cursor.id);
      });
    });
  }
  return query
    .orderBy([
      { column: columns.at, order: 'desc' },
      { column: columns.id, order: 'desc' },
    ])
    .limit(limit + 1) as Q;
}

/** The page's rows, and whether the extra row read by keysetPage says another page follows. */
export function pageOfRows<R, T>(rows: R[], limit: number, map: (row: R) => T): { items: T[]; hasMore: boolean } {
  return { items: rows.slice(0, limit).map(map), hasMore: rows.length > limit };
}
