import { randomUUID } from 'node:crypto';

import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';

import type { BeforeCommit } from '../clients/sql.client';
import { isDatabaseUnavailable } from '../clients/sql.client';
import { appMetrics, contextOf, inSpan, SpanKind } from '../clients/telemetry.client';
import { config } from '../config';
import { AppError, type FieldError } from '../errors';
import { requestStarted } from '../load';
import { authenticate, type AuthUser } from './auth';
import { corsHeaders, isPreflight, preflightResponse } from './cors';
import { toProblem } from './errors';
import { answerOnce, idempotencyKeyOf } from './idempotency';
import type { RouteContract, RouteDoc, UploadSpec } from './openapi';

/** What a route's handle() receives: validated input plus the request context. */
export interface RouteInput<B, Q, P, U> {
  body: B;
  query: Q;
  params: P;
  user: U;
  headers: Headers;
  request: HttpRequest;
  requestId: string;
  context: InvocationContext;
  /** Idempotent routes: stores the answer inside the route's own transaction (pass it to the controller). */
  beforeCommit?: BeforeCommit;
  /** Upload routes: the body as sent (a file), checked for its media type and size. */
  upload: Buffer;
}

/** What a route's handle() returns; JSON by default, or a binary file. */
export interface RouteResult {
  status?: number;
  body?: unknown;
  file?: { contentType: string; data: Buffer; filename?: string };
  headers?: Record<string, string>;
}

type Auth = 'none' | 'user' | 'operator';
type UserFor<A extends Auth> = A extends 'none' ? undefined : AuthUser;

export interface RouteSpec<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType, A extends Auth> {
  auth: A;
  body?: B;
  query?: Q;
  params?: P;
  /** The body is a file of one of these media types (text/csv…), not JSON: handle() gets it as `upload`. */
  upload?: UploadSpec;
  /** 'required': an Idempotency-Key header per request; its first answer is replayed (shared/http/idempotency.ts). */
  idempotency?: 'required';
  /** For the OpenAPI document (shared/http/openapi.ts). */
  doc: RouteDoc;
  /** A route that pays or opens a payment: its durations go to the pay latency histogram. */
  payment?: true;
  handle: (input: RouteInput<z.output<B>, z.output<Q>, z.output<P>, UserFor<A>>) => Promise<RouteResult>;
}

/**
 * Wraps a route: request id, CORS, auth guard, body/query/param validation and the mapping of
 * anything thrown to problem+json. Function files stay thin: a spec and a controller call.
 */
export function httpRoute<
  B extends z.ZodType = z.ZodUndefined,
  Q extends z.ZodType = z.ZodUndefined,
  P extends z.ZodType = z.ZodUndefined,
  A extends Auth = 'none',
