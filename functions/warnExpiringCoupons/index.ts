import type { InvocationContext, Timer } from '@azure/functions';

import { config } from '../../shared/config';
import * as coupons from '../../shared/controllers/coupon.controller';
import { services } from '../../shared/services';
import { timerFunction } from '../../shared/timers';

/** Timer (WARN_EXPIRING_COUPONS_SCHEDULE, default every 15 minutes): one notice per coupon ending within 24 h. */
export async function warnExpiringCoupons(_timer: Timer, context: InvocationContext): Promise<void> {
  const warned = await coupons.warnExpiring(services());
  context.log(`warnExpiringCoupons: warned about ${warned} coupons`);
}

timerFunction('warnExpiringCoupons', config().schedules.warnExpiringCoupons, warnExpiringCoupons);
