import { z } from 'zod';

import * as auth from '../../shared/controllers/auth.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { refreshTokenSchema } from '../../shared/models/session.model';
import { services } from '../../shared/services';

/** POST /api/auth/logout → 204; the session's refresh and access tokens stop working. */
export const logout = httpRoute({
  auth: 'none',
  doc: {
    summary: 'Cerrar sesión',
    description:
      "Ends the refresh token's session: its refresh and access tokens stop working. Unknown tokens also get 204.",
    tag: 'Cuenta',
    success: { status: 204, description: 'Session ended' },
  },
  body: z.object({ refreshToken: refreshTokenSchema }),
  handle: async ({ body }) => {
    await auth.logout(services(), body.refreshToken);
    return { status: 204 };
  },
});

httpFunction('logout', { methods: ['POST', 'OPTIONS'], route: 'auth/logout', authLevel: 'anonymous', handler: logout });
