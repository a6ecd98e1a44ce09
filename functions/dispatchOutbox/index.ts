import type { InvocationContext, Timer } from '@azure/functions';

import { config } from '../../shared/config';
import * as outbox from '../../shared/outbox';
import { services } from '../../shared/services';
import { timerFunction } from '../../shared/timers';

/**
 * Timer (OUTBOX_DISPATCH_SCHEDULE, default every 30 s): sends the outbox messages the request path
 * could not, and sends again those no consumer confirmed within their lease.
 */
export async function dispatchOutbox(_timer: Timer, context: InvocationContext): Promise<void> {
  const run = await outbox.sweep(services());
  if (run.sent + run.failed + (run.resent ?? 0) > 0) {
    context.log(`dispatchOutbox: sent ${run.sent}, failed ${run.failed}, resent ${run.resent ?? 0} unconfirmed`);
  }
}

timerFunction('dispatchOutbox', config().schedules.dispatchOutbox, dispatchOutbox);
