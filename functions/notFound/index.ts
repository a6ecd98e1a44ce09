import { z } from 'zod';

import { AppError } from '../../shared/errors';
import { httpRoute } from '../../shared/http/handler';
import { methodsFor } from '../../shared/http/routeCatalog';
import { httpFunction } from '../../shared/http/routes';

/**
 * Every request no other function takes (the Functions host tries literal and parameter routes
 * before a catch-all): 405 METHOD_NOT_ALLOWED with Allow when the path exists with other methods,
 * otherwise 404 ROUTE_NOT_FOUND, both problem+json — the same answer in Azure and under npm start.
 */
export const notFound = httpRoute({
  auth: 'none',
  doc: {
    summary: 'Ruta inexistente',
    tag: 'Sistema',
    success: { status: 404, description: 'Never succeeds' },
    hidden: true,
  },
  params: z.object({ path: z.string().optional() }),
  handle: async ({ params, request }) => {
    const path = `/${params.path ?? ''}`;
    const allowed = methodsFor(path);
    if (allowed.length > 0) {
      throw new AppError('METHOD_NOT_ALLOWED', `La ruta ${path} no acepta ${request.method}.`, {
        headers: { Allow: [...allowed, 'OPTIONS'].join(', ') },
      });
    }
    throw new AppError('ROUTE_NOT_FOUND', `No existe la ruta ${new URL(request.url).pathname}.`);
  },
});

httpFunction('notFound', {
  methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
  route: '{*path}',
  authLevel: 'anonymous',
  handler: notFound,
});
