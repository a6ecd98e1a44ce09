import { z } from 'zod';

import * as sandbox from '../../shared/controllers/sandbox.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { services } from '../../shared/services';
import { SANDBOX_DECISIONS } from '../../shared/views/sandboxCheckout';

/** POST /api/sandbox/checkout (the page's form) → 303 to the redirect URL; the signed event goes to /api/payments/events. */
export const sandboxCheckoutDecision = httpRoute({
  auth: 'none',
  doc: {
    summary: 'Pasarela de pruebas: decisión del pagador',
    description:
      "The checkout page's form: its hidden fields and decision = APPROVED, DECLINED or APPROVED_NO_EVENT. Records the " +
      "sandbox transaction, sends its signed event to this app's /api/payments/events (retried on non-200) unless " +
      'APPROVED_NO_EVENT, and answers 303 to redirect-url?id=<transactionId>&env=test.',
    tag: 'Sandbox',
    errors: ['CHECKOUT_LINK_INVALID'],
    success: { status: 303, description: 'Back to the redirect URL' },
    htmlPages: [400],
  },
  upload: {
    mediaTypes: ['application/x-www-form-urlencoded'],
    // What the page's form sends: the checkout query's fields, the method and the decision.
    form: z
      .object({
        'public-key': z.string().max(200),
        currency: z.literal('COP'),
        'amount-in-cents': z.string().max(20),
        reference: z.string().max(100),
        'signature:integrity': z.string().max(64),
        'redirect-url': z.string().max(2048),
        'expiration-time': z.string().max(40),
        'payment-method': z.enum(['CARD', 'PSE', 'NEQUI', 'BANCOLOMBIA_TRANSFER']),
        decision: z.enum(SANDBOX_DECISIONS),
      })
      .meta({ id: 'SandboxCheckoutForm' }),
  },
  handle: async ({ request, upload, headers }) => {
    const eventsUrl = new URL('/api/payments/events', request.url).toString();
    const outcome = await sandbox.decide(
      services(),
      new URLSearchParams(upload.toString('utf8')),
      eventsUrl,
      headers.get('accept'),
    );
    if ('redirect' in outcome) return { status: 303, headers: { Location: outcome.redirect }, body: undefined };
    return {
      status: outcome.status,
      file: { contentType: 'text/html; charset=utf-8', data: Buffer.from(outcome.html) },
    };
  },
});

httpFunction('sandboxCheckoutDecision', {
  methods: ['POST', 'OPTIONS'],
  route: 'sandbox/checkout',
  authLevel: 'anonymous',
  handler: sandboxCheckoutDecision,
});
