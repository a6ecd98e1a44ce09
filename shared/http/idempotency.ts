import type { DbOrTx } from '../clients/sql.client';
import * as idempotency from '../controllers/idempotency.controller';
import { AppError } from '../errors';
import { services } from '../services';
import { type ProblemDetails } from './errors';

/** Stores a route's answer inside the transaction that produced it (a controller's beforeCommit hook). */
export type StoreWithin = (tx: DbOrTx, body: unknown) => Promise<void>;

export const IDEMPOTENCY_KEY_PATTERN = /^[\w.:-]{8,255}$/;

/** The Idempotency-Key header of a request, required and well-formed. */
export function idempotencyKeyOf(headers: Headers): string {
  const key = headers.get('idempotency-key');
  if (!key)
    throw new AppError(
      'IDEMPOTENCY_KEY_REQUIRED',
      'Envíe un encabezado Idempotency-Key único por pago (por ejemplo un UUID).',
    );
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new AppError(
      'VALIDATION_FAILED',
      'La Idempotency-Key debe tener de 8 a 255 caracteres (letras, dígitos, . _ : -).',
      {
        errors: [{ path: 'headers.idempotency-key', message: 'Formato no válido.' }],
      },
    );
  }
  return key;
}

export type IdempotentOutcome = { replayed: idempotency.StoredAnswer } | { result: { status: number; body: unknown } };

/**
 * Runs a route at most once per (user, Idempotency-Key). The route's success is stored by the
 * `storeWithin` hook inside the route's own transaction (or after it, if the route never called
 * it); a refusal (AppError) is stored as the problem the client gets, then rethrown for the one
 * error mapping; an unexpected failure frees the key so that a retry runs again.
 */
export async function answerOnce(
  scope: idempotency.IdempotencyScope,
  successStatus: number,
  problemOf: (error: AppError) => ProblemDetails,
  run: (storeWithin: StoreWithin) => Promise<{ status?: number; body?: unknown }>,
): Promise<IdempotentOutcome> {
  const deps = services();
  const replayed = await idempotency.claim(deps, scope);
  if (replayed) return { replayed };
  let stored = false;
  const storeWithin: StoreWithin = async (tx, body) => {
    await idempotency.storeAnswer(tx, scope, { status: successStatus, body });
    stored = true;
  };
  try {
    const result = await run(storeWithin);
    const answer = { status: result.status ?? successStatus, body: result.body };
    if (!stored) await idempotency.storeAnswer(deps.db, scope, answer);
    return { result: answer };
  } catch (error) {
    if (!(error instanceof AppError)) {
      await idempotency.release(deps.db, scope).catch(() => undefined);
      throw error;
    }
    await idempotency.storeAnswer(deps.db, scope, { status: error.status, body: problemOf(error) });
    throw error;
  }
}
