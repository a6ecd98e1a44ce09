import * as accounts from '../../shared/controllers/account.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { services } from '../../shared/services';

/** POST /api/auth/verify-email/resend → 202; a new verification email to the caller. */
export const resendVerification = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Reenviar el correo de verificación',
    description: 'Within VERIFICATION_EMAIL_MAX_PER_USER_PER_HOUR (3). Earlier codes keep working until they expire.',
    tag: 'Cuenta',
    success: { status: 202, description: 'The email is on its way' },
    errors: ['EMAIL_ALREADY_VERIFIED', 'TOO_MANY_REQUESTS', 'USER_NOT_FOUND'],
  },
  handle: async ({ user }) => {
    await accounts.resendVerification(services(), user.id);
    return { status: 202 };
  },
});

httpFunction('resendVerification', {
  methods: ['POST', 'OPTIONS'],
  route: 'auth/verify-email/resend',
  authLevel: 'anonymous',
  handler: resendVerification,
});
