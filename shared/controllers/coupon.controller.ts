import { setTimeout as sleep } from 'node:timers/promises';

import { z } from 'zod';

import { type DbOrTx, inTransaction } from '../clients/sql.client';
import type { Config } from '../config';
import { AppError } from '../errors';
import { batchTimeBudgetMs, nextBatchSize } from '../models/batches';
import { findContractById } from '../models/contract.model';
import {
  type ClosedCoupon,
  type Coupon,
  couponIdsDueForExpiry,
  couponIdsDueForExpiryWarning,
  type CouponJson,
  couponJsonSchema,
  type CouponListItemJson,
  type CouponStatus,
  couponToJson,
  EXPIRY_WARNING_HOURS,
  findActiveCoupon,
  findActiveCoupons,
  findCouponByCode,
  formatCouponCode,
  insertCoupon,
  markCouponCancelled,
  markCouponsExpired,
  markExpiryWarned,
  newCouponCode,
  pageCoupons,
} from '../models/coupon.model';
import { findInvoice, type Invoice, invoiceJsonSchema, invoiceToJson } from '../models/invoice.model';
import { COUPON_STATUS_LABELS } from '../models/labels';
import { noticeBatchMessages, notificationMessage } from '../models/message.model';
import { addToOutbox } from '../models/outbox.model';
import { decodeCursor, type Page, toPage } from '../models/pagination';
import { enforceRateLimit } from '../models/throttle';
import { bogotaDay, endOfBogotaDay } from '../models/time';
import * as outbox from '../outbox';
import type { BillingDeps } from '../services';
import { printableInvoice, renderCouponPdf } from '../views/couponPdf';
import { formatBogotaTime } from '../views/texts';

export const couponDetailSchema = couponJsonSchema.extend({ invoice: invoiceJsonSchema }).meta({ id: 'CouponDetail' });
export type CouponDetailJson = z.infer<typeof couponDetailSchema>;

/**
 * How long a new coupon lives: the configured validity, never past the end of the invoice's due
 * day (Colombia time); an invoice already overdue gets a short-lived coupon.
 */
export function couponExpiry(invoice: Pick<Invoice, 'dueDate'>, now: Date, settings: Config['coupons']): Date {
  if (invoice.dueDate < bogotaDay(now)) return new Date(now.getTime() + settings.overdueValidityHours * 3600_000);
  return new Date(
    Math.min(now.getTime() + settings.validityHours * 3600_000, endOfBogotaDay(invoice.dueDate).getTime()),
  );
}

const notice = (
  kind: 'COUPON_GENERATED' | 'COUPON_EXPIRED' | 'COUPON_CANCELLED',
  coupon: Pick<ClosedCoupon, 'userId' | 'code' | 'invoiceId'>,
  occurredAt: Date,
  extra: Record<string, string | number> = {},
) =>
  notificationMessage({
    kind,
    userId: coupon.userId,
    occurredAt,
    data: { couponCode: coupon.code, invoiceId: coupon.invoiceId, ...extra },
  });

/**
 * ACTIVE → EXPIRED for the given coupons, with one notice per coupon this call actually expired
 * (a timer's batch of them in a few batch messages: noticeBatchMessages).
 */
async function expireAndAnnounce(tx: DbOrTx, ids: string[], now: Date): Promise<Announced> {
  const expired = await markCouponsExpired(tx, ids, now);
  const notices = expired.map((c) => ({ userId: c.userId, data: { couponCode: c.code, invoiceId: c.invoiceId } }));
  return {
    changed: expired.length,
    messageIds: await addToOutbox(tx, noticeBatchMessages('COUPON_EXPIRED', now, notices), now),
  };
}

/** What one batch of a timer changed, and the outbox rows of its notices. */
export interface Announced {
  changed: number;
  messageIds: string[];
}

/**
 * The caller's ACTIVE coupon for each unpaid invoice, in the invoices' order: the existing one
 * (all of them read in one statement), or a new one. Two requests at once cannot both create one:
 * the filtered unique index lets one insert win and the other reads the winner's coupon.
 */
export async function ensureActiveCoupons(deps: BillingDeps, userId: string, invoices: Invoice[]): Promise<Coupon[]> {
  if (invoices.length === 0) return [];
  const active = await findActiveCoupons(
    deps.db,
    userId,
    invoices.map((invoice) => invoice.id),
  );
  const coupons: Coupon[] = [];
  for (const invoice of invoices) coupons.push(await activeOrNewCoupon(deps, userId, invoice, active.get(invoice.id)));
  return coupons;
}

/** The caller's ACTIVE coupon for one unpaid invoice (see ensureActiveCoupons). */
export async function ensureActiveCoupon(deps: BillingDeps, userId: string, invoice: Invoice): Promise<Coupon> {
  return activeOrNewCoupon(deps, userId, invoice, await findActiveCoupon(deps.db, userId, invoice.id));
}

