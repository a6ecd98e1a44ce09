import { z } from 'zod';

import * as passwords from '../../shared/controllers/password.controller';
import { clientKeyOf } from '../../shared/http/auth';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { emailSchema } from '../../shared/models/user.model';
import { services } from '../../shared/services';

const resetRequestedSchema = z.object({ message: z.string() }).meta({ id: 'PasswordResetRequested' });

/** POST /api/auth/password-reset → 202 whatever the email. */
export const requestPasswordReset = httpRoute({
  auth: 'none',
  doc: {
    summary: 'Olvidé mi contraseña',
    description:
      'Always 202 with the same body, registered email or not. If it is registered, an email brings a single-use code valid 30 minutes. Quotas per email (3/h) and per client (10/h).',
    tag: 'Cuenta',
    success: { status: 202, description: 'Accepted', schema: resetRequestedSchema },
    errors: ['TOO_MANY_REQUESTS'],
    requestExample: { email: 'lucia.zapata@example.com' },
  },
  body: z.object({ email: emailSchema }),
  handle: async ({ body, request }) => {
    await passwords.requestPasswordReset(services(), body.email, clientKeyOf(request));
    return {
      status: 202,
      body: {
        message:
          'Si el correo está registrado, en unos minutos recibirá un enlace para elegir una contraseña nueva. El enlace vence en 30 minutos.',
      },
    };
  },
});

httpFunction('requestPasswordReset', {
  methods: ['POST', 'OPTIONS'],
  route: 'auth/password-reset',
  authLevel: 'anonymous',
  handler: requestPasswordReset,
});
