import { randomUUID } from 'node:crypto';

import { HttpRequest } from '@azure/functions';

import { config } from '../config';
import { AppError } from '../errors';
import { authenticate } from './auth';
import { corsHeaders } from './cors';
import { toProblem } from './errors';
import type { RouteContract } from './openapi';

/**
 * How many body bytes a request may send, decided from its route and headers before a byte of the
 * body is read (the local host asks this; in Azure the same numbers are the host's and the front
 * door's, docs/deploy.md): MAX_BODY_BYTES for every route, UPLOAD_MAX_BYTES only for an upload
 * route and only when the bearer token is an operator's. So an anonymous 95 MB request costs 64 KB.
 */
export async function requestBodyLimit(
  handler: unknown,
  request: { method: string; url: string; headers: Record<string, string> },
): Promise<{ maxBytes: number; tooLarge: () => { status: number; headers: Record<string, string>; body: string } }> {
  const contract = (handler as { contract?: RouteContract } | undefined)?.contract;
  const settings = config().http;
  const upload = contract?.upload !== undefined && (await isOperator(request));
  const maxBytes = upload ? settings.maxUploadBytes : settings.maxBodyBytes;
  const tooLarge = () => {
    const given = request.headers['x-request-id'];
    const requestId = given && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
    const error = new AppError(
      'PAYLOAD_TOO_LARGE',
      contract?.upload !== undefined && !upload
        ? `El cuerpo supera el límite de ${maxBytes} bytes; los archivos los cargan operadores autenticados.`
        : `El cuerpo supera el límite de ${maxBytes} bytes.`,
    );
    return {
      status: error.status,
      headers: {
        'Content-Type': 'application/problem+json; charset=utf-8',
        'X-Request-Id': requestId,
        ...corsHeaders(request.headers.origin ?? null, settings.corsOrigins),
      },
      body: JSON.stringify(toProblem(error, requestId, new URL(request.url).pathname)),
    };
  };
  return { maxBytes, tooLarge };
}

async function isOperator(request: { method: string; url: string; headers: Record<string, string> }): Promise<boolean> {
  if (!request.headers.authorization) return false;
  try {
    await authenticate(
      new HttpRequest({ method: request.method, url: request.url, headers: request.headers }),
      'operator',
    );
    return true;
  } catch {
    return false;
  }
}
