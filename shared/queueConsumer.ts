import { type InvocationContext, output, type StorageQueueOutput } from '@azure/functions';
import type { z } from 'zod';

import { contextOf, inSpan, SpanKind } from './clients/telemetry.client';

/**
 * Queue consumers, in one place: how a controller says a message can never succeed, how it reads
 * a message, and the trigger wrapper that turns both into retries or the poison queue.
 */

/**
 * A queue message that can never succeed (bad JSON, wrong schema, unknown invoice or user). The
 * consumer moves it to `<queue>-poison` at once, with the reason logged, instead of retrying.
 */
export class PermanentMessageError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'PermanentMessageError';
  }
}

/** Validates a message with the same schema its producer used. */
export function parseMessage<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ');
    throw new PermanentMessageError(
      typeof raw === 'string' ? 'the message is not JSON' : `the message does not match its schema: ${issues}`,
    );
  }
  return result.data;
}

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
    const queue = poison.queueName.replace(/-poison$/, '');
    const producer =
      typeof message === 'object' && message !== null ? (message as { traceparent?: unknown }).traceparent : undefined;
    const attributes = {
      'messaging.system': 'azure.storage.queue',
      'messaging.destination.name': queue,
      'messaging.message.id': id ?? '',
    };
    // The producer's trace (the payment, the sign-up…) goes on through this consumer. The Functions
    // host logs the invocation under a trace of its own, so these lines name this one.
    await inSpan(
      `process ${queue}`,
      { kind: SpanKind.CONSUMER, parent: contextOf(producer), attributes },
      async (span) => {
        const traced = span.isRecording() ? ` [trace ${span.spanContext().traceId}]` : '';
        try {
          const outcome = await handle(message);
          context.log(`message ${id ?? '?'} (try ${attempt}): ${outcome}${traced}`);
        } catch (error) {
          if (error instanceof PermanentMessageError) {
            span.setAttribute('cuponeras.poisoned', true);
            context.error(`message ${id ?? '?'} moved to ${poison.queueName}: ${error.message}${traced}`);
            // As one text message: an array would be sent as several messages, and null as none.
            context.extraOutputs.set(poison, typeof message === 'string' ? message : JSON.stringify(message));
            return;
          }
          context.error(
            `message ${id ?? '?'} (try ${attempt}) failed, will be retried${traced}:`,
            error instanceof Error ? error.message : String(error),
          );
          throw error;
        }
      },
    );
  };
}
