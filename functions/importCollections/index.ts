import { app, type InvocationContext } from '@azure/functions';

import { blobChunks } from '../../shared/clients/blob.client';
import * as collections from '../../shared/controllers/collection.controller';
import { services } from '../../shared/services';

/**
 * Blob trigger on `collections`: a bank's Asobancaria 2001 file dropped there (by the bank's
 * transfer or by an operator's upload, named `<collectionId>.txt`) is checked and applied. A file
 * that doesn't add up ends REJECTED (not retried); a fault throws, and the host tries the blob again:
 * the run resumes after the records already stored.
 */
export async function importCollectionsFromBlob(blob: unknown, context: InvocationContext): Promise<void> {
  const name = typeof context.triggerMetadata?.name === 'string' ? context.triggerMetadata.name : '';
  const content = blob as Buffer;
  const report = await collections.importCollection(services(), () => blobChunks(content), {
    source: 'BLOB',
    fileName: name,
    collectionId: collections.collectionIdOfBlob(name),
  });
  context.log(`Collection ${report.id} of ${name}: ${report.status} ${JSON.stringify(report.counts)}`);
  if (report.error) context.warn(`Collection file ${name} rejected: ${report.error}`);
}

app.storageBlob('importCollections', {
  path: 'collections/{name}',
  connection: 'AzureWebJobsStorage',
  // Flex Consumption runs blob triggers only from Event Grid (infra/hooks/subscribe-blob-events.mjs);
  // the local host scans the container instead.
  source: 'EventGrid',
  handler: importCollectionsFromBlob,
});
