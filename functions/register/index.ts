import { z } from 'zod';

import * as auth from '../../shared/controllers/auth.controller';
import { clientKeyOf } from '../../shared/http/auth';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import {
  documentNumberSchema,
  documentTypeSchema,
  emailSchema,
  fullNameSchema,
  passwordSchema,
  phoneSchema,
  userJsonSchema,
  withValidDocument,
} from '../../shared/models/user.model';
import { services } from '../../shared/services';

export const registerBodySchema = z
  .object({
    email: emailSchema,
    password: passwordSchema,
    fullName: fullNameSchema,
    documentType: documentTypeSchema,
    documentNumber: documentNumberSchema,
    phone: phoneSchema.optional(),
    acceptTerms: z
      .boolean()
      .optional()
      .describe('Must be true: the person accepts the privacy policy of GET /privacy-policy (Ley 1581 de 2012)'),
  })
  .transform(withValidDocument);

/** POST /api/auth/register → 201 with the new customer. */
export const register = httpRoute({
  auth: 'none',
  doc: {
    summary: 'Registrar un cliente',
    description:
      'Passwords per OWASP ASVS 5.0: 8–128 characters (15+ recommended), no composition rules, common ones refused. `acceptTerms: true` is required; the accepted privacy-policy version is recorded, and a verification email is sent (POST /auth/verify-email).',
    tag: 'Cuenta',
    success: { status: 201, description: 'The new customer (never a password hash)', schema: userJsonSchema },
    errors: [
      'TERMS_NOT_ACCEPTED',
      'WEAK_PASSWORD',
      'EMAIL_ALREADY_REGISTERED',
      'DOCUMENT_ALREADY_REGISTERED',
      'TOO_MANY_REQUESTS',
    ],
    requestExample: {
      email: 'lucia.zapata@example.com',
      password: 'montañas verdes de Antioquia',
      fullName: 'Lucía Zapata Mejía',
      documentType: 'CC',
      documentNumber: '1017234567',
      phone: '300 123 4567',
      acceptTerms: true,
    },
  },
  body: registerBodySchema,
  handle: async ({ body, request }) => {
    const user = await auth.register(services(), body, clientKeyOf(request));
    return { status: 201, body: user, headers: { Location: `/api/me` } };
  },
});

httpFunction('register', {
  methods: ['POST', 'OPTIONS'],
  route: 'auth/register',
  authLevel: 'anonymous',
  handler: register,
});
