import { z } from 'zod';

import { AppError } from '../errors';
import {
  contractJsonSchema,
  contractToJson,
  findContractByNumber,
  type FollowedContractJson,
  followedContracts,
  hasContractAccess,
  recordContractAccess,
} from '../models/contract.model';
import { couponJsonSchema, couponToJson } from '../models/coupon.model';
import { accessibleInvoice, findContractWithInvoices, invoiceJsonSchema, invoiceToJson } from '../models/invoice.model';
import { invoiceEvent } from '../models/invoiceEvent.model';
import {
  invoiceLineJsonSchema,
  invoiceLineToJson,
  linesOfInvoice,
  meteredConsumption,
  SERVICES,
  UNITS,
} from '../models/invoiceLine.model';
import {
  insertInvoiceNotices,
  INVOICE_NOTICE_KINDS,
  invoiceNoticeCandidates,
  type InvoiceNoticeKind,
} from '../models/invoiceNotice.model';
import { SERVICE_LABELS, UNIT_LABELS } from '../models/labels';
import { noticeBatchMessages } from '../models/message.model';
import { addToOutbox } from '../models/outbox.model';
import { enforceDistinctLimit, enforceRateLimit } from '../models/throttle';
import { addDays, bogotaDay } from '../models/time';
import type { BillingDeps } from '../services';
import { renderInvoiceEventPdf } from '../views/couponPdf';
import { announceInBatches, enforceLookupQuota, ensureActiveCoupons } from './coupon.controller';

export const searchResultSchema = z
  .object({ contract: contractJsonSchema, invoices: z.array(invoiceJsonSchema), coupons: z.array(couponJsonSchema) })
  .meta({ id: 'SearchResult' });
export type SearchResult = z.infer<typeof searchResultSchema>;

/**
 * Finds a contract's invoices (newest first, holder data masked) and gives the caller an ACTIVE
 * coupon for each unpaid one, reusing the coupon they already hold.
 */
export async function search(deps: BillingDeps, userId: string, contractNumber: string): Promise<SearchResult> {
  const { searchesPerUserPerMinute: perMinute, searchedContractsPerUserPerDay: perDay } = deps.config.quotas;
  await enforceRateLimit(deps, {
    bucket: `search:user:${userId}`,
    max: perMinute,
    windowMs: 60_000,
    detail: `Puede consultar hasta ${perMinute} veces por minuto. Espere un momento.`,
  });
  const found = await findContractWithInvoices(deps.db, contractNumber);
  if (!found) throw new AppError('CONTRACT_NOT_FOUND', `No existe el contrato ${contractNumber}.`);
  const { contract, invoices } = found;
  // Each new contract costs a coupon and a notice: a day's distinct contracts are bounded too.
  await enforceDistinctLimit(deps, {
    bucket: `search:contracts:${userId}`,
    thing: contract.id,
    max: perDay,
    windowMs: 86_400_000,
    detail: `Puede consultar hasta ${perDay} contratos distintos por día.`,
  });
  const now = deps.clock.now();
  await recordContractAccess(deps.db, userId, contract.id, now);
  const unpaid = invoices.filter((invoice) => invoice.status === 'UNPAID');
  const coupons = await ensureActiveCoupons(deps, userId, unpaid);
  const today = bogotaDay(now);
  return {
    contract: contractToJson(contract),
    invoices: invoices.map((invoice) => invoiceToJson(invoice, today)),
    coupons: coupons.map((coupon) => couponToJson(coupon, deps.config.coupons.billerGln)),
  };
}

/**
 * GET /invoices/{invoiceId}/pdf: the invoice as a PDF, for invoices of contracts the caller
 * looked up or paid (the same rule as emailing it); anyone else's is "not found".
 */
export async function pdf(
  deps: BillingDeps,
  userId: string,
  invoiceId: string,
): Promise<{ filename: string; data: Buffer }> {
  const invoice = await accessibleInvoice(deps.db, userId, invoiceId);
  await enforceLookupQuota(deps, userId);
  return {
    filename: `factura-${invoice.number}.pdf`,
    data: await renderInvoiceEventPdf(
      'invoice',
      await invoiceEvent(deps.db, deps.config.coupons.billerGln, invoice, userId, {
        at: deps.clock.now(),
        withBill: true,
      }),
    ),
  };
}

/** GET /contracts: the contracts the caller looked up or paid, with their unpaid count, total and next due date. */
export async function contracts(
  deps: Pick<BillingDeps, 'db'>,
  userId: string,
): Promise<{ items: FollowedContractJson[] }> {
  return { items: await followedContracts(deps.db, userId) };
}

