import type { InvocationContext } from '@azure/functions';

import { blobChunks } from './clients/blob.client';
import { importIdOfBlob, type ImportRequest } from './controllers/feedImport.controller';
import { AppError } from './errors';
import type { FeedImportJson } from './models/feedImport.model';
import { type BillingDeps, services } from './services';

/** A billing feed's import, as its blob trigger runs it. */
type FeedImporter = (
  deps: BillingDeps,
  input: AsyncIterable<Buffer | string>,
  request: ImportRequest,
) => Promise<FeedImportJson>;

/**
 * The blob trigger of a billing feed's container: a CSV dropped there (by EPM's billing system,
 * or an operator's upload named `<importId>.csv`) is imported. A file that isn't the feed ends its
 * run FAILED and is not retried; a database or storage fault throws, and the host tries the blob
 * again (the imports are idempotent).
 */
export function feedBlobHandler(importFeed: FeedImporter) {
  return async (blob: unknown, context: InvocationContext): Promise<void> => {
    const name = typeof context.triggerMetadata?.name === 'string' ? context.triggerMetadata.name : '';
    try {
      const report = await importFeed(services(), blobChunks(blob as Buffer), {
        source: 'BLOB',
        fileName: name,
        importId: importIdOfBlob(name),
      });
      context.log(`Import ${report.id} of ${name}: ${JSON.stringify(report.counts)}`);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      context.warn(`Import of ${name} refused: ${error.message}`);
    }
  };
}
