import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * How busy this instance is with requests, so that background work (a bank file, a billing feed,
 * the expiry) gives way to them. In Azure a blob trigger runs in the same worker process as the
 * HTTP functions, and locally on the same event loop and the same SQLite connection: a file
 * applied in one go would keep health probes, logins and payments waiting until it ends.
 */
let inFlight = 0;
let idle: (() => void)[] = [];
let lastRequestAt = 0;

/** Counts a request until the returned function is called (once). */
export function requestStarted(): () => void {
  inFlight++;
  lastRequestAt = performance.now();
  let finished = false;
  return () => {
    if (finished) return;
    finished = true;
    inFlight--;
    if (inFlight === 0) {
      const waiting = idle;
      idle = [];
      for (const wake of waiting) wake();
    }
  };
}

export function requestsInFlight(): number {
  return inFlight;
}

/** Requests are being served, or one came within the last `windowMs`: traffic is likely to go on. */
export function recentlyBusy(windowMs = 2000): boolean {
  return inFlight > 0 || performance.now() - lastRequestAt < windowMs;
}

/**
 * Sizes the batches of background work by time, not count: while requests come, a batch takes
 * about `busyBudgetMs` (a request that arrives mid-batch waits no longer than that); when none
 * came for a while, about `idleBudgetMs`, for throughput. Told how long each batch took.
 */
export class BatchPacer {
  private msPerItem: number | undefined;

  constructor(private readonly limits: { min: number; max: number; busyBudgetMs: number; idleBudgetMs: number }) {}

  size(): number {
    if (this.msPerItem === undefined) return this.limits.min;
    const budget = recentlyBusy() ? this.limits.busyBudgetMs : this.limits.idleBudgetMs;
    return Math.max(this.limits.min, Math.min(this.limits.max, Math.floor(budget / this.msPerItem)));
  }

  took(items: number, ms: number): void {
    if (items <= 0) return;
    const perItem = ms / items;
    // A moving average: one slow batch (a checkpoint, a GC) doesn't shrink the next ones to nothing.
    this.msPerItem = this.msPerItem === undefined ? perItem : 0.7 * this.msPerItem + 0.3 * perItem;
  }
}

/**
 * Call between small batches of background work: lets waiting I/O in (a request that arrived is
 * parsed and starts), then, while requests are being served, waits for them to end, at most
 * `maxWaitMs` so the work still moves under a steady load.
 */
export async function giveWay(maxWaitMs = 50): Promise<void> {
  await nextTurn();
  if (inFlight === 0) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, maxWaitMs);
    timer.unref();
    idle.push(done);
    function done() {
      clearTimeout(timer);
      idle = idle.filter((wake) => wake !== done);
      resolve();
    }
  });
}

/** A callback for each item of a long synchronous-looking pass (a file checked record by record): gives way every `n` items. */
export function givingWayEvery(n: number): () => Promise<void> {
  let count = 0;
  return async () => {
    if (++count % n === 0) await giveWay();
  };
}
