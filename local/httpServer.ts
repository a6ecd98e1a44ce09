import http from 'node:http';
import type { Duplex } from 'node:stream';

import type { FunctionCallback, RegisteredFunction, TypedData } from './functionsCore';
import { type HostLog, invoke, triggerOf } from './invoke';
import { type CompiledRoute, compileRoute, matchRoute, sortRoutes } from './routes';

/**
 * Bodies larger than this are refused by the host itself, before any function sees them: 100 MB,
 * the Functions host's own default (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT).
 */
export const HOST_MAX_BODY_BYTES = 100 * 1024 * 1024;

/**
 * What the host answers when a body is over its route's limit (the app's own problem, built by the
 * app, and only when a body is refused: building it is most of the rule's cost).
 */
export interface BodyRefusal {
  maxBytes: number;
  tooLarge: () => { status: number; headers: Record<string, string>; body: string };
}

/**
 * The front door's rule for one request, asked before its body is read: the app tells, from the
 * function and the request's headers, how many bytes it may send (JSON routes a little, operator
 * uploads more, and only once the caller is known to be an operator). A host without one takes
 * up to HOST_MAX_BODY_BYTES, as the Functions host does.
 */
export type BodyPolicy = (
  callback: FunctionCallback,
  request: { method: string; url: string; headers: Record<string, string> },
) => Promise<BodyRefusal>;

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

/**
 * The body up to `maxBytes`; past it, nothing more is kept (the rest is never held) and the
 * request is left open, so the host can still answer on its connection.
 */
function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      done();
      chunks.length = 0;
      resolve('too-large');
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** How long a refused request's connection lingers, discarding what the client still sends, before it is cut. */
const LINGER_MS = 2000;

/**
 * A 413 sent at once. The rest of the body is read and dropped (never held), as nginx's
 * lingering close does: closing the socket while the client still sends would reset the
 * connection and lose the answer on the client's side. A client still sending after
 * LINGER_MS is cut off.
 */
function refuseBody(req: http.IncomingMessage, res: http.ServerResponse, refusal: BodyRefusal | undefined): void {
  const answer = refusal?.tooLarge() ?? {
    status: 413,
    headers: { 'Content-Type': 'application/problem+json; charset=utf-8' },
    body: JSON.stringify({ type: 'about:blank', title: 'Payload Too Large', status: 413 }),
  };
  res.writeHead(answer.status, { ...answer.headers, 'Content-Length': String(Buffer.byteLength(answer.body)) });
  res.end(answer.body);
  // The client may give up mid-body (a reset): nothing is owed to it any more.
  req.on('error', () => undefined);
  req.resume();
  const socket = req.socket;
  const cut = setTimeout(() => socket.destroy(), LINGER_MS);
  cut.unref();
  req.once('end', () => clearTimeout(cut));
  socket.once('close', () => clearTimeout(cut));
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
export function createHttpServer(
  functions: RegisteredFunction[],
  routePrefix: string,
  log: HostLog,
  bodyPolicy?: BodyPolicy,
): http.Server {
  const routes = httpRoutes(functions);
  const prefix = `/${routePrefix}`;
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
      const method = (req.method ?? 'GET').toUpperCase();
      if (url.pathname !== prefix && !url.pathname.startsWith(prefix + '/')) return notFound(res);
      const match = matchRoute(routes, method, url.pathname.slice(prefix.length) || '/');
      if (match.kind !== 'found') return notFound(res);
      const headers = {
        ...headerRecord(req),
        'x-forwarded-for': [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', '),
      };
      const refusal = bodyPolicy
        ? await bodyPolicy(match.route.target.callback, { method, url: url.toString(), headers })
        : undefined;
      const maxBytes = Math.min(refusal?.maxBytes ?? HOST_MAX_BODY_BYTES, HOST_MAX_BODY_BYTES);
      // Refused by its declared length before a byte is read, or while it streams past the limit.
      if (Number(req.headers['content-length'] ?? 0) > maxBytes) return refuseBody(req, res, refusal);
      const body = await readBody(req, maxBytes);
      if (body === 'too-large') return refuseBody(req, res, refusal);
      const request: TypedData = {
        http: {
          method,
          url: url.toString(),
          headers,
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
