import { z } from 'zod';

import type { Clock } from '../clients/clock.client';
import type { Db } from '../clients/sql.client';
import type { Config } from '../config';
import { AppError } from '../errors';
import { type AuditEntryJson, auditEntryToJson, insertAudit, pageAudit } from '../models/audit.model';
import { findContractByNumber, operatorContractJsonSchema, operatorContractToJson } from '../models/contract.model';
import { contractCoupons, couponJsonSchema, couponToJson } from '../models/coupon.model';
import { invoiceJsonSchema, invoiceToJson, listContractInvoices } from '../models/invoice.model';
import { decodeCursor, type Page, toPage } from '../models/pagination';
import { bogotaDay, bogotaDayRange } from '../models/time';
import {
  contractTransactions,
  type OperatorTransactionJson,
  operatorTransactionJsonSchema,
  operatorTransactionToJson,
  searchTransactions,
  type TransactionType,
} from '../models/transaction.model';

/**
 * The operator console: find any customer's payment (to reverse it), see a contract whole, read
 * the audit log. Every call is itself audited with the operator, the filters and the time,
 * before the data is read: a look at customers' data that isn't logged doesn't happen.
 */
export interface OperatorDeps {
  db: Db;
  clock: Clock;
  config: Pick<Config, 'coupons'>;
}

export interface DayRange {
  /** Colombian calendar days, inclusive (YYYY-MM-DD). */
  from?: string;
  to?: string;
}

export interface TransactionFilters extends DayRange {
  contractNumber?: string;
  invoiceNumber?: string;
  couponCode?: string;
  email?: string;
  type?: TransactionType;
  cursor?: string;
  limit: number;
}

/** GET /operator/transactions: every customer's payments and reversals matching the filters, newest first. */
export async function transactions(
  deps: OperatorDeps,
  operatorId: string,
  filters: TransactionFilters,
): Promise<Page<OperatorTransactionJson>> {
  const { cursor, limit, ...criteria } = filters;
  const keyset = decodeCursor(cursor);
  await insertAudit(deps.db, {
    actorId: operatorId,
    action: 'TRANSACTIONS_SEARCHED',
    subjectType: 'transactions',
    subjectId: criteria.contractNumber ?? criteria.invoiceNumber ?? criteria.couponCode ?? criteria.email ?? '*',
    details: criteria,
    now: deps.clock.now(),
  });
  const page = await searchTransactions(deps.db, { ...criteria, ...bogotaDayRange(criteria), cursor: keyset, limit });
  return toPage(page, (t) => ({ at: t.createdAt, id: t.id }), operatorTransactionToJson);
}

export const operatorContractViewSchema = z
  .object({
    contract: operatorContractJsonSchema,
    invoices: z.array(invoiceJsonSchema),
    coupons: z.array(couponJsonSchema.extend({ userEmail: z.string() })),
    transactions: z.array(operatorTransactionJsonSchema),
  })
  .meta({ id: 'OperatorContractView' });
export type OperatorContractView = z.infer<typeof operatorContractViewSchema>;

/** GET /operator/contracts/{contractNumber}: the contract unmasked, its invoices, every user's coupons and transactions. */
export async function contract(
  deps: OperatorDeps,
  operatorId: string,
  contractNumber: string,
): Promise<OperatorContractView> {
  const now = deps.clock.now();
  const found = await findContractByNumber(deps.db, contractNumber);
  if (!found) throw new AppError('CONTRACT_NOT_FOUND', `No existe el contrato ${contractNumber}.`);
  await insertAudit(deps.db, {
    actorId: operatorId,
    action: 'CONTRACT_VIEWED',
    subjectType: 'contract',
    subjectId: contractNumber,
    details: {},
    now,
  });
  const [invoices, coupons, payments] = await Promise.all([
    listContractInvoices(deps.db, found.id),
    contractCoupons(deps.db, found.id),
    contractTransactions(deps.db, found.id),
  ]);
  const today = bogotaDay(now);
  return {
    contract: operatorContractToJson(found),
    invoices: invoices.map((invoice) => invoiceToJson(invoice, today)),
    coupons: coupons.map((coupon) => ({
      ...couponToJson(coupon, deps.config.coupons.billerGln),
      userEmail: coupon.userEmail,
    })),
    transactions: payments.map(operatorTransactionToJson),
  };
}

/** GET /operator/audit: the audit log, newest first (reading it is audited too). */
export async function audit(
  deps: OperatorDeps,
  operatorId: string,
  query: DayRange & { cursor?: string; limit: number },
): Promise<Page<AuditEntryJson>> {
  const keyset = decodeCursor(query.cursor);
  await insertAudit(deps.db, {
    actorId: operatorId,
    action: 'AUDIT_VIEWED',
    subjectType: 'audit',
    subjectId: '*',
    details: { from: query.from, to: query.to },
    now: deps.clock.now(),
  });
  const page = await pageAudit(deps.db, { ...bogotaDayRange(query), cursor: keyset, limit: query.limit });
  return toPage(page, (e) => ({ at: e.createdAt, id: e.id }), auditEntryToJson);
}
