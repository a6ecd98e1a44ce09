import { z } from 'zod';

import * as passwords from '../../shared/controllers/password.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { loginPasswordSchema, passwordSchema } from '../../shared/models/user.model';
import { services } from '../../shared/services';

/** POST /api/auth/password → 204; every other session of the caller ends. */
export const changePassword = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Cambiar la contraseña',
    description:
      "The current password is required. The new one follows registration's rules. Every other session ends at once (this one stays); an email and a notification tell the person.",
    tag: 'Cuenta',
    success: { status: 204, description: 'Changed' },
    errors: ['INVALID_CURRENT_PASSWORD', 'WEAK_PASSWORD', 'TOO_MANY_REQUESTS'],
    requestExample: { currentPassword: 'montañas verdes de Antioquia', newPassword: 'el río Medellín al amanecer' },
  },
  body: z.object({ currentPassword: loginPasswordSchema, newPassword: passwordSchema }),
  handle: async ({ body, user }) => {
    await passwords.changePassword(services(), user, body);
    return { status: 204 };
  },
});

httpFunction('changePassword', {
  methods: ['POST', 'OPTIONS'],
  route: 'auth/password',
  authLevel: 'anonymous',
  handler: changePassword,
});
