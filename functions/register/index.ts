import { app } from '@azure/functions';
import { register as registerUser } from '../../shared/controllers/auth.controller';
import { httpRoute } from '../../shared/http/handler';
import { registerSchema } from '../../shared/models/user.model';
import { services } from '../../shared/services';

/** POST /api/auth/register → 201 with the new customer. */
export const register = httpRoute({
  auth: 'none',
  body: registerSchema,
  handle: async ({ body }) => {
    const user = await registerUser(services(), body);
    return { status: 201, body: user, headers: { Location: `/api/me` } };
  },
});

app.http('register', { methods: ['POST', 'OPTIONS'], route: 'auth/register', authLevel: 'anonymous', handler: register });
