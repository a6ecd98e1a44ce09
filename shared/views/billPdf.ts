import type PDFKit from 'pdfkit';

import { SERVICES } from '../models/invoiceLine.model';
import { SERVICE_LABELS, UNIT_LABELS } from '../models/labels';
import type { InvoiceBill } from '../models/message.model';
import { formatPesos } from './texts';

type Doc = PDFKit.PDFDocument;

export const EPM_GREEN = '#00843D';
const GREY = '#9AA5A0';
const LEFT = 50;
const RIGHT = 550;
/** Below this a new row starts a new page (LETTER is 792 points high, the margin 50). */
const LAST_ROW = 720;

/** One chart's box, in points; two charts share a row. */
export const CHART_SIZE = { width: 240, height: 130 } as const;

const quantityText = (quantity: number, unit: keyof typeof UNIT_LABELS) =>
  `${quantity.toLocaleString('es-CO', { maximumFractionDigits: 3 })} ${UNIT_LABELS[unit]}`;

const MONTHS = ['ene', 'feb', 'mar', 'abr', 'may', 'jun', 'jul', 'ago', 'sep', 'oct', 'nov', 'dic'];
const shortPeriod = (period: string) => {
  const [year, month] = period.split('-');
  return `${MONTHS[Number(month) - 1] ?? month} ${year?.slice(2)}`;
};

/**
 * The bill's detail page: its lines grouped by service (in the order of SERVICES) with each
 * service's subtotal, then a bar chart of the last periods' consumption of each metered service,
 * its average drawn across and the invoice's own period in EPM green.
 */
export function drawBillDetail(doc: Doc, bill: InvoiceBill, invoice: { number: string; period: string }): void {
  const invoicePeriod = invoice.period;
  doc.addPage();
  let y = 50;
  doc.fillColor('black').fontSize(16).font('Helvetica-Bold').text('Detalle de la factura', LEFT, y);
  doc
    .fontSize(9)
    .font('Helvetica')
    .text(`Factura ${invoice.number} · Periodo ${invoice.period}`, LEFT, y + 20);
  y += 40;
  const row = (label: string, quantity: string, amount: string, bold = false) => {
    if (y > LAST_ROW) {
      doc.addPage();
      y = 50;
    }
    doc.fontSize(9).font(bold ? 'Helvetica-Bold' : 'Helvetica');
    doc.text(label, LEFT + (bold ? 0 : 10), y, { width: 270, lineBreak: false, ellipsis: true });
    doc.text(quantity, 330, y, { width: 90, align: 'right', lineBreak: false });
    doc.text(amount, 430, y, { width: RIGHT - 430, align: 'right', lineBreak: false });
    y += 12;
  };
  row('Concepto', 'Consumo', 'Valor', true);
  doc.moveTo(LEFT, y).lineTo(RIGHT, y).lineWidth(0.5).stroke(GREY);
  y += 6;
  for (const service of SERVICES) {
    const lines = bill.lines.filter((line) => line.service === service);
    if (lines.length === 0) continue;
    doc.fillColor(EPM_GREEN);
    row(SERVICE_LABELS[service], '', '', true);
    doc.fillColor('black');
    for (const line of lines)
      row(
        line.concept,
        line.unit && line.quantity !== null ? quantityText(line.quantity, line.unit) : '',
        formatPesos(line.amount),
      );
    const subtotal = lines.reduce((sum, line) => sum + line.amount, 0);
    row(`Subtotal ${SERVICE_LABELS[service].toLowerCase()}`, '', formatPesos(subtotal), true);
    y += 4;
  }
  doc.moveTo(LEFT, y).lineTo(RIGHT, y).lineWidth(0.5).stroke(GREY);
  y += 6;
  row('Total de la factura', '', formatPesos(bill.lines.reduce((sum, line) => sum + line.amount, 0)), true);

  if (bill.consumption.length === 0) return;
  y += 16;
  if (y + CHART_SIZE.height + 34 > 742) {
    doc.addPage();
    y = 50;
  }
  doc.fillColor('black').fontSize(12).font('Helvetica-Bold').text('Su consumo', LEFT, y);
  y += 24;
  bill.consumption.forEach((service, i) => {
    const x = i % 2 === 0 ? LEFT : LEFT + CHART_SIZE.width + 20;
    if (i % 2 === 0 && i > 0) y += CHART_SIZE.height + 24;
    if (i % 2 === 0 && y + CHART_SIZE.height > 742) {
      doc.addPage();
      y = 50;
    }
    drawConsumptionChart(doc, service, invoicePeriod, x, y);
  });
}

/** One service's bars, oldest period first, with the average as a dashed line. */
export function drawConsumptionChart(
  doc: Doc,
  service: InvoiceBill['consumption'][number],
  currentPeriod: string,
  x: number,
  y: number,
): void {
  const { width, height } = CHART_SIZE;
  const quantities = service.periods.map((p) => p.quantity);
  const average = quantities.reduce((sum, q) => sum + q, 0) / Math.max(quantities.length, 1);
  const top = Math.max(...quantities, average, 1) * 1.15;
  const plot = { x: x + 4, y: y + 18, width: width - 8, height: height - 40 };
  doc
    .fillColor('black')
    .fontSize(10)
    .font('Helvetica-Bold')
    .text(`${SERVICE_LABELS[service.service]} (${UNIT_LABELS[service.unit]})`, x, y, { width, lineBreak: false });
  doc
    .rect(x, y + 14, width, height - 14)
    .lineWidth(0.5)
    .stroke(GREY);
  const slot = plot.width / Math.max(service.periods.length, 1);
  service.periods.forEach((period, i) => {
    const barHeight = (period.quantity / top) * plot.height;
    const barX = plot.x + i * slot + slot * 0.18;
    const barY = plot.y + plot.height - barHeight;
    doc.rect(barX, barY, slot * 0.64, barHeight).fill(period.period === currentPeriod ? EPM_GREEN : GREY);
    doc
      .fillColor('black')
      .fontSize(7)
      .font('Helvetica')
      .text(period.quantity.toLocaleString('es-CO', { maximumFractionDigits: 0 }), plot.x + i * slot, barY - 9, {
        width: slot,
        align: 'center',
        lineBreak: false,
      });
    doc.text(shortPeriod(period.period), plot.x + i * slot, plot.y + plot.height + 4, {
      width: slot,
      align: 'center',
      lineBreak: false,
    });
  });
  const averageY = plot.y + plot.height - (average / top) * plot.height;
  doc
    .moveTo(plot.x, averageY)
    .lineTo(plot.x + plot.width, averageY)
    .dash(3, { space: 2 })
    .lineWidth(1)
    .stroke('#C0392B');
  doc.undash();
  doc
    .fillColor('#C0392B')
    .fontSize(7)
    .text(`Promedio: ${quantityText(Math.round(average * 10) / 10, service.unit)}`, x + 4, y + height - 10, {
      width: width - 8,
      align: 'right',
      lineBreak: false,
    });
  doc.fillColor('black');
}
