import { app, type InvocationContext, type Timer } from '@azure/functions';

import { recordTimerRun } from './models/timerRun.model';
import { services } from './services';

type TimerBody = (timer: Timer, context: InvocationContext) => Promise<void>;

/**
 * Registers a timer whose every run is recorded (timer_runs: start, duration, outcome), for the
 * operator's system view and /health. A run that fails is recorded and rethrown, so the host
 * logs it as before; a run that can't be recorded (the database is down) is only logged.
 */
export function timerFunction(name: string, schedule: string, body: TimerBody): void {
  app.timer(name, { schedule, handler: recordedRun(name, body) });
}

export function recordedRun(name: string, body: TimerBody): TimerBody {
  return async (timer, context) => {
    const { db, clock } = services();
    const startedAt = clock.now();
    const started = performance.now();
    let error: string | null = null;
    try {
      await body(timer, context);
    } catch (failure) {
      error = failure instanceof Error ? failure.message : String(failure);
      throw failure;
    } finally {
      await recordTimerRun(db, {
        timer: name,
        startedAt,
        durationMs: performance.now() - started,
        outcome: error === null ? 'SUCCEEDED' : 'FAILED',
        error,
      }).catch((failure: unknown) =>
        context.warn(
          `${name}: the run could not be recorded: ${failure instanceof Error ? failure.message : String(failure)}`,
        ),
      );
    }
  };
}
