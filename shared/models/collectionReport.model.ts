import { z } from 'zod';

import type { DbOrTx } from '../clients/sql.client';
import { AppError } from '../errors';
import {
  type CollectionFile,
  type CollectionSummaryJson,
  collectionSummaryJsonSchema,
  collectionToJson,
  findCollection,
  liveCollectionCounts,
} from './collectionFile.model';
import {
  type CollectionOutcome,
  collectionRecordJsonSchema,
  collectionRecords,
  collectionRecordToJson,
} from './collectionRecord.model';

/** What an operator reads of a bank collection file: its summary with live counts, and its records by page. */

export const collectionReportSchema = collectionSummaryJsonSchema
  .extend({
    records: z.array(collectionRecordJsonSchema).describe('In file order, one page (see nextCursor)'),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'CollectionReport' });
export type CollectionReport = z.infer<typeof collectionReportSchema>;

/** The file as the API shows it, with its counts read live while it is being applied. */
export async function collectionSummary(db: DbOrTx, file: CollectionFile): Promise<CollectionSummaryJson> {
  const live = await liveCollectionCounts(db, file);
  return collectionToJson({ ...file, counts: live.counts, appliedCents: live.appliedCents });
}

export const RECORDS_PAGE = { default: 500, max: 1000 };

/** GET /operator/collections/{collectionId}: the file, its counts and one page of its records. */
export async function collectionReport(
  db: DbOrTx,
  collectionId: string,
  options: { cursor?: string; limit?: number; outcome?: CollectionOutcome } = {},
): Promise<CollectionReport> {
  const file = await findCollection(db, collectionId);
  if (!file) throw new AppError('COLLECTION_NOT_FOUND');
  const afterLine = options.cursor ? decodeLineCursor(options.cursor) : 0;
  const limit = options.limit ?? RECORDS_PAGE.default;
  const page = await collectionRecords(db, file.id, { afterLine, limit, outcome: options.outcome });
  const last = page.items[page.items.length - 1];
  return {
    ...(await collectionSummary(db, file)),
    records: page.items.map(collectionRecordToJson),
    nextCursor: page.hasMore && last ? Buffer.from(String(last.line)).toString('base64url') : null,
  };
}

function decodeLineCursor(cursor: string): number {
  const line = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isInteger(line) || line < 0) {
    throw new AppError('VALIDATION_FAILED', 'El cursor no es válido; use el nextCursor de la página anterior.', {
      errors: [{ path: 'query.cursor', message: 'Cursor no válido.' }],
    });
  }
  return line;
}
