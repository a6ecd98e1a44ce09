import type { Clock } from './clients/clock.client';
import type { QueuePublisher } from './clients/queue.client';
import type { Db } from './clients/sql.client';
import { contextOf, inSpan, SpanKind } from './clients/telemetry.client';
import type { Config } from './config';
import { INSTANCE_SILENT_MS, THIS_INSTANCE } from './models/instance.model';
import {
  leaseOutboxRow,
  markOutboxDelivered,
  markOutboxDispatched,
  markOutboxFailed,
  type OutboxRow,
  pendingOutbox,
  requeueUnconfirmedOutbox,
} from './models/outbox.model';

export interface OutboxDeps {
  db: Db;
  clock: Clock;
  queue: QueuePublisher;
}

export interface DispatchRun {
  sent: number;
  failed: number;
  /** Sent earlier but never confirmed by their consumer: sent again. */
  resent?: number;
}

/** Sends of one message before the sweeper gives up on it (a message its consumer always refuses). */
export const MAX_SENDS = 10;

/**
 * A dispatcher's hold on a row while it sends it: longer than one send can take (one try of at most
 * 5 s, see queue.client.ts), short because a dispatcher that died mid-send holds the row
 * until it lapses. A send that outlives it may be repeated; consumers de-duplicate.
 */
const SEND_LEASE_MS = 15_000;
/** Back-off after a failed send: 5 s, 10 s, 20 s … capped at 5 minutes. */
const retryDelayMs = (attempts: number) => Math.min(5_000 * 2 ** Math.max(attempts - 1, 0), 300_000);

async function dispatchRow(deps: OutboxDeps, row: OutboxRow): Promise<boolean> {
  const now = deps.clock.now();
  if (!(await leaseOutboxRow(deps.db, row.id, now, new Date(now.getTime() + SEND_LEASE_MS)))) return false;
  try {
    // Its send belongs to the trace of the request that wrote the row, whoever dispatches it.
    await inSpan(
      `send ${row.queue}`,
      {
        kind: SpanKind.PRODUCER,
        parent: contextOf(row.traceparent),
        attributes: {
          'messaging.system': 'azure.storage.queue',
          'messaging.destination.name': row.queue,
          'messaging.message.id': row.id,
        },
      },
      () => deps.queue.send(row.queue, row.body),
    );
    await markOutboxDispatched(deps.db, row.id, deps.clock.now(), THIS_INSTANCE);
    return true;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    await markOutboxFailed(
      deps.db,
      row.id,
      reason,
      new Date(deps.clock.now().getTime() + retryDelayMs(row.attempts + 1)),
    );
    throw error;
  }
}

/**
 * Moves pending outbox rows to their queues, oldest first. Each row is leased before it is sent,
 * so concurrent dispatchers don't double-send; a failed send is retried later with back-off.
 * Delivery is at least once: consumers de-duplicate by message id.
 */
export async function dispatch(deps: OutboxDeps, limit = 200, onlyIds?: string[]): Promise<DispatchRun> {
  const run: DispatchRun = { sent: 0, failed: 0 };
  const rows = await pendingOutbox(deps.db, deps.clock.now(), limit, onlyIds);
  for (const row of rows) {
    try {
      if (await dispatchRow(deps, row)) run.sent++;
    } catch {
      // The queue service is likely down: stop here rather than spend every row's attempts on it.
      // This row backs off, so a fault of its own doesn't hold up the rows behind it next round.
      run.failed++;
      break;
    }
  }
  return run;
}

/** Rows per round of a sweep, and how long a sweep goes on sending (the default period is 30 s). */
const SWEEP_ROUND = 200;
const SWEEP_BUDGET_MS = 20_000;

/**
 * The timer's round: messages sent but never confirmed within their lease (a queue that died with
 * them, a consumer killed mid-way), or held by an instance that stopped beating, become pending
 * again, then everything pending is sent. Consumers de-duplicate by message id, so a resend has
 * no second effect.
 */
export async function sweep(deps: OutboxDeps & { config: Pick<Config, 'delivery'> }): Promise<DispatchRun> {
  const now = deps.clock.now();
  const sentBefore = new Date(now.getTime() - deps.config.delivery.leaseMs);
  const resent = await requeueUnconfirmedOutbox(deps.db, now, sentBefore, MAX_SENDS, {
    self: THIS_INSTANCE,
    aliveSince: new Date(now.getTime() - INSTANCE_SILENT_MS),
  });
  // A backlog (a queue outage, a bulk run) goes out in this sweep, round after round, not 200 rows
  // a period; until a round comes back short or fails, within a budget below the timer's period.
  const started = performance.now();
  const run: DispatchRun = { sent: 0, failed: 0, resent };
  for (;;) {
    const round = await dispatch(deps, SWEEP_ROUND);
    run.sent += round.sent;
    run.failed += round.failed;
    if (round.failed > 0 || round.sent < SWEEP_ROUND || performance.now() - started > SWEEP_BUDGET_MS) return run;
  }
}

/**
 * Between sweeps (each heartbeat): messages held by an instance that stopped beating (killed with
 * them in hand) are sent again now, rather than at the next sweep or when their lease lapses.
 */
export async function takeOverSilentHolders(deps: OutboxDeps): Promise<number> {
  const now = deps.clock.now();
  const taken = await requeueUnconfirmedOutbox(deps.db, now, null, MAX_SENDS, {
    self: THIS_INSTANCE,
    aliveSince: new Date(now.getTime() - INSTANCE_SILENT_MS),
  });
  if (taken > 0) await dispatch(deps);
  return taken;
}

/** A consumer confirms that a message had its effect (or had it before: a duplicate). */
export async function confirmDelivered(deps: { db: Db; clock: Clock }, messageId: string): Promise<void> {
  await markOutboxDelivered(deps.db, messageId, deps.clock.now());
}

const IMMEDIATE_DISPATCH_BUDGET_MS = 2_000;

/** Dispatches started after a commit and not yet finished (a host that stops waits for them). */
const inFlight = new Set<Promise<void>>();

/**
 * Right after a commit, starts sending that commit's messages so they arrive within a second,
 * and returns at once: the answer does not wait for the queue's round trips, since the outbox
 * row already holds the message. Bounded in time and never failing; whatever is left (the queue
 * down, the process gone) the dispatch timer sends.
 */
export function dispatchSoon(deps: OutboxDeps, messageIds: string[]): Promise<void> {
  if (messageIds.length === 0) return Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, IMMEDIATE_DISPATCH_BUDGET_MS);
  });
  const run: Promise<void> = Promise.race([
    dispatch(deps, messageIds.length, messageIds)
      .then(() => undefined)
      .catch(() => undefined),
    budget,
  ]).finally(() => {
    clearTimeout(timer);
    inFlight.delete(run);
  });
  inFlight.add(run);
  return Promise.resolve();
}

/** Waits for the dispatches under way (at most their 2 s budget): before the database closes. */
export async function dispatchesSettled(): Promise<void> {
  await Promise.allSettled([...inFlight]);
}
