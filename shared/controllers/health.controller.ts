import { z } from 'zod';

import type { QueuePublisher } from '../clients/queue.client';
import type { Db } from '../clients/sql.client';
import { pingDatabase } from '../models/health.model';

const checkSchema = z.object({
  status: z.enum(['up', 'down']),
  durationMs: z.number().int(),
  error: z.enum(['timeout', 'unreachable']).optional(),
});
export const healthReportSchema = z
  .object({ status: z.enum(['ok', 'unavailable']), checks: z.object({ database: checkSchema, queues: checkSchema }) })
  .meta({ id: 'Health' });
type CheckResult = z.infer<typeof checkSchema>;
export type HealthReport = z.infer<typeof healthReportSchema>;

const CHECK_TIMEOUT_MS = 3000;

async function timed(check: () => Promise<unknown>): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return { status: 'up', durationMs: Math.round(performance.now() - started) };
  } catch (error) {
    // Only a short reason: /health is public and must not reveal hosts or credentials.
    const reason = error instanceof Error && error.message === 'timeout' ? 'timeout' : 'unreachable';
    return { status: 'down', durationMs: Math.round(performance.now() - started), error: reason };
  } finally {
    clearTimeout(timer);
  }
}

/** Checks the database and the queue service side by side. */
export async function check(deps: { db: Db; queue: QueuePublisher }): Promise<HealthReport> {
  const [database, queues] = await Promise.all([timed(() => pingDatabase(deps.db)), timed(() => deps.queue.ping())]);
  return {
    status: database.status === 'up' && queues.status === 'up' ? 'ok' : 'unavailable',
    checks: { database, queues },
  };
}
