import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Clock } from '../clients/clock.client';
import type { Db } from '../clients/sql.client';
import type { Config } from '../config';
import { AppError } from '../errors';
import { readCheckoutQuery, sameSecret, signedEvent, type WompiTransaction } from '../formats/wompi';
import {
  findSandboxTransaction,
  insertSandboxTransaction,
  sandboxToWompi,
  sandboxTransactionsOf,
  voidSandboxTransaction,
} from '../models/sandbox.model';
import {
  renderCheckoutPage,
  renderCheckoutRefusal,
  SANDBOX_DECISIONS,
  type SandboxDecision,
} from '../views/sandboxCheckout';

/**
 * The embedded Wompi-compatible gateway (PAYMENT_PROVIDER=sandbox), served by the app as Azurite
 * serves Storage: a checkout page, the signed events it sends to POST /api/payments/events, and
 * the transactions API. It speaks the protocol through shared/formats/wompi.ts, as the production
 * adapter does; its routes answer 404 with any other provider.
 */
export interface SandboxDeps {
  db: Db;
  clock: Clock;
  config: Pick<Config, 'payments'>;
}

export function assertSandbox(deps: Pick<SandboxDeps, 'config'>): void {
  if (deps.config.payments.provider !== 'sandbox') throw new AppError('ROUTE_NOT_FOUND');
}

export interface HtmlPage {
  status: number;
  html: string;
}

/**
 * A refused link or form: a page for a person's browser (it asked for text/html), the usual
 * problem+json for anything else.
 */
function refusal(reason: string, accept: string | null): HtmlPage {
  if ((accept ?? '').includes('text/html')) return { status: 400, html: renderCheckoutRefusal(reason) };
  throw new AppError('CHECKOUT_LINK_INVALID', reason);
}

export function checkoutPage(deps: SandboxDeps, query: URLSearchParams, accept: string | null): HtmlPage {
  assertSandbox(deps);
  const read = readCheckoutQuery(query, deps.config.payments.integritySecret, deps.clock.now());
  if ('refused' in read) return refusal(read.refused, accept);
  return { status: 200, html: renderCheckoutPage(read.fields, query) };
}

const METHOD_TYPES = new Set(['CARD', 'PSE', 'NEQUI', 'BANCOLOMBIA_TRANSFER']);

/**
 * The customer's decision on the checkout page: the sandbox transaction is recorded, its signed
 * event sent to the app's webhook (unless APPROVED_NO_EVENT: the reconciler must find it), and the
 * customer sent back to the redirect URL with the transaction's id, as Wompi does.
 */
export async function decide(
  deps: SandboxDeps,
  form: URLSearchParams,
  eventsUrl: string,
  accept: string | null,
): Promise<{ redirect: string } | HtmlPage> {
  assertSandbox(deps);
  const now = deps.clock.now();
  const read = readCheckoutQuery(form, deps.config.payments.integritySecret, now);
  if ('refused' in read) return refusal(read.refused, accept);
  const decision = form.get('decision') as SandboxDecision | null;
  if (!decision || !SANDBOX_DECISIONS.includes(decision)) return refusal('Elija aprobar o rechazar el pago.', accept);
  const method = form.get('payment-method') ?? 'CARD';
  const transaction = {
    id: `sbx-${randomBytes(12).toString('hex')}`,
    reference: read.fields.reference,
    amountInCents: read.fields.amountInCents,
    currency: read.fields.currency,
    status: decision === 'DECLINED' ? ('DECLINED' as const) : ('APPROVED' as const),
    paymentMethodType: METHOD_TYPES.has(method) ? method : 'CARD',
    redirectUrl: read.fields.redirectUrl,
    createdAt: now,
    finalizedAt: now,
  };
  await insertSandboxTransaction(deps.db, transaction);
  if (decision !== 'APPROVED_NO_EVENT') void deliverEvent(deps, sandboxToWompi(transaction), eventsUrl);
  const back = new URL(read.fields.redirectUrl);
  back.searchParams.set('id', transaction.id);
  back.searchParams.set('env', 'test');
  return { redirect: back.toString() };
}

/** Backoff between the sandbox's attempts to deliver one event (Wompi's own: 30 min, 3 h, 24 h). */
export const SANDBOX_EVENT_RETRY_MS = [0, 1_000, 5_000, 30_000];

/** POSTs the signed event until the app answers 200, a few times; a lost one is the reconciler's. */
async function deliverEvent(deps: SandboxDeps, transaction: WompiTransaction, eventsUrl: string): Promise<void> {
  const event = signedEvent(transaction, deps.config.payments.eventsSecret, deps.clock.now());
  for (const wait of SANDBOX_EVENT_RETRY_MS) {
    await sleep(wait);
    try {
      const response = await fetch(eventsUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Event-Checksum': event.signature.checksum },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // The app is down or restarting: try again after the next wait.
    }
  }
}

/** The transactions API answers only to the private key, as Wompi's does. */
function assertPrivateKey(deps: SandboxDeps, authorization: string | null): void {
  assertSandbox(deps);
  const given = (authorization ?? '').replace(/^Bearer\s+/i, '');
  if (!sameSecret(given, deps.config.payments.privateKey))
    throw new AppError('UNAUTHENTICATED', 'Llave privada no válida.');
}

export async function apiTransaction(
  deps: SandboxDeps,
  authorization: string | null,
  id: string,
): Promise<{ data: WompiTransaction }> {
  assertPrivateKey(deps, authorization);
  const transaction = await findSandboxTransaction(deps.db, id);
  if (!transaction) throw new AppError('GATEWAY_TRANSACTION_NOT_FOUND');
  return { data: sandboxToWompi(transaction) };
}

export async function apiTransactionsOf(
  deps: SandboxDeps,
  authorization: string | null,
  reference: string,
): Promise<{ data: WompiTransaction[] }> {
  assertPrivateKey(deps, authorization);
  return { data: (await sandboxTransactionsOf(deps.db, reference)).map(sandboxToWompi) };
}

export async function apiVoid(
  deps: SandboxDeps,
  authorization: string | null,
  id: string,
): Promise<{ data: { transaction: WompiTransaction } }> {
  assertPrivateKey(deps, authorization);
  if (!(await voidSandboxTransaction(deps.db, id, deps.clock.now()))) {
    const current = await findSandboxTransaction(deps.db, id);
    if (!current) throw new AppError('GATEWAY_TRANSACTION_NOT_FOUND');
    if (current.status !== 'VOIDED') throw new AppError('VALIDATION_FAILED', 'Solo se anula una transacción aprobada.');
  }
  const voided = await findSandboxTransaction(deps.db, id);
  if (!voided) throw new Error('sandbox transaction vanished');
  return { data: { transaction: sandboxToWompi(voided) } };
}
