import { randomBytes } from 'node:crypto';

import { z } from 'zod';

import { inTransactionRacing } from '../clients/sql.client';
import { appMetrics } from '../clients/telemetry.client';
import type { Config } from '../config';
import { AppError } from '../errors';
import { type Contract, contractNumberSchema, findContractByNumber, maskWords } from '../models/contract.model';
import { couponCodeSchema, findCouponById } from '../models/coupon.model';
import {
  findGuestPayment,
  findGuestPaymentByKey,
  GUEST_PAYER_ID,
  insertGuestPayment,
  replaceGuestToken,
  sha256Hex,
  tokenMatches,
} from '../models/guestPayment.model';
import { idSchema } from '../models/ids';
import { findInvoice, type Invoice, isOverdue, listContractInvoices } from '../models/invoice.model';
import { findPayment, type PaymentJson, paymentJsonSchema } from '../models/payment.model';
import { enforceDistinctLimit, enforceRateLimit } from '../models/throttle';
import { bogotaDay } from '../models/time';
import { GATEWAY_PAYMENT_METHODS } from '../models/transaction.model';
import { emailSchema } from '../models/user.model';
import { PRIVACY_POLICY } from '../views/privacyPolicy';
import { couponPdf, couponRefusal, ensureActiveCoupons } from './coupon.controller';
import { type GatewayDeps, openPayment, toJson } from './gatewayPayment.controller';

/**
 * Paying without an account ("Consulta y paga", docs/payments.md): anyone who knows a contract
 * number sees what it owes and pays it through the same gateway payments, events and rules as a
 * customer. A guest sees no history, no document and nobody's account; the payment is read back
 * only with the token its creation answered.
 */
export type GuestDeps = GatewayDeps & { config: Pick<Config, 'quotas'> };

/**
 * What an unknown contract's answer takes at least, and a known one's: the two do the same
 * statements, and neither answers sooner, so a contract's existence can't be told by timing.
 */
export const GUEST_SEARCH_FLOOR_MS = 60;

export const guestSearchResultSchema = z
  .object({
    contract: z.object({
      number: z.string(),
      city: z.string(),
      holderName: z.string().describe('Masked: first letter of each word'),
    }),
    invoices: z.array(
      z.object({
        number: z.string(),
        period: z.string(),
        dueDate: z.string(),
        amount: z.number().int().describe('Whole Colombian pesos'),
        overdue: z.boolean(),
      }),
    ),
  })
  .meta({ id: 'GuestSearchResult' });
export type GuestSearchResult = z.infer<typeof guestSearchResultSchema>;

export const guestPaymentBodySchema = z.object({
  contractNumber: contractNumberSchema,
  invoiceNumbers: z.array(z.string().trim().min(1).max(20)).min(1).max(10),
  payerEmail: emailSchema,
  paymentMethod: z.enum(GATEWAY_PAYMENT_METHODS),
  acceptTerms: z.boolean(),
});
export type GuestPaymentBody = z.infer<typeof guestPaymentBodySchema>;

export const guestPaymentCreatedSchema = paymentJsonSchema
  .extend({
    paymentToken: z
      .string()
      .describe('Reads this payment alone (header X-Payment-Token); shown once, only its hash is kept'),
  })
  .meta({ id: 'GuestPaymentCreated' });
export type GuestPaymentCreated = z.infer<typeof guestPaymentCreatedSchema>;

export const guestCouponParamsSchema = z.object({ paymentId: idSchema, code: couponCodeSchema });

const nothingToPay = (contractNumber: string) =>
  new AppError('CONTRACT_NOT_FOUND', `No hay facturas pendientes de pago para el contrato ${contractNumber}.`);

/** Per client: searches and payment attempts per minute, and distinct contracts per day. */
async function enforceGuestQuotas(deps: GuestDeps, clientKey: string, contractNumber: string): Promise<void> {
  const { guestSearchesPerClientPerMinute: perMinute, guestContractsPerClientPerDay: perDay } = deps.config.quotas;
  await enforceRateLimit(deps, {
    bucket: `guest:client:${clientKey}`,
    max: perMinute,
    windowMs: 60_000,
    detail: `Puede consultar hasta ${perMinute} veces por minuto sin cuenta. Espere un momento.`,
  });
  // Counted by the number asked, known or not: probing for contracts spends the same budget.
  await enforceDistinctLimit(deps, {
    bucket: `guest:contracts:${clientKey}`,
    thing: contractNumber,
    max: perDay,
    windowMs: 86_400_000,
    detail: `Puede consultar hasta ${perDay} contratos distintos por día sin cuenta.`,
  });
}

