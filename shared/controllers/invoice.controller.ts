import { AppError } from '../http/errors';
import { type ContractJson, contractToJson, findContractByNumber, recordContractAccess } from '../models/contract.model';
import { type InvoiceJson, invoiceToJson, listContractInvoices } from '../models/invoice.model';
import { bogotaDay } from '../models/time';
import { type CouponDeps, type CouponJson, couponToJson, ensureActiveCoupon } from './coupon.controller';

export interface SearchResult {
  contract: ContractJson;
  invoices: InvoiceJson[];
  coupons: CouponJson[];
}

/**
 * Finds a contract's invoices (newest first, holder data masked) and gives the caller an ACTIVE
 * coupon for each unpaid one, reusing the coupon they already hold.
 */
export async function searchInvoices(deps: CouponDeps, userId: string, contractNumber: string): Promise<SearchResult> {
  const contract = await findContractByNumber(deps.db, contractNumber);
  if (!contract) throw new AppError('CONTRACT_NOT_FOUND', `No existe el contrato ${contractNumber}.`);
  const now = deps.clock.now();
  await recordContractAccess(deps.db, userId, contract.id, now);
  const invoices = await listContractInvoices(deps.db, contract.id);
  const coupons = [];
  for (const invoice of invoices.filter((i) => i.status === 'UNPAID')) coupons.push(await ensureActiveCoupon(deps, userId, invoice));
  const today = bogotaDay(now);
  return {
    contract: contractToJson(contract),
    invoices: invoices.map((invoice) => invoiceToJson(invoice, today)),
    coupons: coupons.map((coupon) => couponToJson(coupon, deps.config.coupons.billerGln)),
  };
}
