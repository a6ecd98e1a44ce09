import type { InvocationContext, Timer } from '@azure/functions';

import { config } from '../../shared/config';
import * as maintenance from '../../shared/controllers/maintenance.controller';
import { services } from '../../shared/services';
import { timerFunction } from '../../shared/timers';

/** Timer (PURGE_SCHEDULE, default daily 08:00 UTC = 03:00 in Medellín): drops expired bookkeeping rows. */
export async function purgeExpiredRecords(_timer: Timer, context: InvocationContext): Promise<void> {
  const run = await maintenance.purgeExpiredRecords(services());
  context.log(
    `purgeExpiredRecords: ${run.rateLimitWindows} rate-limit windows, ${run.idempotencyKeys} idempotency keys, ${run.outboxMessages} sent outbox messages`,
  );
}

timerFunction('purgeExpiredRecords', config().schedules.purge, purgeExpiredRecords);
