import { z } from 'zod';

import * as personalData from '../../shared/controllers/personalData.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { loginPasswordSchema } from '../../shared/models/user.model';
import { services } from '../../shared/services';

/** DELETE /api/me → 204; the person is anonymised, their sessions end. */
export const deleteMe = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Eliminar mi cuenta',
    description:
      'Habeas data (Ley 1581 de 2012). Name, email, document and phone are replaced by a pseudonym; every session ends; notifications and followed contracts are deleted; coupons, invoices and transactions stay under the pseudonym for accounting. The email can register again. Operators cannot delete themselves.',
    tag: 'Cuenta',
    success: { status: 204, description: 'Deleted' },
    errors: ['INVALID_CURRENT_PASSWORD', 'ACCOUNT_NOT_DELETABLE', 'TOO_MANY_REQUESTS'],
    requestExample: { password: 'montañas verdes de Antioquia' },
  },
  body: z.object({ password: loginPasswordSchema }),
  handle: async ({ body, user }) => {
    await personalData.deleteMe(services(), user.id, body.password);
    return { status: 204 };
  },
});

httpFunction('deleteMe', { methods: ['DELETE', 'OPTIONS'], route: 'me', authLevel: 'anonymous', handler: deleteMe });