/** How far ahead a due date counts as "soon". */
const DUE_SOON_DAYS = 3;

/**
 * The daily invoice notices (timer NOTIFY_INVOICES_SCHEDULE): to every follower of a contract, a
 * new unpaid invoice, a due date within three days and an overdue invoice are each announced
 * once. Each batch of 500 is recorded with its outbox messages in one short transaction, and its
 * messages leave right after the commit; a notice another run recorded first is skipped, and the
 * run rests between batches as the expiry does (announceInBatches).
 */
export async function announceInvoiceDates(
  deps: Pick<BillingDeps, 'db' | 'clock' | 'queue'>,
  batchSize = 500,
  kinds: readonly InvoiceNoticeKind[] = INVOICE_NOTICE_KINDS,
): Promise<Record<InvoiceNoticeKind, number>> {
  const now = deps.clock.now();
  const today = bogotaDay(now);
  const sent: Record<InvoiceNoticeKind, number> = { INVOICE_ISSUED: 0, INVOICE_DUE_SOON: 0, INVOICE_OVERDUE: 0 };
  for (const kind of kinds) {
    const window = { kind, today, soonUntil: addDays(today, DUE_SOON_DAYS) };
    // A batch of candidates is one transaction: their notices recorded, and sent as batch
    // messages (up to 200 people each), not one transaction and one message per person.
    const run = await announceInBatches(
      deps,
      batchSize,
      (size) => invoiceNoticeCandidates(deps.db, window, size),
      async (tx, candidates) => {
        const recorded = await insertInvoiceNotices(tx, kind, candidates, now);
        const notices = recorded.map(({ userId, ...data }) => ({ userId, data }));
        return {
          changed: recorded.length,
          messageIds: await addToOutbox(tx, noticeBatchMessages(kind, now, notices), now),
        };
      },
    );
    sent[kind] = run.announced;
  }
  return sent;
}

// ---- What the bill says ----

export const invoiceDetailSchema = invoiceJsonSchema
  .extend({ lines: z.array(invoiceLineJsonSchema).describe('The service lines, in the order of the bill') })
  .meta({ id: 'InvoiceDetail' });
export type InvoiceDetail = z.infer<typeof invoiceDetailSchema>;

/** GET /invoices/{invoiceId}: the invoice and its lines, for whoever may print its PDF. */
export async function invoiceDetail(
  deps: Pick<BillingDeps, 'db' | 'clock'>,
  userId: string,
  invoiceId: string,
): Promise<InvoiceDetail> {
  const invoice = await accessibleInvoice(deps.db, userId, invoiceId);
  const lines = await linesOfInvoice(deps.db, invoice.id);
  return { ...invoiceToJson(invoice, bogotaDay(deps.clock.now())), lines: lines.map(invoiceLineToJson) };
}

export const consumptionQuerySchema = z.object({
  periods: z.coerce.number().int().min(1).max(36).default(6),
});

export const consumptionSchema = z
  .object({
    contractNumber: z.string(),
    services: z.array(
      z.object({
        service: z.enum(SERVICES),
        serviceLabel: z.string(),
        unit: z.enum(UNITS),
        unitLabel: z.string(),
        periods: z
          .array(z.object({ period: z.string().describe('YYYY-MM'), quantity: z.number(), amount: z.number().int() }))
          .describe('Oldest first'),
      }),
    ),
  })
  .meta({ id: 'Consumption' });
export type Consumption = z.infer<typeof consumptionSchema>;

/**
 * GET /contracts/{contractNumber}/consumption: per metered service, one row per period (the last
 * `periods` billed), oldest first. Customers see contracts they looked up or paid; operators any.
 */
export async function consumption(
  deps: Pick<BillingDeps, 'db'>,
  caller: { id: string; role: string },
  contractNumber: string,
  periods: number,
): Promise<Consumption> {
  const contract = await findContractByNumber(deps.db, contractNumber);
  if (!contract || (caller.role !== 'operator' && !(await hasContractAccess(deps.db, caller.id, contract.id))))
    throw new AppError('CONTRACT_NOT_FOUND', 'No encontramos ese contrato entre los que ha consultado.');
  const services = await meteredConsumption(deps.db, contract.id, periods);
  return {
    contractNumber,
    services: services.map((entry) => ({
      ...entry,
      serviceLabel: SERVICE_LABELS[entry.service],
      unitLabel: UNIT_LABELS[entry.unit],
    })),
  };
}
