import { z } from 'zod';

import { AppError } from '../errors';
import type { Keyset } from './keyset';

/** The opaque cursor clients pass back: the (time, id) keyset of the last item served. */
export function encodeCursor(key: Keyset): string {
  return Buffer.from(JSON.stringify({ at: key.at.toISOString(), id: key.id })).toString('base64url');
}

const cursorSchema = z.object({ at: z.iso.datetime(), id: z.string().min(1).max(64) });

export function decodeCursor(cursor: string | undefined): Keyset | undefined {
  if (!cursor) return undefined;
  try {
    const parsed = cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return { at: new Date(parsed.at), id: parsed.id };
  } catch {
    throw new AppError('VALIDATION_FAILED', 'El cursor no es válido; use el nextCursor de la página anterior.', {
      errors: [{ path: 'query.cursor', message: 'Cursor no válido.' }],
    });
  }
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The API page of a model page: items as JSON, and the cursor of the last one when more follow. */
export function toPage<R, T>(
  page: { items: R[]; hasMore: boolean },
  keyOf: (row: R) => Keyset,
  toJson: (row: R) => T,
): Page<T> {
  const last = page.items[page.items.length - 1];
  return { items: page.items.map(toJson), nextCursor: page.hasMore && last ? encodeCursor(keyOf(last)) : null };
}

/** The documented shape of a page of `item`. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  });
}
