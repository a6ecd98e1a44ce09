import { app, type InvocationContext, type Timer } from '@azure/functions';

import { config } from '../../shared/config';
import * as outbox from '../../shared/controllers/outbox.controller';
import { services } from '../../shared/services';

/** Timer (OUTBOX_DISPATCH_SCHEDULE, default every 30 s): sends outbox messages the request path could not. */
export async function dispatchOutbox(_timer: Timer, context: InvocationContext): Promise<void> {
  const run = await outbox.dispatch(services());
  if (run.sent + run.failed > 0) context.log(`dispatchOutbox: sent ${run.sent}, failed ${run.failed}`);
}

app.timer('dispatchOutbox', { schedule: config().schedules.dispatchOutbox, handler: dispatchOutbox });
