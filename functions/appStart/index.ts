import { app } from '@azure/functions';
import { z } from 'zod';

import { spanishValidationMessages } from '../../shared/http/validationMessages';

/**
 * What the app sets once per process, before its first invocation (the Functions worker runs
 * appStart hooks after loading every function module): our own validation messages in Spanish
 * (es-CO, usted), with zod's Spanish locale behind them.
 */
app.hook.appStart(() => {
  z.config({ ...z.locales.es(), customError: spanishValidationMessages });
});
