import * as gatewayPayments from '../../shared/controllers/gatewayPayment.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { pageSchema } from '../../shared/models/pagination';
import { paymentJsonSchema } from '../../shared/models/payment.model';
import { services } from '../../shared/services';

/** GET /api/payments?status=&cursor=&limit= → the caller's gateway payments, newest first. */
export const listPayments = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Mis pagos en la pasarela',
    tag: 'Pagos',
    success: {
      status: 200,
      description: 'A page of payments',
      schema: pageSchema(paymentJsonSchema).meta({ id: 'PaymentPage' }),
    },
  },
  query: gatewayPayments.paymentListQuerySchema,
  handle: async ({ query, user }) => ({ body: await gatewayPayments.listPayments(services(), user.id, query) }),
});

httpFunction('listPayments', {
  methods: ['GET', 'OPTIONS'],
  route: 'payments',
  authLevel: 'anonymous',
  handler: listPayments,
});
