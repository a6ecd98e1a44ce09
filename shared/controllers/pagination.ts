import { z } from 'zod';

import { AppError } from '../http/errors';

/**
 * Keyset pagination: the cursor is the (time, id) of the last item served, opaque to clients.
 * It stays correct while rows are added, unlike OFFSET.
 */
export interface Keyset {
  at: Date;
  id: string;
}

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

export const limitSchema = z.coerce.number().int().min(1).max(100).default(20);

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The documented shape of a page of `item`. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page') });
}
