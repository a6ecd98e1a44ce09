import type { QueuePublisher } from '../clients/queue.client';
import type { Db } from '../clients/sql.client';
import { pingDatabase } from '../models/health.model';

export interface CheckResult {
  status: 'up' | 'down';
  durationMs: number;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'unavailable';
  checks: { database: CheckResult; queues: CheckResult };
}

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
export async function checkHealth(deps: { db: Db; queue: QueuePublisher }): Promise<HealthReport> {
  const [database, queues] = await Promise.all([timed(() => pingDatabase(deps.db)), timed(() => deps.queue.ping())]);
  return { status: database.status === 'up' && queues.status === 'up' ? 'ok' : 'unavailable', checks: { database, queues } };
}
