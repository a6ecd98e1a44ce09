import { z } from 'zod';

import * as accounts from '../../shared/controllers/account.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { fullNameSchema, phoneSchema, userJsonSchema } from '../../shared/models/user.model';
import { services } from '../../shared/services';

export const profileChangesSchema = z
  .object({
    fullName: fullNameSchema.optional(),
    phone: phoneSchema.nullable().optional().describe('null removes it'),
  })
  .strict()
  .refine((changes) => changes.fullName !== undefined || changes.phone !== undefined, {
    message: 'Envíe fullName, phone o ambos.',
  });

/** PATCH /api/me → the caller, corrected. */
export const updateMe = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Corregir mis datos',
    description:
      "Name and phone, with registration's rules. The email and the document can't be changed here (habeas data: ask EPM).",
    tag: 'Cuenta',
    success: { status: 200, description: 'The caller', schema: userJsonSchema },
    errors: ['USER_NOT_FOUND'],
    requestExample: { fullName: 'Lucía Zapata de Mejía', phone: '604 444 4115' },
  },
  body: profileChangesSchema,
  handle: async ({ body, user }) => ({
    body: await accounts.updateMe(services(), user.id, body),
    headers: { 'Cache-Control': 'no-store' },
  }),
});

httpFunction('updateMe', { methods: ['PATCH', 'OPTIONS'], route: 'me', authLevel: 'anonymous', handler: updateMe });
