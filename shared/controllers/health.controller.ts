import { z } from 'zod';

import type { Clock } from '../clients/clock.client';
import type { QueueAdmin, QueuePublisher } from '../clients/queue.client';
import type { Db } from '../clients/sql.client';
import { pingDatabase } from '../models/health.model';
import { CONSUMED_QUEUES, poisonQueueOf } from '../models/message.model';
import { outboxBacklog } from '../models/outbox.model';
import { latestTimerRuns } from '../models/timerRun.model';
import { MAX_SENDS } from '../outbox';

const checkSchema = z.object({
  status: z.enum(['up', 'down']),
  durationMs: z.number().int(),
  error: z.enum(['timeout', 'unreachable']).optional(),
});
export const healthReportSchema = z
  .object({
    status: z
      .enum(['ok', 'degraded', 'unavailable'])
      .describe(
        'degraded: up (200) but something needs an operator (reasons); unavailable: database or queues down (503)',
      ),
    reasons: z.array(z.string().max(200)).max(20).describe('Why the service is degraded; empty when ok'),
    checks: z.object({ database: checkSchema, queues: checkSchema }),
  })
  .meta({ id: 'Health' });
type CheckResult = z.infer<typeof checkSchema>;
export type HealthReport = z.infer<typeof healthReportSchema>;

const CHECK_TIMEOUT_MS = 3000;

async function timed(check: () => Promise<unknown>): Promise<CheckResult> {
  const started = performance.now();
  try {
    await withTimeout(check());
    return { status: 'up', durationMs: Math.round(performance.now() - started) };
  } catch (error) {
    // Only a short reason: /health is public and must not reveal hosts or credentials.
    const reason = error instanceof Error && error.message === 'timeout' ? 'timeout' : 'unreachable';
    return { status: 'down', durationMs: Math.round(performance.now() - started), error: reason };
  }
}

/** An outbox message owed for longer than this means delivery has stalled. */
export const OUTBOX_STALLED_SECONDS = 600;

export interface HealthDeps {
  db: Db;
  queue: QueuePublisher;
  queueAdmin: QueueAdmin;
  clock: Clock;
}

/**
 * Checks the database and the queue service side by side; when both are up, whether anything
 * needs an operator: delivery stalled (outbox older than 10 minutes), a poison queue holding
 * messages, a timer whose last run failed. Degraded is still 200: the service works.
 */
export async function check(deps: HealthDeps): Promise<HealthReport> {
  const [database, queues] = await Promise.all([timed(() => pingDatabase(deps.db)), timed(() => deps.queue.ping())]);
  if (database.status !== 'up' || queues.status !== 'up') {
    return { status: 'unavailable', reasons: [], checks: { database, queues } };
  }
  const reasons = await withTimeout(degradedReasons(deps)).catch(() => [
    'the degradation checks did not answer in time',
  ]);
  return { status: reasons.length > 0 ? 'degraded' : 'ok', reasons, checks: { database, queues } };
}

async function degradedReasons(deps: HealthDeps): Promise<string[]> {
  const now = deps.clock.now();
  const [backlog, poison, timers] = await Promise.all([
    outboxBacklog(deps.db, MAX_SENDS),
    Promise.all(
      CONSUMED_QUEUES.map(async (queue) => ({ queue, stats: await deps.queueAdmin.stats(poisonQueueOf(queue)) })),
    ),
    latestTimerRuns(deps.db),
  ]);
  const reasons: string[] = [];
  const owedSeconds = backlog.oldestUndeliveredAt
    ? Math.floor((now.getTime() - backlog.oldestUndeliveredAt.getTime()) / 1000)
    : 0;
  if (owedSeconds > OUTBOX_STALLED_SECONDS)
    reasons.push(`outbox: the oldest undelivered message is ${owedSeconds} s old (${backlog.undelivered} undelivered)`);
  for (const { queue, stats } of poison)
    if (stats.messages > 0) reasons.push(`poison: ${poisonQueueOf(queue)} holds ${stats.messages} message(s)`);
  for (const run of timers) if (run.outcome === 'FAILED') reasons.push(`timer: the last run of ${run.timer} failed`);
  return reasons;
}

function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
