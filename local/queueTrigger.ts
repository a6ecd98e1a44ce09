import { setTimeout as sleep } from 'node:timers/promises';

import { QueueClient, QueueServiceClient } from '@azure/storage-queue';

import type { InvocationResponse, RegisteredFunction } from './functionsCore';
import { type HostLog, invoke, optionText, triggerOf, typedDataToText } from './invoke';

/** The queue settings of host.json (extensions.queues) that the local host honours. */
export interface QueueSettings {
  maxDequeueCount: number;
  maxPollingIntervalMs: number;
  visibilityTimeoutSeconds: number;
  batchSize: number;
}

function resolveConnection(name: string, env: NodeJS.ProcessEnv): string {
  const value = env[name] ?? env[`AzureWebJobs${name}`];
  if (!value) throw new Error(`Queue connection setting "${name}" is not set`);
  return value;
}

export function queueClientFor(connectionName: string, queueName: string, env: NodeJS.ProcessEnv): QueueClient {
  return QueueServiceClient.fromConnectionString(resolveConnection(connectionName, env), {
    retryOptions: { maxTries: 2, tryTimeoutInMs: 5000 },
  }).getQueueClient(queueName);
}

const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** Strict base64 check: the extension refuses messages that are not base64 in base64 mode. */
function decodeBase64(text: string): string | undefined {
  const compact = text.trim();
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}

/** Queue output bindings (context.extraOutputs) are enqueued only after the handler succeeded. */
export async function sendQueueOutputs(
  fn: RegisteredFunction,
  response: InvocationResponse,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  for (const output of response.outputData ?? []) {
    const binding = fn.metadata.bindings[output.name];
    if (binding?.type !== 'queue') continue;
    const client = queueClientFor(
      optionText(binding.connection, 'AzureWebJobsStorage'),
      optionText(binding.queueName, ''),
      env,
    );
    await client.createIfNotExists();
    const values =
      output.data.json !== undefined ? (JSON.parse(output.data.json) as unknown) : typedDataToText(output.data);
    for (const value of Array.isArray(values) ? values : [values]) {
      await client.sendMessage(encode(typeof value === 'string' ? value : JSON.stringify(value)));
    }
  }
}

/**
 * Polls one queue for a queue-triggered function as the Storage Queues extension does: decode
 * base64, pass dequeueCount and id as trigger metadata, delete on success, make the message
 * visible again after visibilityTimeout on failure, and move it to `<queue>-poison` once it has
 * been tried maxDequeueCount times.
 */
export function startQueueTrigger(
  fn: RegisteredFunction,
  settings: QueueSettings,
  env: NodeJS.ProcessEnv,
  log: HostLog,
): { stop(): Promise<void> } {
  const options = triggerOf(fn).options;
  const queueName = optionText(options.queueName, '');
  const connection = optionText(options.connection, 'AzureWebJobsStorage');
  const queue = queueClientFor(connection, queueName, env);
  const poison = queueClientFor(connection, `${queueName}-poison`, env);
  let stopped = false;
  const wakeUp = new AbortController();

  async function moveToPoison(messageText: string, messageId: string, popReceipt: string, why: string): Promise<void> {
    await poison.createIfNotExists();
    await poison.sendMessage(messageText);
    await queue.deleteMessage(messageId, popReceipt);
    log(`Message ${messageId} from '${queueName}' moved to '${queueName}-poison': ${why}`);
  }

  async function handle(message: {
    messageId: string;
    popReceipt: string;
    dequeueCount: number;
    messageText: string;
    insertedOn: Date;
    expiresOn: Date;
  }): Promise<void> {
    const text = decodeBase64(message.messageText);
    if (text === undefined) {
      await moveToPoison(
        message.messageText,
        message.messageId,
        message.popReceipt,
        'the message is not base64-encoded',
      );
      return;
    }
    try {
      const { response } = await invoke(
        fn,
        { string: text },
        {
          DequeueCount: { int: message.dequeueCount },
          Id: { string: message.messageId },
          PopReceipt: { string: message.popReceipt },
          InsertionTime: { string: message.insertedOn.toISOString() },
          ExpirationTime: { string: message.expiresOn.toISOString() },
        },
        log,
      );
      await sendQueueOutputs(fn, response, env);
      await queue.deleteMessage(message.messageId, message.popReceipt);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      if (message.dequeueCount >= settings.maxDequeueCount) {
        await moveToPoison(
          message.messageText,
          message.messageId,
          message.popReceipt,
          `failed ${message.dequeueCount} times, last: ${why}`,
        );
      } else {
        await queue.updateMessage(message.messageId, message.popReceipt, undefined, settings.visibilityTimeoutSeconds);
      }
    }
  }

  const loop = (async () => {
    let idleDelay = 100;
    let created = false;
    while (!stopped) {
      try {
        if (!created) {
          await queue.createIfNotExists();
          created = true;
        }
        // The lease covers the handler's run; a crash makes the message visible again after it.
        const { receivedMessageItems } = await queue.receiveMessages({
          numberOfMessages: settings.batchSize,
          visibilityTimeout: 300,
        });
        await Promise.all(receivedMessageItems.map((message) => handle(message)));
        idleDelay =
          receivedMessageItems.length > 0 ? 0 : Math.min(Math.max(idleDelay * 2, 100), settings.maxPollingIntervalMs);
      } catch (error) {
        log(`Polling '${queueName}' failed: ${error instanceof Error ? error.message : String(error)}`);
        idleDelay = settings.maxPollingIntervalMs;
      }
      if (idleDelay > 0 && !stopped)
        await sleep(idleDelay, undefined, { signal: wakeUp.signal }).catch(() => undefined);
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
