import { app } from '@azure/functions';
import { z } from 'zod';
import { es } from 'zod/locales';

import { startTelemetry, stopTelemetry } from '../../shared/clients/telemetry.client';
import { config } from '../../shared/config';
import { observeSystem } from '../../shared/controllers/system.controller';
import { startHeartbeat, stopHeartbeat } from '../../shared/heartbeat';
import { spanishValidationMessages } from '../../shared/http/validationMessages';
import { services } from '../../shared/services';

/**
 * What the app sets once per process, before its first invocation (the Functions worker runs
 * appStart hooks after loading every function module): our own validation messages in Spanish
 * (es-CO, usted), with zod's Spanish locale behind them, telemetry per its settings, and this
 * instance's heartbeat (shared/heartbeat.ts).
 */
app.hook.appStart(() => {
  z.config({ ...es(), customError: spanishValidationMessages });
  if (startTelemetry(config().telemetry) !== 'off') observeSystem(() => services());
  startHeartbeat(() => services());
});

/** The instance leaves and whatever telemetry holds is sent before the worker goes (a scale-in, a deployment, Ctrl-C). */
app.hook.appTerminate(async () => {
  await stopHeartbeat();
  await stopTelemetry();
});
