import http from 'node:http';

import { AppError, type ErrorCode, toProblem } from '../shared/http/errors';
import type { RegisteredFunction, TypedData } from './functionsCore';
import { type HostLog, invoke, triggerOf } from './invoke';
import { type CompiledRoute, compileRoute, matchRoute, sortRoutes } from './routes';

/** Bodies larger than this are refused by the host itself, before any function sees them. */
const HOST_MAX_BODY_BYTES = 10 * 1024 * 1024;

function problem(res: http.ServerResponse, code: ErrorCode, detail: string, headers: Record<string, string> = {}): void {
  const error = new AppError(code, detail);
  res.writeHead(error.status, { 'Content-Type': 'application/problem+json; charset=utf-8', ...headers });
  res.end(JSON.stringify(toProblem(error)));
}

async function readBody(req: http.IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > HOST_MAX_BODY_BYTES) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function headerRecord(req: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

export function httpRoutes(functions: RegisteredFunction[]): CompiledRoute<RegisteredFunction>[] {
  const routes = functions
    .filter((fn) => triggerOf(fn).type === 'httpTrigger')
    .map((fn) => {
      const options = triggerOf(fn).options;
      const template = typeof options.route === 'string' ? options.route : fn.metadata.name;
      const methods = Array.isArray(options.methods) ? (options.methods as string[]) : undefined;
      return compileRoute(template, methods, fn);
    });
  return sortRoutes(routes);
}

/** Serves the app's HTTP triggers under /<routePrefix>/ like the Functions host. */
export function createHttpServer(functions: RegisteredFunction[], routePrefix: string, log: HostLog): http.Server {
  const routes = httpRoutes(functions);
  const prefix = `/${routePrefix}`;
  return http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
      const method = (req.method ?? 'GET').toUpperCase();
      if (url.pathname !== prefix && !url.pathname.startsWith(prefix + '/')) {
        problem(res, 'ROUTE_NOT_FOUND', `No existe la ruta ${url.pathname}.`);
        return;
      }
      const match = matchRoute(routes, method, url.pathname.slice(prefix.length) || '/');
      if (match.kind === 'not-found') {
        problem(res, 'ROUTE_NOT_FOUND', `No existe la ruta ${url.pathname}.`);
        return;
      }
      if (match.kind === 'method-not-allowed') {
        problem(res, 'METHOD_NOT_ALLOWED', `La ruta ${url.pathname} no acepta ${method}.`, { Allow: match.allowed.join(', ') });
        return;
      }
      const body = await readBody(req);
      if (body === 'too-large') {
        problem(res, 'PAYLOAD_TOO_LARGE', 'El cuerpo de la solicitud es demasiado grande.', { Connection: 'close' });
        return;
      }
      const request: TypedData = {
        http: {
          method,
          url: url.toString(),
          headers: { ...headerRecord(req), 'x-forwarded-for': [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ') },
          query: Object.fromEntries(url.searchParams.entries()),
          params: match.params,
          body: { bytes: body },
        },
      };
      const { response } = await invoke(match.route.target, request, {}, log);
      const rpc = response.returnValue?.http;
      res.writeHead(Number(rpc?.statusCode ?? 200), rpc?.headers ?? {});
      res.end(rpc?.body?.bytes ? Buffer.from(rpc.body.bytes) : (rpc?.body?.string ?? undefined));
    })().catch((error: unknown) => {
      log(`HTTP request failed in the host: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) problem(res, 'INTERNAL_ERROR', 'Ocurrió un error inesperado. Intente de nuevo.');
      else res.end();
    });
  });
}
