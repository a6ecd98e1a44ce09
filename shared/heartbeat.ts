import { beat, HEARTBEAT_MS, leave, THIS_INSTANCE } from './models/instance.model';
import { type OutboxDeps, takeOverSilentHolders } from './outbox';

/**
 * This instance's heartbeat (models/instance.model.ts): a row in `instances` updated every few
 * seconds from start-up to a clean stop, and with each beat the messages of instances that
 * stopped beating taken over (outbox.ts). It never fails the app: a database that is down (or a
 * schema before migration 0016) only means no beat, and then the leases alone apply, as before.
 */
let running: { timer: NodeJS.Timeout; deps: () => OutboxDeps } | undefined;

export function startHeartbeat(deps: () => OutboxDeps): void {
  if (running) return;
  const once = () => {
    const current = deps();
    beat(current.db, THIS_INSTANCE, current.clock.now())
      .then(() => takeOverSilentHolders(current))
      .catch(() => undefined);
  };
  running = { timer: setInterval(once, HEARTBEAT_MS).unref(), deps };
  once();
}

/** A clean stop leaves at once, so that what this instance still held is taken over at the next sweep. */
export async function stopHeartbeat(): Promise<void> {
  const stopping = running;
  running = undefined;
  if (!stopping) return;
  clearInterval(stopping.timer);
  await leave(stopping.deps().db, THIS_INSTANCE).catch(() => undefined);
}