async function activeOrNewCoupon(
  deps: BillingDeps,
  userId: string,
  invoice: Invoice,
  existing: Coupon | undefined,
): Promise<Coupon> {
  const now = deps.clock.now();
  const messageIds: string[] = [];
  if (existing && existing.expiresAt > now) return existing;
  if (existing)
    messageIds.push(...(await inTransaction(deps.db, (tx) => expireAndAnnounce(tx, [existing.id], now))).messageIds);

  for (let attempt = 1; ; attempt++) {
    const coupon = await inTransaction(deps.db, async (tx) => {
      const created = await insertCoupon(tx, {
        code: newCouponCode(),
        userId,
        invoiceId: invoice.id,
        amount: invoice.amount,
        issuedAt: now,
        expiresAt: couponExpiry(invoice, now, deps.config.coupons),
      });
      if (created === 'duplicate') return created; // nothing written: the transaction ends empty
      messageIds.push(
        ...(await addToOutbox(
          tx,
          [
            notice('COUPON_GENERATED', created, now, {
              invoiceNumber: invoice.number,
              contractNumber: invoice.contractNumber,
              amount: invoice.amount,
            }),
          ],
          now,
        )),
      );
      return created;
    });
    if (coupon !== 'duplicate') {
      await outbox.dispatchSoon(deps, messageIds);
      return coupon;
    }
    const winner = await findActiveCoupon(deps.db, userId, invoice.id);
    if (winner) return winner; // a concurrent request created it; otherwise the code collided: try another
    if (attempt >= 3) throw new Error('three coupon codes in a row were taken');
  }
}

/**
 * Bounded look-ups of coupons and documents (one budget per user): guessing other people's codes
 * or ids costs the guesser, not the database.
 */
export async function enforceLookupQuota(deps: BillingDeps, userId: string): Promise<void> {
  const perMinute = deps.config.quotas.couponLookupsPerUserPerMinute;
  await enforceRateLimit(deps, {
    bucket: `coupons:user:${userId}`,
    max: perMinute,
    windowMs: 60_000,
    detail: `Puede consultar hasta ${perMinute} cupones o documentos por minuto.`,
  });
}

async function ownCoupon(deps: BillingDeps, userId: string, code: string): Promise<Coupon> {
  await enforceLookupQuota(deps, userId);
  const coupon = await findCouponByCode(deps.db, code, userId);
  // Someone else's coupon is "not found" too: its existence is not the caller's business.
  if (!coupon) throw new AppError('COUPON_NOT_FOUND', `No tiene un cupón con el código ${formatCouponCode(code)}.`);
  return coupon;
}

async function invoiceOf(deps: BillingDeps, coupon: Coupon): Promise<Invoice> {
  const invoice = await findInvoice(deps.db, coupon.invoiceId);
  if (!invoice) throw new AppError('INVOICE_NOT_FOUND');
  return invoice;
}

export async function detail(deps: BillingDeps, userId: string, code: string): Promise<CouponDetailJson> {
  const coupon = await ownCoupon(deps, userId, code);
  const invoice = await invoiceOf(deps, coupon);
  return {
    ...couponToJson(coupon, deps.config.coupons.billerGln),
    invoice: invoiceToJson(invoice, bogotaDay(deps.clock.now())),
  };
}

/** The printable coupon; only an ACTIVE coupon carries a barcode a bank would accept. */
export async function pdf(
  deps: BillingDeps,
  userId: string,
  code: string,
): Promise<{ filename: string; data: Buffer }> {
  return couponPdf(deps, await ownCoupon(deps, userId, code));
}

/** A coupon as printed (the caller has checked who may print it). */
export async function couponPdf(deps: BillingDeps, coupon: Coupon): Promise<{ filename: string; data: Buffer }> {
  const invoice = await invoiceOf(deps, coupon);
  const contract = await findContractById(deps.db, invoice.contractId);
  const json = couponToJson(coupon, deps.config.coupons.billerGln);
  const data = await renderCouponPdf({
    title: 'Cupón de pago',
    ...printableInvoice(invoice, contract),
    amount: coupon.amount,
    status: COUPON_STATUS_LABELS[coupon.status],
    couponCode: json.codeFormatted,
    validUntil: formatBogotaTime(coupon.expiresAt),
    barcode: coupon.status === 'ACTIVE' ? json.barcode : undefined,
  });
  return { filename: `cupon-${coupon.code}.pdf`, data };
}

export async function list(
  deps: BillingDeps,
  userId: string,
  query: { status?: CouponStatus; cursor?: string; limit: number },
): Promise<Page<CouponListItemJson>> {
  const page = await pageCoupons(deps.db, userId, {
    status: query.status,
    limit: query.limit,
    cursor: decodeCursor(query.cursor),
  });
  return toPage(
    page,
    (c) => ({ at: c.issuedAt, id: c.id }),
    (c) => ({ ...couponToJson(c, deps.config.coupons.billerGln), invoice: c.invoice }),
  );
}

const refusalFor: Record<Exclude<CouponStatus, 'ACTIVE'>, AppError['code']> = {
  USED: 'COUPON_ALREADY_USED',
  EXPIRED: 'COUPON_EXPIRED',
  CANCELLED: 'COUPON_CANCELLED',
};

