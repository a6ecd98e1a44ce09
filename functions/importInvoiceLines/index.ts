import { app } from '@azure/functions';

import { feedBlobHandler } from '../../shared/blobImport';
import { importInvoiceLines } from '../../shared/controllers/invoiceLineFeed.controller';

/** Blob trigger on `invoice-line-imports`: the service lines of invoices already loaded (docs/billing-feed.md). */
export const importInvoiceLinesFromBlob = feedBlobHandler(importInvoiceLines);

app.storageBlob('importInvoiceLines', {
  path: 'invoice-line-imports/{name}',
  connection: 'AzureWebJobsStorage',
  // As importInvoices: Event Grid in Azure (infra/hooks/subscribe-blob-events.mjs), a scan locally.
  source: 'EventGrid',
  handler: importInvoiceLinesFromBlob,
});
