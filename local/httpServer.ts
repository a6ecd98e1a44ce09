import http from 'node:http';
import type { Duplex } from 'node:stream';

import type { RegisteredFunction, TypedData } from './functionsCore';
import { type HostLog, invoke, triggerOf } from './invoke';
import { type CompiledRoute, compileRoute, matchRoute, sortRoutes } from './routes';

/**
 * Bodies larger than this are refused by the host itself, before any function sees them: 100 MB,
 * the Functions host's own default (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT), so that an operator's file
 * upload up to UPLOAD_MAX_BYTES behaves locally as in Azure.
 */
const HOST_MAX_BODY_BYTES = 100 * 1024 * 1024;

/**
 * The host's own answers, for requests no function sees (RFC 9457, type about:blank: these are
 * HTTP's problems, not the app's). An unmatched route or method is a bare 404, as the Functions
 * host gives it; the app answers those itself through its catch-all function.
 */
function hostProblem(
  res: http.ServerResponse,
  status: number,
  title: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'Content-Type': 'application/problem+json; charset=utf-8', ...headers });
  res.end(JSON.stringify({ type: 'about:blank', title, status }));
}

function notFound(res: http.ServerResponse): void {
  res.writeHead(404, { 'Content-Length': '0' });
  res.end();
}

/** Malformed requests node's parser refuses before any route: 431 for oversized headers, else 400. */
function onClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) return;
  const [status, title] =
    error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
  const body = JSON.stringify({ type: 'about:blank', title, status });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
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
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
      const method = (req.method ?? 'GET').toUpperCase();
      if (url.pathname !== prefix && !url.pathname.startsWith(prefix + '/')) return notFound(res);
      const match = matchRoute(routes, method, url.pathname.slice(prefix.length) || '/');
      if (match.kind !== 'found') return notFound(res);
      const body = await readBody(req);
      if (body === 'too-large') return hostProblem(res, 413, 'Payload Too Large', { Connection: 'close' });
      const request: TypedData = {
        http: {
          method,
          url: url.toString(),
          headers: {
            ...headerRecord(req),
            'x-forwarded-for': [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', '),
          },
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
      if (!res.headersSent) hostProblem(res, 500, 'Internal Server Error');
      else res.end();
    });
  });
  server.on('clientError', onClientError);
  return server;
}
