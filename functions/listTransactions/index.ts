import { z } from 'zod';

import * as payments from '../../shared/controllers/payment.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { pageQueryFields } from '../../shared/models/keyset';
import { pageSchema } from '../../shared/models/pagination';
import { calendarDaySchema, checkDayRange } from '../../shared/models/time';
import { transactionJsonSchema } from '../../shared/models/transaction.model';
import { services } from '../../shared/services';

/** GET /api/transactions?from=&to=&cursor=&limit= → the caller's payments and reversals, newest first. */
export const listTransactions = httpRoute({
  auth: 'user',
  doc: {
    summary: 'Historial de pagos y reversiones',
    description: 'from/to are Colombian calendar days (YYYY-MM-DD), inclusive, at most 366 days apart.',
    tag: 'Pagos',
    success: {
      status: 200,
      description: 'A page of transactions',
      schema: pageSchema(transactionJsonSchema).meta({ id: 'TransactionPage' }),
    },
  },
  query: z
    .object({ from: calendarDaySchema.optional(), to: calendarDaySchema.optional(), ...pageQueryFields })
    .superRefine(checkDayRange),
  handle: async ({ query, user }) => ({ body: await payments.list(services(), user.id, query) }),
});

httpFunction('listTransactions', {
  methods: ['GET', 'OPTIONS'],
  route: 'transactions',
  authLevel: 'anonymous',
  handler: listTransactions,
});
