import { CronExpressionParser } from 'cron-parser';

import type { RegisteredFunction } from './functionsCore';
import { type HostLog, invoke, optionText, triggerOf } from './invoke';

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

  const arm = () => {
    if (stopped) return;
    const due = nextOccurrence(schedule, new Date());
    timer = setTimeout(
      () => {
        void run(due);
        arm();
      },
      Math.max(0, due.getTime() - Date.now()),
    );
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
