import { z } from 'zod';

import * as passwords from '../../shared/controllers/password.controller';
import { clientKeyOf } from '../../shared/http/auth';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { accountTokenSchema } from '../../shared/models/accountToken.model';
import { passwordSchema } from '../../shared/models/user.model';
import { services } from '../../shared/services';

/** POST /api/auth/password-reset/confirm → 204; every session ends. */
export const confirmPasswordReset = httpRoute({
  auth: 'none',
  doc: {
    summary: 'Elegir una contraseña nueva con el código del correo',
    description:
      "The emailed code, once, within 30 minutes. The new password follows registration's rules (a weak one is refused without spending the code). Every session ends; the email counts as verified.",
    tag: 'Cuenta',
    success: { status: 204, description: 'Password set' },
    errors: ['INVALID_ACCOUNT_TOKEN', 'WEAK_PASSWORD', 'TOO_MANY_REQUESTS'],
    requestExample: {
      token: 'N2p0dGtFbE1vY2tUb2tlbkZvckV4YW1wbGVPbmx5MDA',
      newPassword: 'el río Medellín al amanecer',
    },
  },
  body: z.object({ token: accountTokenSchema, newPassword: passwordSchema }),
  handle: async ({ body, request }) => {
    await passwords.confirmPasswordReset(services(), body, clientKeyOf(request));
    return { status: 204 };
  },
});

httpFunction('confirmPasswordReset', {
  methods: ['POST', 'OPTIONS'],
  route: 'auth/password-reset/confirm',
  authLevel: 'anonymous',
  handler: confirmPasswordReset,
});
