import * as personalData from '../../shared/controllers/personalData.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { bogotaDay } from '../../shared/models/time';
import { services } from '../../shared/services';

/** GET /api/me/export → everything held about the caller, as a JSON download. */
export const exportMe = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Descargar mis datos',
    description:
      'Habeas data (Ley 1581 de 2012): the user, consents, contracts followed, coupons, transactions, notifications and email deliveries, in the shapes the API serves them. Up to 10 per hour.',
    tag: 'Cuenta',
    success: { status: 200, description: 'All personal data held', schema: personalData.personalDataSchema },
    errors: ['TOO_MANY_REQUESTS', 'USER_NOT_FOUND'],
  },
  handle: async ({ user }) => {
    const svc = services();
    const data = await personalData.exportMe(svc, user.id);
    return {
      body: data,
      headers: {
        'Cache-Control': 'no-store',
        'Content-Disposition': `attachment; filename="mis-datos-epm-${bogotaDay(svc.clock.now())}.json"`,
      },
    };
  },
});

httpFunction('exportMe', {
  methods: ['GET', 'OPTIONS'],
  route: 'me/export',
  authLevel: 'anonymous',
  handler: exportMe,
});
