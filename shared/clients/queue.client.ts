import type * as StorageQueue from '@azure/storage-queue';
import type { QueueServiceClient, StorageRetryOptions } from '@azure/storage-queue';

import type { Config } from '../config';
import { azureCredential } from './credential.client';
import { onFirstUse } from './lazy';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (cold start, see lazy.ts)
const storageQueue = onFirstUse(() => require('@azure/storage-queue') as typeof StorageQueue);

/** Sends messages to Storage Queues. Bodies are base64-encoded, as the Functions queue extension expects. */
export interface QueuePublisher {
  send(queueName: string, body: string): Promise<void>;
  /** Throws when the queue service cannot be reached. */
  ping(): Promise<void>;
}

/**
 * One try per send: a message that fails to send stays in the outbox, whose timer sends it again
 * with back-off, so a request never waits out the SDK's retries on a queue service that is down.
 */
const SEND_RETRY: StorageRetryOptions = { maxTries: 1, tryTimeoutInMs: 5000 };

export function queueServiceClient(
  queues: Config['queues'],
  retry: StorageRetryOptions = SEND_RETRY,
): QueueServiceClient {
  if (queues.connectionString) {
    return storageQueue().QueueServiceClient.fromConnectionString(queues.connectionString, { retryOptions: retry });
  }
  if (!queues.serviceUri) throw new Error('No queue connection configured');
  // In Azure: the app's managed identity (Storage Queue Data Contributor), no account keys.
  const credential = azureCredential(
    queues.clientId ? { kind: 'managed-identity', clientId: queues.clientId } : { kind: 'default' },
  );
  return new (storageQueue().QueueServiceClient)(queues.serviceUri, credential, { retryOptions: retry });
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

export const BREAKER_COOLDOWN_MS = 5_000;

/**
 * A circuit breaker in front of a publisher: after a failed send, every send fails at once for
 * `cooldownMs` (the outbox keeps the messages and its timer sends them later), so requests don't
 * wait on a queue service known to be down; after the cool-down the next send probes it again.
 * Per instance, like the breaker's knowledge: another instance finds out by itself.
 */
export class CircuitBreakerPublisher implements QueuePublisher {
  private openUntil = 0;

  constructor(
    private readonly inner: QueuePublisher,
    private readonly cooldownMs = BREAKER_COOLDOWN_MS,
    private readonly now: () => number = Date.now,
  ) {}

  async send(queueName: string, body: string): Promise<void> {
    if (this.now() < this.openUntil) throw new Error('the queue service failed moments ago; not calling it for now');
    try {
      await this.inner.send(queueName, body);
      this.openUntil = 0;
    } catch (error) {
      this.openUntil = this.now() + this.cooldownMs;
      throw error;
    }
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }
}

/** The app's publisher; `now` is the app's clock (the breaker's cool-down follows it, in tests too). */
export function createQueuePublisher(queues: Config['queues'], now: () => number): QueuePublisher {
  // The probe fails fast (one try, short timeout) so that /health answers within seconds.
  return new CircuitBreakerPublisher(
    new StorageQueuePublisher(
      queueServiceClient(queues),
      queueServiceClient(queues, { maxTries: 1, tryTimeoutInMs: 2000 }),
    ),
    // Short: a refused connection costs one request a few milliseconds every 5 s, and a queue
    // that is back is used again within seconds.
    BREAKER_COOLDOWN_MS,
    now,
  );
}
