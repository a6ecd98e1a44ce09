import type { InvocationContext, Timer } from '@azure/functions';

import { config } from '../../shared/config';
import * as gatewayPayments from '../../shared/controllers/gatewayPayment.controller';
import { services } from '../../shared/services';
import { timerFunction } from '../../shared/timers';

/** Timer (RECONCILE_PAYMENTS_SCHEDULE, every minute): PENDING payments without an event asked at the gateway. */
export async function reconcilePayments(_timer: Timer, context: InvocationContext): Promise<void> {
  const run = await gatewayPayments.reconcilePayments(services());
  context.log(
    `reconcilePayments: checked ${run.checked}, applied ${run.applied}, expired ${run.expired}, gateway unreachable for ${run.unreachable}`,
  );
}

timerFunction('reconcilePayments', config().schedules.reconcilePayments, reconcilePayments);
