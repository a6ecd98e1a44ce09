import * as system from '../../shared/controllers/system.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { services } from '../../shared/services';

/** GET /api/operator/system (operators) → queues, outbox, timers and gateway payments at a glance. */
export const operatorSystem = httpRoute({
  auth: 'operator',
  doc: {
    summary: 'Estado del sistema (operador)',
    description:
      'Each queue’s depth, its poison depth and the age of its oldest message; the outbox’s undelivered messages and the oldest; each timer’s last run; the PENDING gateway payments. Audited.',
    tag: 'Operación',
    success: { status: 200, description: 'The system view', schema: system.systemViewSchema },
    errors: ['SERVICE_UNAVAILABLE'],
  },
  handle: async ({ user }) => ({
    body: await system.systemView(services(), user.id),
    headers: { 'Cache-Control': 'no-store' },
  }),
});

httpFunction('operatorSystem', {
  methods: ['GET', 'OPTIONS'],
  route: 'operator/system',
  authLevel: 'anonymous',
  handler: operatorSystem,
});
