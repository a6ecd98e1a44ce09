import { INVOICE_STATUS_LABELS } from '../models/labels';
import { escapeHtml, formatPesos } from './texts';

/** The data every invoice email shows. */
export interface InvoiceEmailData {
  kind: 'invoice' | 'receipt' | 'reversal';
  fullName: string;
  contractNumber: string;
  invoiceNumber: string;
  period: string;
  dueDate: string;
  amount: number;
  status: 'UNPAID' | 'PAID';
  paymentMethod?: string | null;
  transactionId?: string;
  reason?: string | null;
}

const SUBJECTS: Record<InvoiceEmailData['kind'], (d: InvoiceEmailData) => string> = {
  invoice: (d) => `Tu factura EPM ${d.invoiceNumber} del periodo ${d.period}`,
  receipt: (d) => `Recibimos tu pago de ${formatPesos(d.amount)} – factura ${d.invoiceNumber}`,
  reversal: (d) => `Tu pago de la factura ${d.invoiceNumber} fue reversado`,
};

const INTROS: Record<InvoiceEmailData['kind'], (d: InvoiceEmailData) => string> = {
  invoice: (d) => `Adjuntamos la factura ${d.invoiceNumber} del contrato ${d.contractNumber}.`,
  receipt: (d) =>
    `Confirmamos el pago de ${formatPesos(d.amount)} de la factura ${d.invoiceNumber} del contrato ${d.contractNumber}${d.paymentMethod ? ` por ${d.paymentMethod}` : ''}. Adjuntamos el comprobante.`,
  reversal: (d) =>
    `El pago de ${formatPesos(d.amount)} de la factura ${d.invoiceNumber} fue reversado${d.reason ? ` (motivo: ${d.reason})` : ''}. La factura quedó pendiente de pago; puede generar un nuevo cupón buscando su contrato.`,
};

/** The Spanish (es-CO) email for an invoice, receipt or reversal: subject, HTML and plain text. */
export function renderInvoiceEmail(d: InvoiceEmailData): { subject: string; html: string; text: string } {
  const rows: [string, string][] = [
    ['Contrato', d.contractNumber],
    ['Factura', d.invoiceNumber],
    ['Periodo', d.period],
    ['Fecha límite de pago', d.dueDate],
    ['Valor', formatPesos(d.amount)],
    ['Estado', INVOICE_STATUS_LABELS[d.status]],
  ];
  if (d.transactionId) rows.push(['Transacción', d.transactionId]);
  const intro = INTROS[d.kind](d);
  const text = [
    `Hola, ${d.fullName}:`,
    '',
    intro,
    '',
    ...rows.map(([k, v]) => `${k}: ${v}`),
    '',
    'EPM - Empresas Públicas de Medellín E.S.P.',
    'Este correo se envió automáticamente; no lo responda.',
  ].join('\n');
  const html = `<!doctype html><html lang="es-CO"><body style="font-family:Arial,sans-serif;color:#222">
<div style="background:#00843D;color:#fff;padding:16px 24px;font-size:20px;font-weight:bold">EPM</div>
<div style="padding:24px"><p>Hola, ${escapeHtml(d.fullName)}:</p><p>${escapeHtml(intro)}</p>
<table style="border-collapse:collapse">${rows.map(([k, v]) => `<tr><td style="padding:4px 16px 4px 0;font-weight:bold">${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join('')}</table>
<p style="color:#666;font-size:12px">EPM - Empresas Públicas de Medellín E.S.P. Este correo se envió automáticamente; no lo responda.</p></div></body></html>`;
  return { subject: SUBJECTS[d.kind](d), html, text };
}
