import { z } from 'zod';

import * as auth from '../../shared/controllers/auth.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { refreshTokenSchema } from '../../shared/models/session.model';
import { services } from '../../shared/services';

/** POST /api/auth/refresh → a new token pair; the presented refresh token stops working. */
export const refresh = httpRoute({
  auth: 'none',
  doc: {
    summary: 'Renovar tokens',
    description:
      'Rotates the refresh token. Presenting an already used one revokes the whole session (401 REFRESH_TOKEN_REUSED).',
    tag: 'Cuenta',
    success: { status: 200, description: 'A new token pair', schema: auth.tokenPairSchema },
    errors: ['INVALID_REFRESH_TOKEN', 'REFRESH_TOKEN_REUSED'],
  },
  body: z.object({ refreshToken: refreshTokenSchema }),
  handle: async ({ body }) => ({
    body: await auth.refresh(services(), body.refreshToken),
    headers: { 'Cache-Control': 'no-store' },
  }),
});

httpFunction('refresh', {
  methods: ['POST', 'OPTIONS'],
  route: 'auth/refresh',
  authLevel: 'anonymous',
  handler: refresh,
});
