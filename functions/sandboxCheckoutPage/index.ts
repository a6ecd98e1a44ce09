import * as sandbox from '../../shared/controllers/sandbox.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { services } from '../../shared/services';

/** GET /api/sandbox/checkout?<Wompi's checkout query> → the sandbox gateway's checkout page (HTML). */
export const sandboxCheckoutPage = httpRoute({
  auth: 'none',
  doc: {
    summary: 'Pasarela de pruebas: página de pago',
    description:
      'Only with PAYMENT_PROVIDER=sandbox (404 otherwise). Takes the checkoutUrl query of a payment; a bad integrity ' +
      'signature or an expired link is a 400: a page for a browser (Accept: text/html), CHECKOUT_LINK_INVALID otherwise.',
    tag: 'Sandbox',
    errors: ['CHECKOUT_LINK_INVALID'],
    success: { status: 200, description: 'The checkout page', contentType: 'text/html' },
    htmlPages: [400],
  },
  handle: async ({ request, headers }) => {
    const page = sandbox.checkoutPage(services(), new URL(request.url).searchParams, headers.get('accept'));
    return { status: page.status, file: { contentType: 'text/html; charset=utf-8', data: Buffer.from(page.html) } };
  },
});

httpFunction('sandboxCheckoutPage', {
  methods: ['GET', 'OPTIONS'],
  route: 'sandbox/checkout',
  authLevel: 'anonymous',
  handler: sandboxCheckoutPage,
});
