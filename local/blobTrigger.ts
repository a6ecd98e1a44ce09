import { setTimeout as sleep } from 'node:timers/promises';

import { BlobServiceClient } from '@azure/storage-blob';

import type { RegisteredFunction } from './functionsCore';
import { type HostLog, invoke, optionText, triggerOf } from './invoke';
import { queueClientFor } from './queueTrigger';

/** Where the Functions host keeps its blob receipts, and the queue of blobs that kept failing. */
const HOSTS_CONTAINER = 'azure-webjobs-hosts';
const POISON_QUEUE = 'webjobs-blobtrigger-poison';
/** As the host's default (host.json extensions.blobs.maxDegreeOfParallelism aside): tries per blob version. */
const MAX_TRIES = 5;

function resolveConnection(name: string, env: NodeJS.ProcessEnv): string | undefined {
  return env[name] ?? env[`AzureWebJobs${name}`];
}

/**
 * A blob trigger ("container/{name}") as the Functions host runs it with its default container
 * scan: new or changed blobs of the container are found by listing it, each version (ETag) is
 * handed to the function once with its content and `name`/`blobTrigger`/`uri` metadata, a
 * receipt in `azure-webjobs-hosts` records it as done, and a blob that fails MAX_TRIES times is
 * reported on the `webjobs-blobtrigger-poison` queue. Locally one instance scans, so no lease is
 * needed; the receipts make a restarted host skip what it already did.
 */
export function startBlobTrigger(
  fn: RegisteredFunction,
  env: NodeJS.ProcessEnv,
  log: HostLog,
  options: { pollIntervalMs: number },
): { stop(): Promise<void> } | undefined {
  const trigger = triggerOf(fn).options;
  const [container = '', pattern = '{name}'] = optionText(trigger.path, '').split(/\/(.*)/s);
  const connection = resolveConnection(optionText(trigger.connection, 'AzureWebJobsStorage'), env);
  if (!connection || !/BlobEndpoint=|UseDevelopmentStorage=true/.test(connection)) {
    log(`  ${fn.metadata.name}: blob trigger off (the storage connection has no blob endpoint)`);
    return undefined;
  }
  const service = BlobServiceClient.fromConnectionString(connection, { retryOptions: { maxTries: 2 } });
  const source = service.getContainerClient(container);
  const receipts = service.getContainerClient(HOSTS_CONTAINER);
  const failures = new Map<string, number>();
  const prefix = pattern.split('{')[0] ?? '';
  let stopped = false;
  const wakeUp = new AbortController();

  const receiptName = (name: string) => `blobreceipts/local/${fn.metadata.name}/${container}/${name}`;

  async function alreadyDone(name: string, etag: string): Promise<boolean> {
    try {
      const properties = await receipts.getBlockBlobClient(receiptName(name)).getProperties();
      return properties.metadata?.etag === etag.replace(/"/g, '');
    } catch {
      return false;
    }
  }

  async function writeReceipt(name: string, etag: string): Promise<void> {
    await receipts.getBlockBlobClient(receiptName(name)).upload('', 0, { metadata: { etag: etag.replace(/"/g, '') } });
  }

  async function handle(name: string, etag: string): Promise<void> {
    const blob = source.getBlobClient(name);
    const content = await blob.downloadToBuffer();
    const key = `${name}@${etag}`;
    try {
      await invoke(
        fn,
        { bytes: content },
        {
          name: { string: name.slice(prefix.length) },
          blobTrigger: { string: `${container}/${name}` },
          uri: { string: blob.url },
        },
        log,
      );
      await writeReceipt(name, etag);
      failures.delete(key);
    } catch (error) {
      const tries = (failures.get(key) ?? 0) + 1;
      failures.set(key, tries);
      if (tries >= MAX_TRIES) {
        const poison = queueClientFor('AzureWebJobsStorage', POISON_QUEUE, { AzureWebJobsStorage: connection });
        await poison.createIfNotExists();
        const message = JSON.stringify({
          FunctionId: fn.metadata.name,
          ContainerName: container,
          BlobName: name,
          ETag: etag,
        });
        await poison.sendMessage(Buffer.from(message).toString('base64'));
        await writeReceipt(name, etag);
        failures.delete(key);
        log(
          `Blob ${container}/${name} failed ${tries} times and was reported on '${POISON_QUEUE}': ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }

  const loop = (async () => {
    let created = false;
    while (!stopped) {
      try {
        if (!created) {
          await source.createIfNotExists();
          await receipts.createIfNotExists();
          created = true;
        }
        for await (const item of source.listBlobsFlat({ prefix })) {
          if (stopped) break;
          const etag = item.properties.etag ?? '';
          if (await alreadyDone(item.name, etag)) continue;
          await handle(item.name, etag);
        }
      } catch (error) {
        log(`Scanning '${container}' failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (!stopped) await sleep(options.pollIntervalMs, undefined, { signal: wakeUp.signal }).catch(() => undefined);
    }
  })();

  return {
    stop: async () => {
      stopped = true;
      wakeUp.abort();
      await loop;
    },
  };
}
