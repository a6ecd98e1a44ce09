import { app } from '@azure/functions';
import { login as logIn } from '../../shared/controllers/auth.controller';
import { clientKeyOf } from '../../shared/http/auth';
import { httpRoute } from '../../shared/http/handler';
import { loginSchema } from '../../shared/models/user.model';
import { services } from '../../shared/services';

/** POST /api/auth/login → access token, refresh token and the user. */
export const login = httpRoute({
  auth: 'none',
  body: loginSchema,
  handle: async ({ body, request }) => ({
    body: await logIn(services(), body, clientKeyOf(request)),
    headers: { 'Cache-Control': 'no-store' },
  }),
});

app.http('login', { methods: ['POST', 'OPTIONS'], route: 'auth/login', authLevel: 'anonymous', handler: login });
