import { app, type InvocationContext } from '@azure/functions';

import { blobChunks } from '../../shared/clients/blob.client';
import * as billingFeed from '../../shared/controllers/billingImport.controller';
import * as invoiceLines from '../../shared/controllers/invoiceLines.controller';
import { AppError } from '../../shared/errors';
import { services } from '../../shared/services';

/**
 * Blob trigger on `invoice-line-imports`: a service-lines CSV dropped there (by the billing system
 * or an operator's upload, named `<importId>.csv`) is imported. A file that isn't the feed ends its
 * run FAILED and is not retried; a database or storage fault throws, and the host tries the blob
 * again (the import is idempotent: the same lines change nothing).
 */
export async function importInvoiceLinesFromBlob(blob: unknown, context: InvocationContext): Promise<void> {
  const name = typeof context.triggerMetadata?.name === 'string' ? context.triggerMetadata.name : '';
  try {
    const report = await invoiceLines.importInvoiceLines(services(), blobChunks(blob as Buffer), {
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

app.storageBlob('importInvoiceLines', {
  path: 'invoice-line-imports/{name}',
  connection: 'AzureWebJobsStorage',
  // As importInvoices: Event Grid in Azure (infra/hooks/subscribe-blob-events.mjs), a scan locally.
  source: 'EventGrid',
  handler: importInvoiceLinesFromBlob,
});
