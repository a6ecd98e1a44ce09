import { z } from 'zod';

import { appMeter } from '../clients/telemetry.client';
import { AppError } from '../errors';
import { type AuditAction, insertAudit } from '../models/audit.model';
import { CONSUMED_QUEUES, type ConsumedQueue, consumedQueueSchema, poisonQueueOf } from '../models/message.model';
import { outboxBacklog } from '../models/outbox.model';
import { pendingPaymentsSummary } from '../models/payment.model';
import { latestTimerRuns } from '../models/timerRun.model';
import { MAX_SENDS } from '../outbox';
import type { Services } from '../services';

export type SystemDeps = Pick<Services, 'db' | 'clock' | 'queueAdmin'>;

const ageSeconds = (since: Date | null, now: Date) =>
  since === null ? null : Math.max(0, Math.floor((now.getTime() - since.getTime()) / 1000));

export const systemViewSchema = z
  .object({
    queues: z.array(
      z.object({
        name: consumedQueueSchema,
        messages: z.number().int(),
        poisonMessages: z.number().int(),
        oldestMessageAgeSeconds: z.number().int().nullable(),
      }),
    ),
    outbox: z.object({
      undelivered: z.number().int(),
      oldestUndeliveredAgeSeconds: z.number().int().nullable(),
    }),
    timers: z.array(
      z.object({
        name: z.string(),
        lastRunAt: z.iso.datetime(),
        lastOutcome: z.enum(['SUCCEEDED', 'FAILED']),
        lastDurationMs: z.number().int(),
      }),
    ),
    payments: z.object({ pending: z.number().int(), oldestPendingAgeSeconds: z.number().int().nullable() }),
  })
  .meta({ id: 'SystemView' });
export type SystemView = z.infer<typeof systemViewSchema>;

/** Queue calls that fail are the queue service being down: 503, as for the database. */
async function onQueues<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('SERVICE_UNAVAILABLE', 'El servicio de colas no responde; intente de nuevo en unos minutos.', {
      retryAfterSeconds: 30,
    });
  }
}

/** Every operator action here is audited the same way: who, which action, on which queue (or the system). */
function audit(deps: SystemDeps, operatorId: string, action: AuditAction, subject: string, details: object) {
  return insertAudit(deps.db, {
    actorId: operatorId,
    action,
    subjectType: subject === '*' ? 'system' : 'queue',
    subjectId: subject,
    details,
    now: deps.clock.now(),
  });
}

/** What the app owes and how its parts last ran: queues, outbox, timers, gateway payments. */
export async function readSystem(deps: SystemDeps): Promise<SystemView> {
  const now = deps.clock.now();
  const [queues, backlog, timers, payments] = await Promise.all([
    onQueues(() =>
      Promise.all(
        CONSUMED_QUEUES.map(async (name) => {
          const [queue, poison] = await Promise.all([
            deps.queueAdmin.stats(name),
            deps.queueAdmin.stats(poisonQueueOf(name)),
          ]);
          return {
            name,
            messages: queue.messages,
            poisonMessages: poison.messages,
            oldestMessageAgeSeconds: ageSeconds(queue.oldestInsertedAt, now),
          };
        }),
      ),
    ),
    outboxBacklog(deps.db, MAX_SENDS),
    latestTimerRuns(deps.db),
    pendingPaymentsSummary(deps.db),
  ]);
  return {
    queues,
    outbox: {
      undelivered: backlog.undelivered,
      oldestUndeliveredAgeSeconds: ageSeconds(backlog.oldestUndeliveredAt, now),
    },
    timers: timers.map((t) => ({
      name: t.timer,
      lastRunAt: t.startedAt.toISOString(),
      lastOutcome: t.outcome,
      lastDurationMs: t.durationMs,
    })),
    payments: { pending: payments.pending, oldestPendingAgeSeconds: ageSeconds(payments.oldestPendingAt, now) },
  };
}

/**
 * The system view as gauges, read with its own queries each time the SDK collects metrics: the
 * outbox backlog and its oldest message's age, each queue's depth and poison depth, the PENDING
 * gateway payments. A collection that fails (the database down) observes nothing that round.
 */
export function observeSystem(deps: () => SystemDeps): void {
  const meter = appMeter();
  const undelivered = meter.createObservableGauge('cuponeras.outbox.undelivered', {
    description: 'Outbox messages not yet confirmed by their consumer',
  });
  const oldest = meter.createObservableGauge('cuponeras.outbox.oldest_age', {
    description: "Age of the outbox's oldest undelivered message",
    unit: 's',
  });
  const depth = meter.createObservableGauge('cuponeras.queue.messages', { description: 'Messages on each queue' });
  const poison = meter.createObservableGauge('cuponeras.queue.poison_messages', {
    description: "Messages on each queue's poison queue",
  });
  const pending = meter.createObservableGauge('cuponeras.payments.pending', {
    description: 'Gateway payments still PENDING',
  });
  meter.addBatchObservableCallback(
    async (observer) => {
      const view = await readSystem(deps()).catch(() => undefined);
      if (!view) return;
      observer.observe(undelivered, view.outbox.undelivered);
      observer.observe(oldest, view.outbox.oldestUndeliveredAgeSeconds ?? 0);
      observer.observe(pending, view.payments.pending);
      for (const queue of view.queues) {
        observer.observe(depth, queue.messages, { queue: queue.name });
        observer.observe(poison, queue.poisonMessages, { queue: queue.name });
      }
    },
    [undelivered, oldest, depth, poison, pending],
  );
}