/** A contract that doesn't exist is looked up as this one: the same statements, nothing found. */
const NO_CONTRACT_ID = '00000000-0000-4000-8000-000000000000';

async function unpaidInvoicesOf(deps: GuestDeps, contractNumber: string) {
  const contract = await findContractByNumber(deps.db, contractNumber);
  const invoices = await listContractInvoices(deps.db, contract?.id ?? NO_CONTRACT_ID);
  return { contract, unpaid: invoices.filter((i) => i.status === 'UNPAID') };
}

async function notBefore(startedAt: number, floorMs: number): Promise<void> {
  const left = startedAt + floorMs - performance.now();
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
}

/**
 * POST /guest/invoices/search: a contract's unpaid invoices, holder masked. A contract that
 * doesn't exist and one with nothing to pay answer alike (404), after the same work and time.
 */
export async function searchAsGuest(
  deps: GuestDeps,
  clientKey: string,
  contractNumber: string,
): Promise<GuestSearchResult> {
  await enforceGuestQuotas(deps, clientKey, contractNumber);
  const startedAt = performance.now();
  const { contract, unpaid } = await unpaidInvoicesOf(deps, contractNumber);
  await notBefore(startedAt, GUEST_SEARCH_FLOOR_MS);
  if (!contract || unpaid.length === 0) throw nothingToPay(contractNumber);
  const today = bogotaDay(deps.clock.now());
  return {
    contract: guestContractJson(contract),
    invoices: unpaid.map((invoice) => ({
      number: invoice.number,
      period: invoice.period,
      dueDate: invoice.dueDate,
      amount: invoice.amount,
      overdue: isOverdue(invoice, today),
    })),
  };
}

const guestContractJson = (contract: Contract) => ({
  number: contract.number,
  city: contract.city,
  holderName: maskWords(contract.holderName),
});

/** What a guest payment request asks, as its Idempotency-Key's fingerprint. */
const requestHashOf = (body: GuestPaymentBody) =>
  sha256Hex(
    JSON.stringify([body.contractNumber, [...body.invoiceNumbers].sort(), body.payerEmail, body.paymentMethod]),
  );

/** 256 random bits, URL-safe. */
const newPaymentToken = () => randomBytes(32).toString('base64url');

/**
 * POST /guest/payments: a guest coupon per invoice (held by no account, the same GS1-128 barcode,
 * payable at a bank too) and one PENDING gateway payment for them, through the same rules as a
 * customer's (an invoice in another PENDING payment is PAYMENT_IN_PROGRESS). The answer carries a
 * token that reads this payment alone; a retry with the same Idempotency-Key answers the same
 * payment with a new token (the first answer, and its token, may be what was lost).
 */
