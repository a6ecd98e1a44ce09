import { asDate, type DbOrTx } from '../clients/sql.client';
import { newId } from './ids';

/** How a timer's run ended (migration 0014's check). */
export const TIMER_OUTCOMES = ['SUCCEEDED', 'FAILED'] as const;
export type TimerOutcome = (typeof TIMER_OUTCOMES)[number];

export interface TimerRun {
  timer: string;
  startedAt: Date;
  durationMs: number;
  outcome: TimerOutcome;
  /** A failed run's error message, cut short; never a stack. */
  error: string | null;
}

export async function recordTimerRun(db: DbOrTx, run: TimerRun): Promise<void> {
  await db('timer_runs').insert({
    id: newId(run.startedAt.getTime()),
    timer: run.timer,
    started_at: run.startedAt,
    duration_ms: Math.max(0, Math.round(run.durationMs)),
    outcome: run.outcome,
    error: run.error?.slice(0, 500) ?? null,
  });
}

/** Each timer's latest run (by ix_timer_runs_timer_started: one seek per timer). */
export async function latestTimerRuns(db: DbOrTx): Promise<TimerRun[]> {
  const rows: Record<string, unknown>[] = await db('timer_runs as r')
    .join(db('timer_runs').groupBy('timer').select('timer').max({ last: 'started_at' }).as('l'), (on) =>
      on.on('l.timer', 'r.timer').andOn('l.last', 'r.started_at'),
    )
    .orderBy('r.timer')
    .select('r.timer', 'r.started_at', 'r.duration_ms', 'r.outcome', 'r.error');
  // Two runs of one timer can start in the same millisecond (two instances): the first one stands.
  const latest = new Map<string, TimerRun>();
  for (const r of rows) {
    const timer = String(r.timer);
    if (latest.has(timer)) continue;
    latest.set(timer, {
      timer,
      startedAt: asDate(r.started_at),
      durationMs: Number(r.duration_ms),
      outcome: r.outcome as TimerOutcome,
      error: typeof r.error === 'string' ? r.error : null,
    });
  }
  return [...latest.values()];
}

export async function purgeTimerRunsBefore(db: DbOrTx, before: Date): Promise<number> {
  return db('timer_runs').where('started_at', '<', before).delete();
}
