import { z } from 'zod';

import * as accounts from '../../shared/controllers/account.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { accountTokenSchema } from '../../shared/models/accountToken.model';
import { userJsonSchema } from '../../shared/models/user.model';
import { services } from '../../shared/services';

/** POST /api/auth/verify-email → the user, with `emailVerified: true`. */
export const verifyEmail = httpRoute({
  auth: 'none',
  doc: {
    summary: 'Confirmar el correo',
    description:
      'The code of the verification email (the link carries it after `#token=`). Single use, valid 48 hours.',
    tag: 'Cuenta',
    success: { status: 200, description: 'The user, now verified', schema: userJsonSchema },
    errors: ['INVALID_ACCOUNT_TOKEN'],
    requestExample: { token: 'N2p0dGtFbE1vY2tUb2tlbkZvckV4YW1wbGVPbmx5MDA' },
  },
  body: z.object({ token: accountTokenSchema }),
  handle: async ({ body }) => ({ body: await accounts.verifyEmail(services(), body.token) }),
});

httpFunction('verifyEmail', {
  methods: ['POST', 'OPTIONS'],
  route: 'auth/verify-email',
  authLevel: 'anonymous',
  handler: verifyEmail,
});
