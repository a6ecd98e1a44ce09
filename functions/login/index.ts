import { z } from 'zod';

import * as auth from '../../shared/controllers/auth.controller';
import { clientKeyOf } from '../../shared/http/auth';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { emailSchema, loginPasswordSchema } from '../../shared/models/user.model';
import { services } from '../../shared/services';

/** POST /api/auth/login → access token, refresh token and the user. */
export const login = httpRoute({
  auth: 'none',
  doc: {
    summary: 'Iniciar sesión',
    description:
      'Wrong password and unknown email give the same 401. Accounts lock after repeated failures (423); clients are throttled (429).',
    tag: 'Cuenta',
    success: { status: 200, description: 'Access and refresh tokens', schema: auth.tokenPairSchema },
    errors: ['INVALID_CREDENTIALS', 'TOO_MANY_REQUESTS'],
    requestExample: { email: 'cliente.demo@example.com', password: 'Cuponera-Demo-2026' },
  },
  body: z.object({ email: emailSchema, password: loginPasswordSchema }),
  handle: async ({ body, request }) => ({
    body: await auth.login(services(), body, clientKeyOf(request)),
    headers: { 'Cache-Control': 'no-store' },
  }),
});

httpFunction('login', { methods: ['POST', 'OPTIONS'], route: 'auth/login', authLevel: 'anonymous', handler: login });
