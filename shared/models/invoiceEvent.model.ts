import type { DbOrTx } from '../clients/sql.client';
import { buildBarcode } from '../formats/barcode';
import { findContractById, printedHolder } from './contract.model';
import { couponToJson, findActiveCoupon } from './coupon.model';
import { isGuestPayer } from './guestPayment.model';
import type { Invoice, InvoiceStatus } from './invoice.model';
import { linesOfInvoice, meteredConsumption } from './invoiceLine.model';
import type { InvoiceBill, InvoiceEvent } from './message.model';
import type { PaymentMethod } from './transaction.model';
import { findUserById } from './user.model';

/**
 * The invoice as a message will show it, taken now (see InvoiceEvent): masked holder data as
 * printed, the status and amount the event gives (a payment's, a reversal's), and an unpaid
 * invoice's barcode (the user's ACTIVE coupon's, or the invoice number's). `db` may be the
 * event's own transaction.
 */
export async function invoiceEvent(
  db: DbOrTx,
  billerGln: string,
  invoice: Invoice,
  userId: string,
  event: {
    at: Date;
    invoiceStatus?: InvoiceStatus;
    amount?: number;
    paymentMethod?: PaymentMethod;
    reason?: string;
    /** The invoice itself (its PDF, its email): what the bill says, which receipts and notices leave out. */
    withBill?: boolean;
  },
): Promise<InvoiceEvent> {
  // One after the other: inside a transaction the connection takes one request at a time.
  const contract = await findContractById(db, invoice.contractId);
  const user = await findUserById(db, userId);
  const invoiceStatus = event.invoiceStatus ?? invoice.status;
  let barcode;
  if (invoiceStatus === 'UNPAID') {
    const coupon = await findActiveCoupon(db, userId, invoice.id);
    barcode = coupon
      ? couponToJson(coupon, billerGln).barcode
      : buildBarcode({
          gln: billerGln,
          reference: invoice.number,
          amount: invoice.amount,
          dueDate: invoice.dueDate,
        });
  }
  return {
    occurredAt: event.at.toISOString(),
    fullName: isGuestPayer(userId) ? '' : (user?.fullName ?? ''),
    contractNumber: invoice.contractNumber,
    ...printedHolder(contract),
    invoiceNumber: invoice.number,
    period: invoice.period,
    dueDate: invoice.dueDate,
    invoiceStatus,
    amount: event.amount ?? invoice.amount,
    paymentMethod: event.paymentMethod,
    reason: event.reason,
    barcode,
    bill: event.withBill ? await billOf(db, invoice) : undefined,
  };
}

/** How many periods the invoice's consumption chart shows. */
export const CHART_PERIODS = 6;

/** What the invoice's bill says: its lines, the chart's periods up to its own, its CUDE. */
async function billOf(db: DbOrTx, invoice: Invoice): Promise<InvoiceBill> {
  const lines = await linesOfInvoice(db, invoice.id);
  const consumption = await meteredConsumption(db, invoice.contractId, CHART_PERIODS, invoice.period);
  return { lines, consumption, cude: invoice.cude, issueDate: invoice.issueDate };
}
