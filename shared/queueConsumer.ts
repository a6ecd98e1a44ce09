import { type InvocationContext, output, type StorageQueueOutput } from '@azure/functions';

import { PermanentMessageError } from './controllers/consumer';

/** The `<queue>-poison` output binding a consumer declares, for messages that can never succeed. */
export function poisonQueue(queueName: string): StorageQueueOutput {
  return output.storageQueue({ queueName: `${queueName}-poison`, connection: 'AzureWebJobsStorage' });
}

/**
 * Wraps a queue consumer: a PermanentMessageError sends the message straight to its poison queue
 * (logged with the reason) instead of burning retries; anything else is rethrown, so the host
 * retries it and, after maxDequeueCount, poisons it itself.
 */
export function queueConsumer(poison: StorageQueueOutput, handle: (message: unknown) => Promise<string>) {
  return async (message: unknown, context: InvocationContext): Promise<void> => {
    const { id, dequeueCount } = (context.triggerMetadata ?? {}) as { id?: string; dequeueCount?: number };
    const attempt = dequeueCount ?? '?';
    try {
      const outcome = await handle(message);
      context.log(`message ${id ?? '?'} (try ${attempt}): ${outcome}`);
    } catch (error) {
      if (error instanceof PermanentMessageError) {
        context.error(`message ${id ?? '?'} moved to ${poison.queueName}: ${error.message}`);
        context.extraOutputs.set(poison, message);
        return;
      }
      context.error(`message ${id ?? '?'} (try ${attempt}) failed, will be retried:`, error instanceof Error ? error.message : String(error));
      throw error;
    }
  };
}
