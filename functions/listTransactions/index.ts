import { app } from '@azure/functions';
import { historyQuerySchema, listTransactions as list } from '../../shared/controllers/payment.controller';
import { httpRoute } from '../../shared/http/handler';
import { services } from '../../shared/services';

/** GET /api/transactions?from=&to=&cursor=&limit= → the caller's payments and reversals, newest first. */
export const listTransactions = httpRoute({
  auth: 'user',
  query: historyQuerySchema,
  handle: async ({ query, user }) => ({ body: await list(services(), user.id, query) }),
});

app.http('listTransactions', { methods: ['GET', 'OPTIONS'], route: 'transactions', authLevel: 'anonymous', handler: listTransactions });
