import { z } from 'zod';

import * as gatewayPayments from '../../shared/controllers/gatewayPayment.controller';
import { wompiEventSchema } from '../../shared/formats/wompi';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { services } from '../../shared/services';

/** POST /api/payments/events (the gateway's webhook) → 200 {received: true} for any valid event. */
export const paymentEvents = httpRoute({
  auth: 'none',
  doc: {
    summary: 'Eventos de la pasarela (webhook)',
    description:
      "Wompi's transaction.updated event. Its checksum (SHA-256 of signature.properties' values, the timestamp and " +
      'WOMPI_EVENTS_SECRET; also in X-Event-Checksum) is checked in constant time; each event is stored once and ' +
      'applied once, however often it arrives (docs/payments.md).',
    tag: 'Pagos',
    success: {
      status: 200,
      description: 'The event was valid (new, repeated, or of an unknown reference)',
      schema: z.object({ received: z.literal(true) }).meta({ id: 'EventReceived' }),
    },
    errors: ['INVALID_EVENT_SIGNATURE'],
  },
  body: wompiEventSchema,
  handle: async ({ body, headers }) => {
    await gatewayPayments.receiveEvent(services(), body, headers.get('x-event-checksum') ?? undefined);
    return { body: { received: true } };
  },
});

httpFunction('paymentEvents', {
  methods: ['POST', 'OPTIONS'],
  route: 'payments/events',
  authLevel: 'anonymous',
  handler: paymentEvents,
});
