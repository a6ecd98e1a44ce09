import type * as BwipJs from 'bwip-js';
import type PDFKit from 'pdfkit';

import { onFirstUse } from '../clients/lazy';
import type { Barcode } from '../formats/barcode';
import { dianQrText } from '../formats/dianQr';
import { type Contract, printedHolder } from '../models/contract.model';
import type { Invoice } from '../models/invoice.model';
import { INVOICE_STATUS_LABELS, PAYMENT_METHOD_LABELS } from '../models/labels';
import type { InvoiceBill, InvoiceEvent } from '../models/message.model';
import { drawBillDetail, EPM_GREEN } from './billPdf';
import { formatBogotaTime, formatLongDate, formatPesos } from './texts';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (cold start, see lazy.ts)
const pdfkit = onFirstUse(() => require('pdfkit') as typeof PDFKit);
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (cold start, see lazy.ts)
const bwipjs = onFirstUse(() => require('bwip-js') as typeof BwipJs);

/** What a printed coupon (and the invoice PDF) shows; every text already formatted. */
export interface PrintableCoupon {
  title: string;
  contractNumber: string;
  holderName: string;
  address: string;
  invoiceNumber: string;
  period: string;
  dueDate: string;
  amount: number;
  status: string;
  couponCode?: string;
  validUntil?: string;
  barcode?: Barcode;
  /** More lines under the invoice's (a receipt's payment date, method and transaction). */
  details?: [string, string][];
  /** "Total a pagar" by default; a receipt says what was paid. */
  totalLabel?: string;
  /** The invoice itself: what its bill says (lines, chart, CUDE), on its own page after the coupon. */
  bill?: InvoiceBill;
}

/** The invoice and contract lines every printed page shows (holder data masked). */
export function printableInvoice(
  invoice: Invoice,
  contract: Contract | undefined,
): Pick<PrintableCoupon, 'contractNumber' | 'holderName' | 'address' | 'invoiceNumber' | 'period' | 'dueDate'> {
  return {
    contractNumber: invoice.contractNumber,
    ...printedHolder(contract),
    invoiceNumber: invoice.number,
    period: invoice.period,
    dueDate: formatLongDate(invoice.dueDate),
  };
}

/** The GS1-128 symbol as a PNG; bwip-js inserts FNC1 where the AIs need it. */
export function renderBarcodePng(barcode: Barcode): Promise<Buffer> {
  return bwipjs().toBuffer({
    bcid: 'gs1-128',
    text: barcode.humanReadable,
    scale: 2,
    height: 14,
    includetext: true,
    textxalign: 'center',
    textsize: 8,
  });
}

/** DIAN's QR code of the electronic equivalent document (formats/dianQr.ts says what it holds). */
export function renderDianQrPng(text: string): Promise<Buffer> {
  // BWIPP's default error correction for QR is M, as DIAN's printed documents use.
  return bwipjs().toBuffer({ bcid: 'qrcode', text, scale: 3 });
}

/**
 * An EPM-style printable page: header, contract and invoice data, amount, due date, barcode;
 * for an invoice, DIAN's CUDE and QR code, and a page with its lines and consumption charts.
 */
