import { z } from 'zod';

import * as operator from '../../shared/controllers/operator.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { auditEntryJsonSchema } from '../../shared/models/audit.model';
import { pageQueryFields } from '../../shared/models/keyset';
import { pageSchema } from '../../shared/models/pagination';
import { calendarDaySchema, checkDayRange } from '../../shared/models/time';
import { services } from '../../shared/services';

/** GET /api/operator/audit?from=&to=&cursor=&limit= (operators) → who did what, when; newest first. */
export const operatorAudit = httpRoute({
  auth: 'operator',
  doc: {
    summary: 'Registro de auditoría (operador)',
    description: 'Every operator action: reversals, searches, contract views, reads of this log.',
    tag: 'Operación',
    success: {
      status: 200,
      description: 'A page of audit entries',
      schema: pageSchema(auditEntryJsonSchema).meta({ id: 'AuditPage' }),
    },
  },
  query: z
    .object({ from: calendarDaySchema.optional(), to: calendarDaySchema.optional(), ...pageQueryFields })
    .superRefine(checkDayRange),
  handle: async ({ query, user }) => ({ body: await operator.audit(services(), user.id, query) }),
});

httpFunction('operatorAudit', {
  methods: ['GET', 'OPTIONS'],
  route: 'operator/audit',
  authLevel: 'anonymous',
  handler: operatorAudit,
});
