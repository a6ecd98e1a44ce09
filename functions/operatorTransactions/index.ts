import { z } from 'zod';

import * as operator from '../../shared/controllers/operator.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { contractNumberSchema } from '../../shared/models/contract.model';
import { couponCodeSchema } from '../../shared/models/coupon.model';
import { pageQueryFields } from '../../shared/models/keyset';
import { pageSchema } from '../../shared/models/pagination';
import { calendarDaySchema, checkDayRange } from '../../shared/models/time';
import { operatorTransactionJsonSchema } from '../../shared/models/transaction.model';
import { emailSchema } from '../../shared/models/user.model';
import { services } from '../../shared/services';

/** GET /api/operator/transactions?contractNumber=&invoiceNumber=&couponCode=&email=&type=&from=&to= (operators) */
export const operatorTransactions = httpRoute({
  auth: 'operator',
  doc: {
    summary: 'Buscar pagos y reversiones de cualquier cliente (operador)',
    description:
      'Every filter is optional and exact; from/to are Colombian calendar days, inclusive. Each search is audited.',
    tag: 'Operación',
    success: {
      status: 200,
      description: 'A page of transactions, newest first',
      schema: pageSchema(operatorTransactionJsonSchema).meta({ id: 'OperatorTransactionPage' }),
    },
  },
  query: z
    .object({
      contractNumber: contractNumberSchema.optional(),
      invoiceNumber: z.string().trim().min(1).max(40).optional(),
      couponCode: couponCodeSchema.optional(),
      email: emailSchema.optional(),
      type: z.enum(['PAYMENT', 'REVERSAL']).optional(),
      from: calendarDaySchema.optional(),
      to: calendarDaySchema.optional(),
      ...pageQueryFields,
    })
    .superRefine(checkDayRange),
  handle: async ({ query, user }) => ({ body: await operator.transactions(services(), user.id, query) }),
});

httpFunction('operatorTransactions', {
  methods: ['GET', 'OPTIONS'],
  route: 'operator/transactions',
  authLevel: 'anonymous',
  handler: operatorTransactions,
});
