import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Clock } from '../clients/clock.client';
import { type BeforeCommit, type Db, inTransactionRacing } from '../clients/sql.client';
import { appMetrics } from '../clients/telemetry.client';
import type { Config } from '../config';
import { AppError } from '../errors';
import { readCheckoutQuery, sameSecret, signedEvent, type WompiTransaction } from '../formats/wompi';
import { couponToJson, findCouponByCode } from '../models/coupon.model';
import { findInvoice, invoiceToJson } from '../models/invoice.model';
import { insertPaymentEvent, setEventOutcome } from '../models/payment.model';
import {
  findSandboxTransaction,
  insertSandboxTransaction,
  sandboxToWompi,
  sandboxTransactionsOf,
  voidSandboxTransaction,
} from '../models/sandbox.model';
import { bogotaDay } from '../models/time';
import { findTransaction, type OnlinePaymentMethod, transactionToJson } from '../models/transaction.model';
import { dispatchSoon } from '../outbox';
import type { BillingDeps } from '../services';
import {
  renderCheckoutPage,
  renderCheckoutRefusal,
  SANDBOX_DECISIONS,
  type SandboxDecision,
} from '../views/sandboxCheckout';
import { couponRefusal } from './coupon.controller';
import { applyWithin, openPayment } from './gatewayPayment.controller';
import type { PaymentResult } from './payment.controller';

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

// ---- The one-step demo: POST /invoices/{invoiceId}/pay ----

export interface PayRequest {
  userId: string;
  invoiceId: string;
  couponCode: string;
  paymentMethod: OnlinePaymentMethod;
}

/**
 * The one-step payment, the sandbox's demo of what a checkout does, in one database transaction:
 * a gateway payment of the coupon is opened (PENDING; an invoice in another PENDING payment is
 * PAYMENT_IN_PROGRESS), the sandbox approves it as its checkout would, and the signed event it
 * would send is stored and applied through the webhook's own rules (recordPayment: invoice PAID,
 * coupon USED, the PAYMENT row with paymentId, receipt and notices in the outbox). All of it
 * commits or none, so a retry after a crash finds either nothing or the stored answer. With a
 * real gateway it is DIRECT_PAYMENT_DISABLED: money moves only on the gateway's word.
 */
export async function payInOneStep(
  deps: BillingDeps & { config: Pick<Config, 'payments'> },
  request: PayRequest,
  beforeCommit?: BeforeCommit<PaymentResult>,
): Promise<PaymentResult> {
  if (deps.config.payments.provider !== 'sandbox') throw new AppError('DIRECT_PAYMENT_DISABLED');
  const now = deps.clock.now();
  const { result, messageIds } = await inTransactionRacing(deps.db, async (tx) => {
    const coupon = await findCouponByCode(tx, request.couponCode, request.userId);
    if (!coupon) throw new AppError('COUPON_NOT_FOUND', 'No tiene un cupón con ese código.');
    if (coupon.invoiceId !== request.invoiceId)
      throw new AppError('COUPON_INVOICE_MISMATCH', 'El cupón es de otra factura.');
    const invoice = await findInvoice(tx, request.invoiceId);
    if (!invoice) throw new AppError('INVOICE_NOT_FOUND');
    if (invoice.status === 'PAID') throw new AppError('INVOICE_ALREADY_PAID');
    const refusal = couponRefusal(coupon, now);
    if (refusal) throw refusal;

    const payment = await openPayment(deps, tx, {
      userId: request.userId,
      paymentMethod: ONE_STEP_GATEWAY_METHODS[request.paymentMethod],
      items: [{ invoiceId: invoice.id, couponId: coupon.id, amount: coupon.amount }],
      now,
    });
    const sandboxTransaction = {
      id: `sbx-${randomBytes(12).toString('hex')}`,
      reference: payment.reference,
      amountInCents: payment.amount * 100,
      currency: payment.currency,
      status: 'APPROVED',
      paymentMethodType: ONE_STEP_GATEWAY_METHODS[request.paymentMethod],
      redirectUrl: deps.config.payments.returnUrl,
      createdAt: now,
      finalizedAt: now,
    } as const;
    await insertSandboxTransaction(tx, sandboxTransaction);
    const approved = sandboxToWompi(sandboxTransaction);
    const event = signedEvent(approved, deps.config.payments.eventsSecret, now);
    const stored = await insertPaymentEvent(tx, {
      checksum: event.signature.checksum,
      gatewayTransactionId: approved.id,
      reference: approved.reference,
      status: approved.status,
      amountInCents: approved.amount_in_cents,
      currency: approved.currency,
      payload: JSON.stringify(event),
      now,
    });
    const applied = await applyWithin(deps, tx, payment, approved, now, request.paymentMethod);
    const transactionId = applied?.transactionIds[0];
    // Paid by another channel between the check and the update (T-SQL's read committed): nothing stays.
    if (!applied || !transactionId) throw new AppError('INVOICE_ALREADY_PAID');
    await setEventOutcome(tx, stored.id, 'APPLIED', payment.id);
    const transaction = await findTransaction(tx, transactionId);
    if (!transaction) throw new Error('payment row vanished inside its own transaction');
    const paymentResult: PaymentResult = {
      transaction: transactionToJson(transaction),
      invoice: invoiceToJson({ ...invoice, status: 'PAID', paidAt: now }, bogotaDay(now)),
      coupon: couponToJson({ ...coupon, status: 'USED', closedAt: now }, deps.config.coupons.billerGln),
      paymentId: payment.id,
    };
    await beforeCommit?.(tx, paymentResult);
    return { messageIds: applied.messageIds, result: paymentResult };
  });
  appMetrics().payments.add(1, { channel: 'one-step', outcome: 'APPROVED' });
  await dispatchSoon(deps, messageIds);
  return result;
}

/**
 * The gateway method the demo's payment is opened with. No online checkout takes cash: CASH is
 * simulated as a PSE transfer at the sandbox, and the PAYMENT row says CASH, as the customer chose.
 */
const ONE_STEP_GATEWAY_METHODS = { PSE: 'PSE', CARD: 'CARD', CASH: 'PSE' } as const;

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
