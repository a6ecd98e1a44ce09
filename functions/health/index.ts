import { app } from '@azure/functions';
import { checkHealth } from '../../shared/controllers/health.controller';
import { httpRoute } from '../../shared/http/handler';
import { services } from '../../shared/services';

/** GET /api/health: database and queue checks; 503 when either is down. */
export const health = httpRoute({
  auth: 'none',
  handle: async () => {
    const report = await checkHealth(services());
    return { status: report.status === 'ok' ? 200 : 503, body: report, headers: { 'Cache-Control': 'no-store' } };
  },
});

app.http('health', { methods: ['GET', 'OPTIONS'], route: 'health', authLevel: 'anonymous', handler: health });
