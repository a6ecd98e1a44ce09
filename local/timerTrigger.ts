import { CronExpressionParser } from 'cron-parser';

import type { RegisteredFunction } from './functionsCore';
import { type HostLog, invoke, optionText, triggerOf } from './invoke';

/** The longest delay setTimeout takes (2^31 − 1 ms); a longer one fires at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Resolves `%SETTING%` in a binding value from the environment, as the host does. */
export function resolveAppSetting(value: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/%([^%]+)%/g, (_, name: string) => {
    const resolved = env[name];
    if (resolved === undefined) throw new Error(`App setting "${name}" referenced by a binding is not set`);
    return resolved;
  });
}

/** Next occurrence of a six-field NCRONTAB expression (seconds first), in UTC. */
export function nextOccurrence(schedule: string, after: Date): Date {
  if (schedule.trim().split(/\s+/).length !== 6)
    throw new Error(`"${schedule}" is not a six-field NCRONTAB expression`);
  return CronExpressionParser.parse(schedule, { tz: 'UTC', currentDate: after }).next().toDate();
}

/**
 * How long to wait for a run due at `due`. setTimeout fires at once beyond 2^31 − 1 ms (~24.8
 * days, a yearly schedule): then wait that long and look again instead of running.
 */
export function timerDelay(due: Date, now: number): { ms: number; fire: boolean } {
  const wait = Math.max(0, due.getTime() - now);
  return wait > MAX_TIMEOUT_MS ? { ms: MAX_TIMEOUT_MS, fire: false } : { ms: wait, fire: true };
}

/** Runs a timer-triggered function on its schedule, one run at a time (a late run is marked past due). */
export function startTimerTrigger(
  fn: RegisteredFunction,
  env: NodeJS.ProcessEnv,
  log: HostLog,
  scheduled = true,
): { stop(): Promise<void>; runNow(): Promise<void> } {
  const options = triggerOf(fn).options;
  const schedule = resolveAppSetting(optionText(options.schedule, ''), env);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let last: Date | undefined;

  const run = (scheduled: Date): Promise<void> => {
    if (running) return running; // one run at a time: an overlapping tick is skipped
    const next = nextOccurrence(schedule, new Date());
    const timerInfo = {
      Schedule: { AdjustForDST: false },
      ScheduleStatus: {
        Last: (last ?? scheduled).toISOString(),
        Next: next.toISOString(),
        LastUpdated: new Date().toISOString(),
      },
      IsPastDue: Date.now() - scheduled.getTime() > 1000,
    };
    last = scheduled;
    running = invoke(fn, { json: JSON.stringify(timerInfo) }, {}, log)
      .then(() => undefined)
      .catch(() => undefined) // already logged by invoke; the next tick tries again
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const arm = (due = nextOccurrence(schedule, new Date())) => {
    if (stopped) return;
    const delay = timerDelay(due, Date.now());
    timer = setTimeout(() => {
      if (!delay.fire) return arm(due);
      void run(due);
      arm();
    }, delay.ms);
  };

  if (scheduled) {
    if (options.runOnStartup === true) void run(new Date());
    arm();
  }
  return {
    runNow: () => run(new Date()),
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
