import * as auth from '../../shared/controllers/auth.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { userJsonSchema } from '../../shared/models/user.model';
import { services } from '../../shared/services';

/** GET /api/me → the caller. */
export const me = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Usuario actual',
    tag: 'Cuenta',
    success: { status: 200, description: 'The caller', schema: userJsonSchema },
    errors: ['USER_NOT_FOUND'],
  },
  handle: async ({ user }) => ({
    body: await auth.currentUser(services(), user.id),
    headers: { 'Cache-Control': 'no-store' },
  }),
});

httpFunction('me', { methods: ['GET', 'OPTIONS'], route: 'me', authLevel: 'anonymous', handler: me });