>(spec: RouteSpec<B, Q, P, A>): HttpHandler & { contract: RouteContract } {
  const handler = async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const started = performance.now();
    const finished = requestStarted();
    // The caller's trace: the Functions host's (which read the request's traceparent) or the header's.
    const parent = context.traceContext?.traceParent
      ? contextOf(context.traceContext.traceParent, context.traceContext.traceState)
      : contextOf(request.headers.get('traceparent'), request.headers.get('tracestate'));
    try {
      return await inSpan(
        `${request.method} ${context.functionName}`,
        {
          kind: SpanKind.SERVER,
          parent,
          attributes: { 'http.request.method': request.method, 'faas.name': context.functionName },
        },
        async (span) => {
          const response = await answer(request, context, started);
          const status = response.status ?? 200;
          span.setAttribute('http.response.status_code', status);
          if (spec.payment) {
            appMetrics().payDuration.record((performance.now() - started) / 1000, {
              function: context.functionName,
              status,
            });
          }
          return response;
        },
      );
    } finally {
      finished();
    }
  };
  const answer = async (
    request: HttpRequest,
    context: InvocationContext,
    started: number,
  ): Promise<HttpResponseInit> => {
    const requestId = requestIdOf(request);
    const origin = request.headers.get('origin');
    const instance = new URL(request.url).pathname;
    let response: HttpResponseInit;
    try {
      if (isPreflight(request)) {
        response = preflightResponse(origin, config().http.corsOrigins);
      } else {
        const user = (spec.auth === 'none' ? undefined : await authenticate(request, spec.auth)) as UserFor<A>;
        const input = {
          body: spec.body ? validate(spec.body, await readJsonBody(request), 'body') : undefined,
          upload: spec.upload ? await readUpload(request, spec.upload) : undefined,
          query: spec.query ? validate(spec.query, Object.fromEntries(request.query.entries()), 'query') : undefined,
          params: spec.params ? validate(spec.params, request.params, 'params') : undefined,
          user,
          headers: request.headers,
          request,
          requestId,
          context,
        } as RouteInput<z.output<B>, z.output<Q>, z.output<P>, UserFor<A>>;
        response =
          spec.idempotency === 'required'
            ? await idempotentResponse(spec, input, instance)
            : toResponse(await spec.handle(input));
      }
    } catch (error) {
      response = errorResponse(error, requestId, instance, context);
      if (spec.idempotency === 'required')
        response.headers = { ...(response.headers as Record<string, string>), 'Idempotent-Replayed': 'false' };
    }
    response.headers = {
      ...(response.headers as Record<string, string>),
      ...corsHeaders(origin, config().http.corsOrigins),
      'X-Request-Id': requestId,
    };
    // One structured line per request (the Functions worker sends it to the host asynchronously).
    context.log(
      JSON.stringify({
        request: requestId,
        method: request.method,
        path: instance,
        status: response.status ?? 200,
        ms: Math.round((performance.now() - started) * 10) / 10,
      }),
    );
    return response;
  };
  // The same schemas that validate this route describe it in the OpenAPI document.
  return Object.assign(handler, {
    contract: {
      auth: spec.auth,
      body: spec.body,
      upload: spec.upload,
      query: spec.query,
      params: spec.params,
      doc: spec.doc,
    },
  });
}

/** Runs an idempotent route once per (user, key) and answers with its first answer ever after. */
async function idempotentResponse<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType, A extends Auth>(
  spec: RouteSpec<B, Q, P, A>,
  input: RouteInput<z.output<B>, z.output<Q>, z.output<P>, UserFor<A>>,
  instance: string,
): Promise<HttpResponseInit> {
  const userId = input.user?.id ?? 'anonymous';
  const scope = {
    userId,
    key: idempotencyKeyOf(input.headers),
    request: { userId, ...(input.params as object), ...(input.body as object) },
  };
  const outcome = await answerOnce(
    scope,
    spec.doc.success.status,
    (error) => toProblem(error, input.requestId, instance),
    (beforeCommit) => spec.handle({ ...input, beforeCommit }),
  );
  if ('result' in outcome) {
    const response = toResponse(outcome.result);
    return {
      ...response,
      headers: { ...(response.headers as Record<string, string>), 'Idempotent-Replayed': 'false' },
    };
  }
  const { status, body } = outcome.replayed;
  const contentType = status >= 400 ? 'application/problem+json; charset=utf-8' : 'application/json; charset=utf-8';
  return {
    status,
    body: JSON.stringify(body),
    headers: { 'Content-Type': contentType, 'Idempotent-Replayed': 'true' },
  };
}