export async function renderCouponPdf(coupon: PrintableCoupon): Promise<Buffer> {
  const barcodePng = coupon.barcode ? await renderBarcodePng(coupon.barcode) : undefined;
  const cude = coupon.bill?.cude;
  const qrPng = cude
    ? await renderDianQrPng(
        dianQrText({
          number: coupon.invoiceNumber,
          issueDate: coupon.bill?.issueDate ?? '',
          amount: coupon.amount,
          cude,
        }),
      )
    : undefined;
  const doc = new (pdfkit())({
    size: 'LETTER',
    margin: 50,
    info: { Title: coupon.title, Author: 'EPM - Empresas Públicas de Medellín' },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));

  doc.rect(0, 0, doc.page.width, 80).fill(EPM_GREEN);
  doc.fillColor('white').fontSize(22).font('Helvetica-Bold').text('EPM', 50, 22);
  doc.fontSize(10).font('Helvetica').text('Empresas Públicas de Medellín E.S.P. · NIT 890.904.996-1', 50, 50);
  doc.fillColor('black').fontSize(16).font('Helvetica-Bold').text(coupon.title, 50, 110);

  const rows: [string, string][] = [
    ['Contrato', coupon.contractNumber],
    ['Titular', coupon.holderName],
    ['Dirección', coupon.address],
    ['Factura', coupon.invoiceNumber],
    ['Periodo', coupon.period],
    ['Fecha límite de pago', coupon.dueDate],
    ['Estado', coupon.status],
  ];
  if (coupon.couponCode) rows.push(['Código del cupón', coupon.couponCode]);
  if (coupon.validUntil) rows.push(['Válido hasta', coupon.validUntil]);
  rows.push(...(coupon.details ?? []));
  let y = 145;
  for (const [label, value] of rows) {
    doc.fontSize(10).font('Helvetica-Bold').text(label, 50, y, { width: 160 });
    doc.font('Helvetica').text(value, 220, y, { width: 330 });
    y += 20;
  }
  doc
    .rect(50, y + 10, 500, 50)
    .lineWidth(1)
    .stroke(EPM_GREEN);
  doc
    .fontSize(12)
    .font('Helvetica-Bold')
    .text(coupon.totalLabel ?? 'Total a pagar', 65, y + 28);
  doc.fontSize(18).text(formatPesos(coupon.amount), 300, y + 24, { width: 235, align: 'right' });
  y += 80;
  if (barcodePng && coupon.barcode) {
    doc.image(barcodePng, 50, y, { width: 500 });
    y += 90;
    doc
      .fontSize(8)
      .font('Helvetica')
      .text('Pague este cupón en bancos y corresponsales autorizados con el código de barras (GS1-128).', 50, y, {
        width: 500,
      });
    y += 20;
  }
  if (qrPng && cude) {
    doc.image(qrPng, 440, y + 10, { width: 110 });
    doc
      .fontSize(10)
      .font('Helvetica-Bold')
      .text('Documento equivalente electrónico', 50, y + 14, { width: 370 });
    doc
      .fontSize(8)
      .font('Helvetica')
      .text('CUDE', 50, y + 32)
      .font('Courier')
      .text(cude, 50, y + 44, { width: 370 })
      .font('Helvetica')
      .text('Consúltelo en el catálogo de la DIAN con el código QR.', 50, y + 76, { width: 370 });
  }
  if (coupon.bill && coupon.bill.lines.length > 0)
    drawBillDetail(doc, coupon.bill, { number: coupon.invoiceNumber, period: coupon.period });
  doc.end();
  return done;
}

const EVENT_TITLES = {
  invoice: 'Factura de servicios públicos',
  receipt: 'Comprobante de pago',
  reversal: 'Factura (pago reversado)',
} as const;

/**
 * The PDF attached to an invoice email, from the event alone: a receipt shows when, how and by
 * which transaction it was paid, and never a payable barcode; an unpaid invoice carries the
 * barcode it had then.
 */
export function renderInvoiceEventPdf(
  kind: keyof typeof EVENT_TITLES,
  event: InvoiceEvent,
  transactionId?: string,
): Promise<Buffer> {
  const details: [string, string][] = [];
  const at = formatBogotaTime(new Date(event.occurredAt));
  if (kind === 'receipt') {
    details.push(['Fecha del pago', at]);
    if (event.paymentMethod) details.push(['Medio de pago', PAYMENT_METHOD_LABELS[event.paymentMethod]]);
  }
  if (kind === 'reversal') {
    details.push(['Fecha de la reversión', at]);
    if (event.reason) details.push(['Motivo', event.reason]);
  }
  if (transactionId) details.push(['Transacción', transactionId]);
  return renderCouponPdf({
    title: EVENT_TITLES[kind],
    contractNumber: event.contractNumber,
    holderName: event.holderName,
    address: event.address,
    invoiceNumber: event.invoiceNumber,
    period: event.period,
    dueDate: formatLongDate(event.dueDate),
    amount: event.amount,
    status: INVOICE_STATUS_LABELS[event.invoiceStatus],
    barcode: kind === 'receipt' || event.invoiceStatus !== 'UNPAID' ? undefined : event.barcode,
    details,
    totalLabel: kind === 'receipt' ? 'Total pagado' : undefined,
    bill: kind === 'invoice' ? event.bill : undefined,
  });
}
