import { app } from '@azure/functions';

import { feedBlobHandler } from '../../shared/blobImport';
import { importInvoices } from '../../shared/controllers/invoiceFeed.controller';

/** Blob trigger on `invoice-imports`: the billing feed's invoices CSV (docs/billing-feed.md). */
export const importInvoicesFromBlob = feedBlobHandler(importInvoices);

app.storageBlob('importInvoices', {
  path: 'invoice-imports/{name}',
  connection: 'AzureWebJobsStorage',
  // Flex Consumption runs blob triggers only from Event Grid (infra/hooks/subscribe-blob-events.mjs);
  // the local host scans the container instead.
  source: 'EventGrid',
  handler: importInvoicesFromBlob,
});