/** Runs a schema and turns its issues into VALIDATION_FAILED with field paths. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  // One message per field: the first rule it broke (an empty name is "empty", not also "too short").
  const errors: FieldError[] = [];
  for (const issue of result.error.issues) {
    const path = [where, ...issue.path.map(String)].join('.');
    if (!errors.some((error) => error.path === path)) errors.push({ path, message: issue.message });
  }
  throw new AppError('VALIDATION_FAILED', 'Revise los campos indicados en errors.', { errors });
}

async function readJsonBody(request: HttpRequest): Promise<unknown> {
  const limit = config().http.maxBodyBytes;
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > limit) throw new AppError('PAYLOAD_TOO_LARGE', `El cuerpo supera el límite de ${limit} bytes.`);
  const raw = Buffer.from(await request.arrayBuffer());
  if (raw.length > limit) throw new AppError('PAYLOAD_TOO_LARGE', `El cuerpo supera el límite de ${limit} bytes.`);
  if (raw.length === 0) return {};
  const contentType = request.headers.get('content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(contentType)) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Envíe el cuerpo con Content-Type: application/json.');
  }
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new AppError('MALFORMED_JSON', 'El cuerpo no se pudo interpretar como JSON.');
  }
}

/** A file sent as the body: its media type among the route's, not empty, within UPLOAD_MAX_BYTES. */
async function readUpload(request: HttpRequest, spec: UploadSpec): Promise<Buffer> {
  const limit = config().http.maxUploadBytes;
  const contentType = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!spec.mediaTypes.includes(contentType)) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Envíe el archivo con Content-Type: ${spec.mediaTypes.join(' o ')}.`);
  }
  if (Number(request.headers.get('content-length') ?? '0') > limit)
    throw new AppError('PAYLOAD_TOO_LARGE', `El archivo supera el límite de ${limit} bytes.`);
  const raw = Buffer.from(await request.arrayBuffer());
  if (raw.length > limit) throw new AppError('PAYLOAD_TOO_LARGE', `El archivo supera el límite de ${limit} bytes.`);
  if (raw.length === 0)
    throw new AppError('VALIDATION_FAILED', 'El archivo está vacío.', {
      errors: [{ path: 'body', message: 'Envíe el contenido del archivo en el cuerpo.' }],
    });
  return raw;
}

function toResponse(result: RouteResult): HttpResponseInit {
  const headers: Record<string, string> = { ...result.headers };
  if (result.file) {
    headers['Content-Type'] = result.file.contentType;
    if (result.file.filename) headers['Content-Disposition'] = `inline; filename="${result.file.filename}"`;
    // A coupon or invoice PDF holds personal data and a payable barcode: no cache keeps it.
    headers['Cache-Control'] = 'no-store';
    return { status: result.status ?? 200, body: result.file.data, headers };
  }
  if (result.body === undefined) return { status: result.status ?? 204, headers };
  headers['Content-Type'] ??= 'application/json; charset=utf-8';
  return { status: result.status ?? 200, body: JSON.stringify(result.body), headers };
}

/** The one place where anything thrown becomes an HTTP answer. */
export function errorResponse(
  error: unknown,
  requestId: string,
  instance: string,
  context: InvocationContext,
): HttpResponseInit {
  const appError =
    error instanceof AppError
      ? error
      : isDatabaseUnavailable(error)
        ? new AppError(
            'SERVICE_UNAVAILABLE',
            'La base de datos no responde en este momento. Intente de nuevo en unos segundos.',
            { retryAfterSeconds: 5 },
          )
        : new AppError('INTERNAL_ERROR', 'Ocurrió un error inesperado. Intente de nuevo.');
  if (!(error instanceof AppError)) {
    // Logged with the request id so support can find it; the client never sees internals.
    context.error(
      `Unhandled error [request ${requestId}]:`,
      error instanceof Error ? (error.stack ?? error.message) : String(error),
    );
  }
  const headers: Record<string, string> = {
    'Content-Type': 'application/problem+json; charset=utf-8',
    ...appError.extras.headers,
  };
  if (appError.extras.retryAfterSeconds !== undefined)
    headers['Retry-After'] = String(appError.extras.retryAfterSeconds);
  return { status: appError.status, body: JSON.stringify(toProblem(appError, requestId, instance)), headers };
}

function requestIdOf(request: HttpRequest): string {
  const given = request.headers.get('x-request-id');
  return given && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
}
