import * as guests from '../../shared/controllers/guest.controller';
import { clientKeyOf } from '../../shared/http/auth';
import { httpRoute } from '../../shared/http/handler';
import { idempotencyKeyOf } from '../../shared/http/idempotency';
import { httpFunction } from '../../shared/http/routes';
import { services } from '../../shared/services';

/** POST /api/guest/payments → 201 a PENDING gateway payment of a contract's invoices, without an account. */
export const guestCreatePayment = httpRoute({
  auth: 'none',
  payment: true,
  doc: {
    summary: 'Pagar sin cuenta',
    description:
      'One guest coupon per invoice (payable at a bank too) and one gateway payment for them; send the payer to checkoutUrl. ' +
      'The answer carries paymentToken, the only way to read this payment again (header X-Payment-Token); a retry with the ' +
      'same Idempotency-Key answers the same payment with a new token. The receipt goes to payerEmail, kept ' +
      'GUEST_DATA_RETENTION_DAYS and then erased. An invoice in another PENDING payment is 409 PAYMENT_IN_PROGRESS.',
    tag: 'Pago sin cuenta',
    success: {
      status: 201,
      description: 'The PENDING payment and its token',
      schema: guests.guestPaymentCreatedSchema,
    },
    errors: [
      'TERMS_NOT_ACCEPTED',
      'TOO_MANY_REQUESTS',
      'CONTRACT_NOT_FOUND',
      'INVOICE_NOT_FOUND',
      'INVOICE_ALREADY_PAID',
      'PAYMENT_IN_PROGRESS',
      'IDEMPOTENCY_KEY_REQUIRED',
      'IDEMPOTENCY_KEY_REUSED',
    ],
    headers: [
      {
        name: 'Idempotency-Key',
        required: true,
        description: 'One unique key per payment attempt (8–255 characters, e.g. a UUID); reuse it when retrying',
        example: '0d5e7a3c-8b1f-4c2e-9a6d-3f4b5c6d7e8f',
        schema: { type: 'string', minLength: 8, maxLength: 255, pattern: '^[\\w.:-]{8,255}$' },
      },
    ],
    requestExample: {
      contractNumber: '10000001',
      invoiceNumbers: ['FE-2026-0001'],
      payerEmail: 'pagador@example.com',
      paymentMethod: 'PSE',
      acceptTerms: true,
    },
  },
  body: guests.guestPaymentBodySchema,
  handle: async ({ body, request, headers }) => ({
    status: 201,
    body: await guests.payAsGuest(services(), {
      clientKey: clientKeyOf(request),
      idempotencyKey: idempotencyKeyOf(headers),
      body,
    }),
  }),
});

httpFunction('guestCreatePayment', {
  methods: ['POST', 'OPTIONS'],
  route: 'guest/payments',
  authLevel: 'anonymous',
  handler: guestCreatePayment,
});