export async function payAsGuest(
  deps: GuestDeps,
  request: { clientKey: string; idempotencyKey: string; body: GuestPaymentBody },
): Promise<GuestPaymentCreated> {
  const { body } = request;
  if (body.acceptTerms !== true)
    throw new AppError(
      'TERMS_NOT_ACCEPTED',
      `Para pagar debe aceptar la política de tratamiento de datos personales (versión ${PRIVACY_POLICY.version}, GET /privacy-policy): su correo se usa solo para enviarle el comprobante.`,
      { errors: [{ path: 'body.acceptTerms', message: 'Debe ser true.' }] },
    );
  if (new Set(body.invoiceNumbers).size !== body.invoiceNumbers.length)
    throw new AppError('VALIDATION_FAILED', 'Cada factura va una sola vez.', {
      errors: [{ path: 'body.invoiceNumbers', message: 'Facturas repetidas.' }],
    });
  const keyHash = sha256Hex(request.idempotencyKey);
  const requestHash = requestHashOf(body);
  const earlier = await findGuestPaymentByKey(deps.db, keyHash);
  if (earlier) return replay(deps, earlier.paymentId, earlier.requestHash, requestHash);

  await enforceGuestQuotas(deps, request.clientKey, body.contractNumber);
  const { contract, unpaid } = await unpaidInvoicesOf(deps, body.contractNumber);
  if (!contract) throw nothingToPay(body.contractNumber);
  const chosen: Invoice[] = [];
  for (const number of body.invoiceNumbers) {
    const invoice = unpaid.find((i) => i.number === number);
    if (!invoice) throw new AppError('INVOICE_NOT_FOUND', `El contrato no tiene una factura pendiente ${number}.`);
    chosen.push(invoice);
  }
  // The guest coupons first (each in its own short transaction, reused while ACTIVE), then the payment.
  const couponIds = (await ensureActiveCoupons(deps, GUEST_PAYER_ID, chosen)).map((coupon) => coupon.id);

  const token = newPaymentToken();
  const now = deps.clock.now();
  const sameKeyFirst = async () => {
    const winner = await findGuestPaymentByKey(deps.db, keyHash);
    return winner ? replay(deps, winner.paymentId, winner.requestHash, requestHash) : undefined;
  };
  try {
    const created = await inTransactionRacing(
      deps.db,
      async (tx) => {
        const items = [];
        for (const [index, invoice] of chosen.entries()) {
          const coupon = await findCouponById(tx, couponIds[index] ?? '');
          if (!coupon) throw new Error('a guest coupon vanished');
          const refusal = couponRefusal(coupon, now);
          if (refusal) throw refusal;
          const current = await findInvoice(tx, invoice.id);
          if (current?.status !== 'UNPAID')
            throw new AppError('INVOICE_ALREADY_PAID', `La factura ${invoice.number} ya está pagada.`);
          items.push({ invoiceId: invoice.id, couponId: coupon.id, amount: coupon.amount });
        }
        const opened = await openPayment(deps, tx, {
          userId: null,
          paymentMethod: body.paymentMethod,
          items,
          now,
        });
        // A concurrent request with the same key meets this unique index; it then replays this one.
        await insertGuestPayment(tx, {
          paymentId: opened.id,
          contractId: contract.id,
          idempotencyKeyHash: keyHash,
          requestHash,
          tokenHash: sha256Hex(token),
          payerEmail: body.payerEmail,
          policyVersion: PRIVACY_POLICY.version,
          acceptedAt: now,
          createdAt: now,
        });
        return { ...toJson(deps, opened), paymentToken: token, opened: true };
      },
      async () => {
        const replayed = await sameKeyFirst();
        return replayed ? { ...replayed, opened: false } : undefined;
      },
    );
    const { opened, ...payment } = created;
    if (opened) appMetrics().payments.add(1, { channel: 'guest', outcome: 'PENDING' });
    return payment;
  } catch (error) {
    // A request with the same key committed first (its payment now holds the invoice): answer it.
    if (error instanceof AppError && error.code === 'PAYMENT_IN_PROGRESS') {
      const replayed = await sameKeyFirst();
      if (replayed) return replayed;
    }
    throw error;
  }
}

async function replay(
  deps: GuestDeps,
  paymentId: string,
  storedRequestHash: string,
  requestHash: string,
): Promise<GuestPaymentCreated> {
  if (storedRequestHash !== requestHash)
    throw new AppError(
      'IDEMPOTENCY_KEY_REUSED',
      'Esta Idempotency-Key ya se usó con otra solicitud; genere una nueva.',
    );
  const token = newPaymentToken();
  await replaceGuestToken(deps.db, paymentId, sha256Hex(token));
  const payment = await findPayment(deps.db, paymentId);
  if (!payment) throw new Error(`guest payment ${paymentId} has no payment`);
  return { ...toJson(deps, payment), paymentToken: token };
}

/**
 * The payment a token reads: only its own. A missing header is 401; a wrong token, another
 * payment's, or a payment that doesn't exist are all "not found", alike.
 */
async function paymentOfToken(deps: GuestDeps, paymentId: string, token: string | null) {
  if (!token)
    throw new AppError('UNAUTHENTICATED', 'Envíe el encabezado X-Payment-Token que recibió al iniciar el pago.');
  const guest = await findGuestPayment(deps.db, paymentId);
  // Compared even when there is no such payment, so both cases cost the same.
  const matches = tokenMatches(token, guest?.tokenHash ?? sha256Hex(''));
  const payment = guest && matches ? await findPayment(deps.db, paymentId) : undefined;
  if (!payment) throw new AppError('PAYMENT_NOT_FOUND');
  return payment;
}

/** GET /guest/payments/{paymentId} with X-Payment-Token. */
export async function getGuestPayment(deps: GuestDeps, paymentId: string, token: string | null): Promise<PaymentJson> {
  return toJson(deps, await paymentOfToken(deps, paymentId, token));
}

/** GET /guest/payments/{paymentId}/coupons/{code}/pdf with X-Payment-Token: a coupon of that payment, printable. */
export async function guestCouponPdf(
  deps: GuestDeps,
  params: { paymentId: string; code: string },
  token: string | null,
): Promise<{ filename: string; data: Buffer }> {
  const payment = await paymentOfToken(deps, params.paymentId, token);
  const item = payment.items.find((i) => i.couponCode === params.code);
  const coupon = item ? await findCouponById(deps.db, item.couponId) : undefined;
  if (!coupon) throw new AppError('COUPON_NOT_FOUND', 'Ese cupón no es de este pago.');
  return couponPdf(deps, coupon);
}
