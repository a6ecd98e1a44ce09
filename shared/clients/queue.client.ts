import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { QueueServiceClient } from '@azure/storage-queue';

import type { Config } from '../config';

/** Sends messages to Storage Queues. Bodies are base64-encoded, as the Functions queue extension expects. */
export interface QueuePublisher {
  send(queueName: string, body: string): Promise<void>;
  /** Throws when the queue service cannot be reached. */
  ping(): Promise<void>;
}

export function queueServiceClient(
  queues: Config['queues'],
  retry = { maxTries: 3, tryTimeoutInMs: 5000 },
): QueueServiceClient {
  if (queues.connectionString) {
    return QueueServiceClient.fromConnectionString(queues.connectionString, { retryOptions: retry });
  }
  if (!queues.serviceUri) throw new Error('No queue connection configured');
  // In Azure: the app's managed identity (Storage Queue Data Contributor), no account keys.
  const credential = queues.clientId
    ? new ManagedIdentityCredential({ clientId: queues.clientId })
    : new DefaultAzureCredential();
  return new QueueServiceClient(queues.serviceUri, credential, { retryOptions: retry });
}

export class StorageQueuePublisher implements QueuePublisher {
  private readonly created = new Set<string>();

  constructor(
    private readonly service: QueueServiceClient,
    private readonly probe: QueueServiceClient = service,
  ) {}

  async send(queueName: string, body: string): Promise<void> {
    const queue = this.service.getQueueClient(queueName);
    if (!this.created.has(queueName)) {
      await queue.createIfNotExists();
      this.created.add(queueName);
    }
    await queue.sendMessage(Buffer.from(body, 'utf8').toString('base64'));
  }

  async ping(): Promise<void> {
    await this.probe.getProperties();
  }
}

export function createQueuePublisher(queues: Config['queues']): StorageQueuePublisher {
  // The probe fails fast (one try, short timeout) so that /health answers within seconds.
  return new StorageQueuePublisher(
    queueServiceClient(queues),
    queueServiceClient(queues, { maxTries: 1, tryTimeoutInMs: 2000 }),
  );
}