/** The error for a coupon that is not (or no longer) usable. */
export function couponRefusal(coupon: Coupon, now: Date): AppError | undefined {
  if (coupon.status !== 'ACTIVE') return new AppError(refusalFor[coupon.status]);
  if (coupon.expiresAt <= now)
    return new AppError('COUPON_EXPIRED', 'El cupón venció; busque el contrato de nuevo para obtener uno nuevo.');
  return undefined;
}

export async function cancel(deps: BillingDeps, userId: string, code: string): Promise<CouponJson> {
  const now = deps.clock.now();
  const coupon = await ownCoupon(deps, userId, code);
  const refusal = couponRefusal(coupon, now);
  if (refusal) throw refusal;
  const messageIds = await inTransaction(deps.db, async (tx) => {
    if (!(await markCouponCancelled(tx, coupon.id, userId, now))) {
      const current = await findCouponByCode(tx, code, userId);
      throw (current && couponRefusal(current, now)) ?? new AppError('COUPON_NOT_ACTIVE');
    }
    return addToOutbox(tx, [notice('COUPON_CANCELLED', coupon, now)], now);
  });
  await outbox.dispatchSoon(deps, messageIds);
  return couponToJson({ ...coupon, status: 'CANCELLED', closedAt: now }, deps.config.coupons.billerGln);
}

export interface ExpiryRun {
  expired: number;
  batches: number;
  durationMs: number;
  /** Of durationMs, the time in the batches' queries and transactions (not the waits between them, not the sending of the notices). */
  writeMs: number;
}

/**
 * The expiry timer's work: ACTIVE coupons past their time → EXPIRED, set-based in bounded batches
 * (short transactions, no long write lock). Overlapping or repeated runs are harmless: each
 * batch update is conditional and only the rows it changed get a notice.
 */
export async function expireDue(deps: BillingDeps, batchSize = 500): Promise<ExpiryRun> {
  const started = performance.now();
  const now = deps.clock.now();
  const run = await announceInBatches(
    deps,
    batchSize,
    (size) => couponIdsDueForExpiry(deps.db, now, size),
    (tx, ids) => expireAndAnnounce(tx, ids, now),
  );
  return {
    expired: run.announced,
    batches: run.batches,
    durationMs: Math.round(performance.now() - started),
    writeMs: Math.round(run.writeMs),
  };
}

/**
 * The timers' shape: select a bounded batch of ids, change them and write their notices in one
 * short transaction, send that batch's notices, until a batch comes back short. Each batch sends
 * its own messages: the dispatch timer sends 200 rows a round, which a run of a million coupons
 * (5,000 batch messages) would otherwise wait on for hours.
 */
export async function announceInBatches<T>(
  deps: Pick<BillingDeps, 'db' | 'clock' | 'queue'>,
  batchSize: number,
  select: (size: number) => Promise<T[]>,
  changeAndAnnounce: (tx: DbOrTx, batch: T[]) => Promise<Announced>,
): Promise<{ announced: number; batches: number; writeMs: number }> {
  let announced = 0;
  let batches = 0;
  let writeMs = 0;
  const budgetMs = batchTimeBudgetMs(deps.db);
  for (let size = batchSize; ;) {
    const started = performance.now();
    const ids = await select(size);
    if (ids.length === 0) break;
    const batch = await inTransaction(deps.db, (tx) => changeAndAnnounce(tx, ids));
    announced += batch.changed;
    const batchMs = performance.now() - started;
    writeMs += batchMs;
    batches++;
    // A queue that is down leaves the rows to the dispatch timer; the batches go on.
    if (batch.messageIds.length > 0) await outbox.dispatch(deps, batch.messageIds.length, batch.messageIds);
    if (ids.length < size) break;
    // On SQLite each batch holds every request's connection: its size follows its time (models/batches.ts).
    size = nextBatchSize(budgetMs, size, batchMs, batchSize);
    // Rest as long as the batch took: requests get at least half of the database's time (on
    // SQLite, one connection and this thread), so a million due coupons don't stall payments.
    await sleep(batchMs);
  }
  return { announced, batches, writeMs };
}

/**
 * The warning timer's work: one COUPON_EXPIRING notice per ACTIVE coupon that ends within the
 * next 24 h. The conditional mark makes it once per coupon, whatever runs overlap.
 */
export async function warnExpiring(deps: BillingDeps, batchSize = 500): Promise<number> {
  const now = deps.clock.now();
  const horizon = new Date(now.getTime() + EXPIRY_WARNING_HOURS * 3600_000);
  const run = await announceInBatches(
    deps,
    batchSize,
    (size) => couponIdsDueForExpiryWarning(deps.db, now, horizon, size),
    async (tx, ids) => {
      const marked = await markExpiryWarned(tx, ids, now);
      const notices = marked.map((c) => ({
        userId: c.userId,
        data: { couponCode: c.code, invoiceId: c.invoiceId, expiresAt: c.expiresAt.toISOString() },
      }));
      return {
        changed: marked.length,
        messageIds: await addToOutbox(tx, noticeBatchMessages('COUPON_EXPIRING', now, notices), now),
      };
    },
  );
  return run.announced;
}
