import type { InvocationContext, Timer } from '@azure/functions';

import { config } from '../../shared/config';
import * as system from '../../shared/controllers/system.controller';
import { services } from '../../shared/services';
import { timerFunction } from '../../shared/timers';

/**
 * Timer (SYSTEM_REPORT_SCHEDULE, default every 5 minutes): the system view as one log line,
 * `system-report {json}` (counts and ages only), which the alert rules of infra/main.bicep read
 * in Application Insights: outbox age, poison depth, failed timer runs, PENDING gateway payments.
 */
export async function reportSystem(_timer: Timer, context: InvocationContext): Promise<void> {
  context.log(
    `${system.SYSTEM_REPORT_PREFIX} ${JSON.stringify(system.systemReport(await system.readSystem(services())))}`,
  );
}

timerFunction('reportSystem', config().schedules.reportSystem, reportSystem);
