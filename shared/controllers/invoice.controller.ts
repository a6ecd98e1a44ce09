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
import { enforceDistinctLimit, enforceRateLimit } from './throttle';

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
  const contract = await findContractByNumber(deps.db, contractNumber);
  if (!contract) throw new AppError('CONTRACT_NOT_FOUND', `No existe el contrato ${contractNumber}.`);
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
