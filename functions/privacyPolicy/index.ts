import * as accounts from '../../shared/controllers/account.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';

/** GET /api/privacy-policy → the policy a registration accepts, and its version. */
export const privacyPolicy = httpRoute({
  auth: 'none',
  doc: {
    summary: 'Política de tratamiento de datos personales',
    description: 'The current version and its text, so the sign-up screen shows what `acceptTerms` accepts.',
    tag: 'Cuenta',
    success: { status: 200, description: 'The policy in force', schema: accounts.privacyPolicySchema },
  },
  handle: async () => ({ body: accounts.privacyPolicy(), headers: { 'Cache-Control': 'public, max-age=3600' } }),
});

httpFunction('privacyPolicy', {
  methods: ['GET', 'OPTIONS'],
  route: 'privacy-policy',
  authLevel: 'anonymous',
  handler: privacyPolicy,
});
