import { app, type InvocationContext } from '@azure/functions';

import { blobChunks } from '../../shared/clients/blob.client';
import * as billingFeed from '../../shared/controllers/billingImport.controller';
import { AppError } from '../../shared/errors';
import { services } from '../../shared/services';

/**
 * Blob trigger on `invoice-imports`: a billing-feed CSV dropped there (by EPM's billing system or by
 * an operator's upload, named `<importId>.csv`) is imported. A file that isn't a feed ends its run
 * FAILED and is not retried; a database or storage fault throws, and the host tries the blob again
 * (the import is idempotent by invoice number).
 */
export async function importInvoicesFromBlob(blob: unknown, context: InvocationContext): Promise<void> {
  const name = typeof context.triggerMetadata?.name === 'string' ? context.triggerMetadata.name : '';
  try {
    const report = await billingFeed.importInvoices(services(), blobChunks(blob as Buffer), {
      source: 'BLOB',
      fileName: name,
      importId: billingFeed.importIdOfBlob(name),
    });
    context.log(`Import ${report.id} of ${name}: ${JSON.stringify(report.counts)}`);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    context.warn(`Import of ${name} refused: ${error.message}`);
  }
}

app.storageBlob('importInvoices', {
  path: 'invoice-imports/{name}',
  connection: 'AzureWebJobsStorage',
  // Flex Consumption runs blob triggers only from Event Grid (infra/hooks/subscribe-blob-events.mjs);
  // the local host scans the container instead.
  source: 'EventGrid',
  handler: importInvoicesFromBlob,
});
