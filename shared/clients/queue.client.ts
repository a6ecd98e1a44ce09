import type * as StorageQueue from '@azure/storage-queue';
import type { QueueClient, QueueServiceClient, StorageRetryOptions } from '@azure/storage-queue';

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
  /** One client per queue: getQueueClient builds a new request pipeline each time (~0.3 ms a message). */
  private readonly clients = new Map<string, QueueClient>();

  constructor(
    private readonly service: QueueServiceClient,
    private readonly probe: QueueServiceClient = service,
  ) {}

  async send(queueName: string, body: string): Promise<void> {
    let queue = this.clients.get(queueName);
    if (!queue) this.clients.set(queueName, (queue = this.service.getQueueClient(queueName)));
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

/** A queue's depth and the insertion time of its oldest message (null when empty or not created yet). */
export interface QueueStats {
  messages: number;
  oldestInsertedAt: Date | null;
}

export interface QueuedMessage {
  messageId: string;
  insertedAt: Date;
  dequeueCount: number;
  /** The message as it was put on the queue (the app's messages are base64-encoded JSON). */
  text: string;
}

/** What operators do to queues by hand: look at them, and move or delete one message (poison queues). */
export interface QueueAdmin {
  stats(queueName: string): Promise<QueueStats>;
  /** Up to 32 messages from the front, without taking them (Storage's peek limit). */
  peek(queueName: string, max: number): Promise<QueuedMessage[]>;
  /** Puts the message on `to`, then deletes it from `from`; false when `from` does not hold it. */
  move(from: string, messageId: string, to: string): Promise<boolean>;
  /** Deletes the message; false when the queue does not hold it. */
  remove(queueName: string, messageId: string): Promise<boolean>;
}

/** How long the messages looked through while one is searched for stay hidden (released at the end). */
const SEARCH_VISIBILITY_SECONDS = 30;
const SEARCH_ROUNDS = 10;

const isNotFound = (error: unknown) => (error as { statusCode?: number } | null)?.statusCode === 404;

export class StorageQueueAdmin implements QueueAdmin {
  constructor(private readonly service: QueueServiceClient) {}

  async stats(queueName: string): Promise<QueueStats> {
    const queue = this.service.getQueueClient(queueName);
    try {
      const [properties, front] = await Promise.all([
        queue.getProperties(),
        queue.peekMessages({ numberOfMessages: 1 }),
      ]);
      return {
        messages: properties.approximateMessagesCount ?? 0,
        oldestInsertedAt: front.peekedMessageItems[0]?.insertedOn ?? null,
      };
    } catch (error) {
      if (isNotFound(error)) return { messages: 0, oldestInsertedAt: null };
      throw error;
    }
  }

  async peek(queueName: string, max: number): Promise<QueuedMessage[]> {
    try {
      const { peekedMessageItems } = await this.service
        .getQueueClient(queueName)
        .peekMessages({ numberOfMessages: Math.min(32, Math.max(1, max)) });
      return peekedMessageItems.map((m) => ({
        messageId: m.messageId,
        insertedAt: m.insertedOn,
        dequeueCount: m.dequeueCount,
        text: m.messageText,
      }));
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  }

  async move(from: string, messageId: string, to: string): Promise<boolean> {
    return this.withMessage(from, messageId, async (text) => {
      const target = this.service.getQueueClient(to);
      await target.createIfNotExists();
      // Sent before it is deleted: a failure in between leaves a copy on each queue, and the
      // consumer's de-duplication (one delivery row per message id) makes the second a no-op.
      await target.sendMessage(text);
    });
  }

  async remove(queueName: string, messageId: string): Promise<boolean> {
    return this.withMessage(queueName, messageId, async () => undefined);
  }

  /**
   * Storage deletes a message only with the pop receipt of a receive, so the queue is received
   * from until the message turns up; the others seen on the way are made visible again at once.
   */
  private async withMessage(
    queueName: string,
    messageId: string,
    act: (text: string) => Promise<void>,
  ): Promise<boolean> {
    const queue = this.service.getQueueClient(queueName);
    const passed: { messageId: string; popReceipt: string }[] = [];
    try {
      for (let round = 0; round < SEARCH_ROUNDS; round++) {
        let received;
        try {
          received = await queue.receiveMessages({
            numberOfMessages: 32,
            visibilityTimeout: SEARCH_VISIBILITY_SECONDS,
          });
        } catch (error) {
          if (isNotFound(error)) return false;
          throw error;
        }
        if (received.receivedMessageItems.length === 0) return false;
        for (const item of received.receivedMessageItems) {
          if (item.messageId !== messageId) {
            passed.push(item);
            continue;
          }
          await act(item.messageText);
          await queue.deleteMessage(item.messageId, item.popReceipt);
          return true;
        }
      }
      return false;
    } finally {
      await Promise.all(
        passed.map((m) => queue.updateMessage(m.messageId, m.popReceipt, undefined, 0).catch(() => undefined)),
      );
    }
  }
}

/** The operators' view of the app's queues, through the same account and identity as the publisher. */
export function createQueueAdmin(queues: Config['queues']): QueueAdmin {
  return new StorageQueueAdmin(queueServiceClient(queues, { maxTries: 2, tryTimeoutInMs: 5000 }));
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