/** GET /operator/system, audited as every operator view is. */
export async function systemView(deps: SystemDeps, operatorId: string): Promise<SystemView> {
  const view = await readSystem(deps);
  await audit(deps, operatorId, 'SYSTEM_VIEWED', '*', {});
  return view;
}

export const poisonItemSchema = z.object({
  messageId: z.string().describe("The queue service's id of the poisoned message (replay and discard take it)"),
  insertedAt: z.iso.datetime(),
  dequeueCount: z.number().int(),
  summary: z.string().describe('What the message is (its kind, version and message id); never its personal data'),
});
export const poisonListSchema = z.object({ items: z.array(poisonItemSchema).max(32) }).meta({ id: 'PoisonList' });
export type PoisonList = z.infer<typeof poisonListSchema>;
export const poisonActionSchema = z
  .object({ queue: consumedQueueSchema, messageId: z.string() })
  .meta({ id: 'PoisonMessageReplayed' });

/**
 * A line an operator can act on without the message's personal data (emails, names, documents):
 * only its kind, version and the app's message id, read from the JSON the app put on the queue.
 */
export function summarizeMessage(text: string): string {
  const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64').toString('utf8') : text;
  let body: unknown;
  try {
    body = JSON.parse(decoded);
  } catch {
    return `not JSON (${decoded.length} characters)`;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'JSON that is not an object';
  const fields = body as Record<string, unknown>;
  const word = (value: unknown) => (typeof value === 'string' && /^[\w.-]{1,64}$/.test(value) ? value : undefined);
  const version = typeof fields.v === 'number' ? `v${fields.v}` : undefined;
  const id = word(fields.messageId);
  return [word(fields.kind) ?? 'unknown kind', version, id ? `message ${id}` : undefined].filter(Boolean).join(' · ');
}

function notInPoison(queue: ConsumedQueue): never {
  throw new AppError('POISON_MESSAGE_NOT_FOUND', `La cola ${poisonQueueOf(queue)} no tiene ese mensaje.`);
}

/** GET /operator/poison/{queue}: the messages at the front of the queue's poison queue. */
export async function listPoison(deps: SystemDeps, operatorId: string, queue: ConsumedQueue): Promise<PoisonList> {
  const messages = await onQueues(() => deps.queueAdmin.peek(poisonQueueOf(queue), 32));
  await audit(deps, operatorId, 'POISON_LISTED', queue, { count: messages.length });
  return {
    items: messages.map((m) => ({
      messageId: m.messageId,
      insertedAt: m.insertedAt.toISOString(),
      dequeueCount: m.dequeueCount,
      summary: summarizeMessage(m.text),
    })),
  };
}

/**
 * POST …/replay: the message goes back on its queue. Its consumer's de-duplication (one delivery
 * per message id) still holds, so replaying one whose effect happened changes nothing.
 */
export async function replayPoison(
  deps: SystemDeps,
  operatorId: string,
  queue: ConsumedQueue,
  messageId: string,
): Promise<void> {
  if (!(await onQueues(() => deps.queueAdmin.move(poisonQueueOf(queue), messageId, queue)))) notInPoison(queue);
  await audit(deps, operatorId, 'POISON_REPLAYED', queue, { messageId });
}

/** POST …/discard: the message is deleted from the poison queue, for good. */
export async function discardPoison(
  deps: SystemDeps,
  operatorId: string,
  queue: ConsumedQueue,
  messageId: string,
): Promise<void> {
  if (!(await onQueues(() => deps.queueAdmin.remove(poisonQueueOf(queue), messageId)))) notInPoison(queue);
  await audit(deps, operatorId, 'POISON_DISCARDED', queue, { messageId });
}

/** The log line the alert rules look for (infra/main.bicep, docs/operations.md). */
export const SYSTEM_REPORT_PREFIX = 'system-report';

/** The system view folded into the few numbers the alerts compare: no names of people, no ids. */
export function systemReport(view: SystemView) {
  return {
    outboxUndelivered: view.outbox.undelivered,
    outboxOldestAgeSeconds: view.outbox.oldestUndeliveredAgeSeconds ?? 0,
    poisonMessages: view.queues.reduce((sum, q) => sum + q.poisonMessages, 0),
    poisonByQueue: Object.fromEntries(view.queues.map((q) => [q.name, q.poisonMessages])),
    failedTimers: view.timers.filter((t) => t.lastOutcome === 'FAILED').map((t) => t.name),
    pendingPayments: view.payments.pending,
    pendingOldestAgeSeconds: view.payments.oldestPendingAgeSeconds ?? 0,
  };
}
