import type { InvocationContext, Timer } from '@azure/functions';

import { config } from '../../shared/config';
import * as coupons from '../../shared/controllers/coupon.controller';
import { services } from '../../shared/services';
import { timerFunction } from '../../shared/timers';

/** Timer (EXPIRE_COUPONS_SCHEDULE, default every 5 minutes): ACTIVE coupons past their time → EXPIRED. */
export async function expireCoupons(_timer: Timer, context: InvocationContext): Promise<void> {
  const run = await coupons.expireDue(services());
  context.log(`expireCoupons: expired ${run.expired} coupons in ${run.batches} batches, ${run.durationMs} ms`);
}

timerFunction('expireCoupons', config().schedules.expireCoupons, expireCoupons);
