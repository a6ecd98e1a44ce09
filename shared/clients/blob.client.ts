import { Readable } from 'node:stream';

import type * as StorageBlob from '@azure/storage-blob';
import type { BlobServiceClient, StorageRetryOptions } from '@azure/storage-blob';

import type { Config } from '../config';
import { azureCredential } from './credential.client';
import { onFirstUse } from './lazy';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (cold start, see lazy.ts)
const storageBlob = onFirstUse(() => require('@azure/storage-blob') as typeof StorageBlob);

/** Where the billing feed's and the banks' files land: the blob triggers pick them up from there. */
export const CONTAINERS = {
  invoiceImports: 'invoice-imports',
  invoiceLineImports: 'invoice-line-imports',
  collections: 'collections',
} as const;

/** Files in Blob Storage, as the import functions need them. */
export interface BlobStore {
  upload(container: string, name: string, data: Buffer, contentType: string): Promise<void>;
  /** The blob's content as a stream (read as it is consumed, never whole in memory). */
  open(container: string, name: string): Promise<Readable>;
}

const RETRY: StorageRetryOptions = { maxTries: 3, tryTimeoutInMs: 60_000 };

export function blobServiceClient(blobs: Config['blobs']): BlobServiceClient {
  if (blobs.connectionString)
    return storageBlob().BlobServiceClient.fromConnectionString(blobs.connectionString, { retryOptions: RETRY });
  if (!blobs.serviceUri) throw new Error('No blob connection configured');
  // In Azure: the app's managed identity (Storage Blob Data Owner, as the blob trigger needs), no account keys.
  const credential = azureCredential(
    blobs.clientId ? { kind: 'managed-identity', clientId: blobs.clientId } : { kind: 'default' },
  );
  return new (storageBlob().BlobServiceClient)(blobs.serviceUri, credential, { retryOptions: RETRY });
}

export class AzureBlobStore implements BlobStore {
  private readonly created = new Set<string>();
  private client: BlobServiceClient | undefined;

  /** Built on first use: an app (or a test) that never touches a file needs no blob endpoint. */
  constructor(private readonly connect: () => BlobServiceClient) {}

  private get service(): BlobServiceClient {
    this.client ??= this.connect();
    return this.client;
  }

  async upload(container: string, name: string, data: Buffer, contentType: string): Promise<void> {
    const client = this.service.getContainerClient(container);
    if (!this.created.has(container)) {
      await client.createIfNotExists();
      this.created.add(container);
    }
    await client.getBlockBlobClient(name).uploadData(data, { blobHTTPHeaders: { blobContentType: contentType } });
  }

  async open(container: string, name: string): Promise<Readable> {
    const download = await this.service.getContainerClient(container).getBlobClient(name).download();
    if (!download.readableStreamBody) throw new Error(`Blob ${container}/${name} has no body`);
    return download.readableStreamBody as Readable;
  }
}

export function createBlobStore(blobs: Config['blobs']): BlobStore {
  return new AzureBlobStore(() => blobServiceClient(blobs));
}

/**
 * A blob the trigger hands over whole (a Buffer), as a stream of 64 KiB views of it: readers then
 * work a piece at a time (no second copy of the file as one string) and can give way between pieces.
 */
export function blobChunks(content: Buffer, size = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < content.length; at += size) yield content.subarray(at, at + size);
    })(),
  );
}
