import { z } from 'zod';

import { AppError } from '../http/errors';
import {
  contractJsonSchema,
  contractToJson,
  findContractByNumber,
  recordContractAccess,
} from '../models/contract.model';
import { couponJsonSchema } from '../models/coupon.model';
import { invoiceJsonSchema, invoiceToJson, listContractInvoices } from '../models/invoice.model';
import { bogotaDay } from '../models/time';
import type { BillingDeps } from '../services';
import { couponToJson, ensureActiveCoupon } from './coupon.controller';

export const searchResultSchema = z
  .object({ contract: contractJsonSchema, invoices: z.array(invoiceJsonSchema), coupons: z.array(couponJsonSchema) })
  .meta({ id: 'SearchResult' });
export type SearchResult = z.infer<typeof searchResultSchema>;

/**
 * Finds a contract's invoices (newest first, holder data masked) and gives the caller an ACTIVE
 * coupon for each unpaid one, reusing the coupon they already hold.
 */
export async function search(deps: BillingDeps, userId: string, contractNumber: string): Promise<SearchResult> {
  const contract = await findContractByNumber(deps.db, contractNumber);
  if (!contract) throw new AppError('CONTRACT_NOT_FOUND', `No existe el contrato ${contractNumber}.`);
  const now = deps.clock.now();
  await recordContractAccess(deps.db, userId, contract.id, now);
  const invoices = await listContractInvoices(deps.db, contract.id);
  const coupons = [];
  for (const invoice of invoices.filter((i) => i.status === 'UNPAID'))
    coupons.push(await ensureActiveCoupon(deps, userId, invoice));
  const today = bogotaDay(now);
  return {
    contract: contractToJson(contract),
    invoices: invoices.map((invoice) => invoiceToJson(invoice, today)),
    coupons: coupons.map((coupon) => couponToJson(coupon, deps.config.coupons.billerGln)),
  };
}
