import * as healthChecks from '../../shared/controllers/health.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { services } from '../../shared/services';

/** GET /api/health: database and queue checks; 503 when either is down. */
export const health = httpRoute({
  auth: 'none',
  doc: {
    summary: 'Estado del servicio',
    description:
      'Checks the database and the queue service; 503 when either is down. Up but degraded (200, with reasons) when the outbox owes a message older than 10 minutes, a poison queue holds messages, or a timer’s last run failed.',
    tag: 'Sistema',
    success: {
      status: 200,
      description: 'Both checks are up, status ok or degraded (503 with the same body when not)',
      schema: healthChecks.healthReportSchema,
      example: {
        status: 'ok',
        reasons: [],
        checks: { database: { status: 'up', durationMs: 3 }, queues: { status: 'up', durationMs: 12 } },
      },
    },
    errors: ['SERVICE_UNAVAILABLE'],
  },
  handle: async () => {
    const report = await healthChecks.check(services());
    return {
      status: report.status === 'unavailable' ? 503 : 200,
      body: report,
      headers: { 'Cache-Control': 'no-store' },
    };
  },
});

httpFunction('health', { methods: ['GET', 'OPTIONS'], route: 'health', authLevel: 'anonymous', handler: health });
