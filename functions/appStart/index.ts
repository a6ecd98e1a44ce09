import { app } from '@azure/functions';
import { z } from 'zod';

/**
 * What the app sets once per process, before its first invocation (the Functions worker runs
 * appStart hooks after loading every function module): validation messages in Spanish (es-CO).
 */
app.hook.appStart(() => {
  z.config(z.locales.es());
});
