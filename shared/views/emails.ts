import { INVOICE_STATUS_LABELS, PAYMENT_METHOD_LABELS } from '../models/labels';
import type { InvoiceEvent } from '../models/message.model';
import { escapeHtml, formatBogotaTime, formatLongDate, formatPesos } from './texts';

/** An invoice email: which kind, the event it tells of, and the transaction it was about. */
export interface InvoiceEmailData {
  kind: 'invoice' | 'receipt' | 'reversal';
  event: InvoiceEvent;
  transactionId?: string;
}

const method = (e: InvoiceEvent) => (e.paymentMethod ? PAYMENT_METHOD_LABELS[e.paymentMethod] : undefined);

const SUBJECTS: Record<InvoiceEmailData['kind'], (e: InvoiceEvent) => string> = {
  invoice: (e) => `Su factura EPM ${e.invoiceNumber} del periodo ${e.period}`,
  receipt: (e) => `Recibimos su pago de ${formatPesos(e.amount)} – factura ${e.invoiceNumber}`,
  reversal: (e) => `Su pago de la factura ${e.invoiceNumber} fue reversado`,
};

const INTROS: Record<InvoiceEmailData['kind'], (e: InvoiceEvent) => string> = {
  invoice: (e) => `Adjuntamos la factura ${e.invoiceNumber} del contrato ${e.contractNumber}.`,
  receipt: (e) =>
    `Confirmamos el pago de ${formatPesos(e.amount)} de la factura ${e.invoiceNumber} del contrato ${e.contractNumber}, recibido el ${formatBogotaTime(new Date(e.occurredAt))}${method(e) ? ` por ${method(e)}` : ''}. Adjuntamos el comprobante.`,
  reversal: (e) =>
    `El pago de ${formatPesos(e.amount)} de la factura ${e.invoiceNumber} fue reversado el ${formatBogotaTime(new Date(e.occurredAt))}${e.reason ? ` (motivo: ${e.reason})` : ''}. La factura quedó pendiente de pago; puede generar un nuevo cupón buscando su contrato.`,
};

/**
 * The Spanish (es-CO, "usted") email for an invoice, receipt or reversal, rendered from the
 * event alone: subject, HTML and plain text.
 */
export function renderInvoiceEmail(d: InvoiceEmailData): { subject: string; html: string; text: string } {
  const e = d.event;
  const rows: [string, string][] = [
    ['Contrato', e.contractNumber],
    ['Factura', e.invoiceNumber],
    ['Periodo', e.period],
    ['Fecha límite de pago', formatLongDate(e.dueDate)],
    [d.kind === 'receipt' ? 'Valor pagado' : 'Valor', formatPesos(e.amount)],
    ['Estado', INVOICE_STATUS_LABELS[e.invoiceStatus]],
  ];
  if (d.kind === 'receipt') {
    rows.push(['Fecha del pago', formatBogotaTime(new Date(e.occurredAt))]);
    const paidWith = method(e);
    if (paidWith) rows.push(['Medio de pago', paidWith]);
  }
  if (d.transactionId) rows.push(['Transacción', d.transactionId]);
  return {
    subject: SUBJECTS[d.kind](e),
    ...renderEmailBody({ fullName: e.fullName, paragraphs: [INTROS[d.kind](e)], rows }),
  };
}

/** What every email says, in order: a greeting, paragraphs, a table of facts, a button. */
export interface EmailBody {
  fullName: string;
  paragraphs: string[];
  rows?: [string, string][];
  action?: { label: string; url: string };
}

/** The EPM email frame, as HTML and as plain text with the same content. */
export function renderEmailBody(b: EmailBody): { html: string; text: string } {
  const rows = b.rows ?? [];
  const text = [
    `Hola, ${b.fullName}:`,
    '',
    ...b.paragraphs.flatMap((p) => [p, '']),
    ...(b.action ? [`${b.action.label}: ${b.action.url}`, ''] : []),
    ...(rows.length ? [...rows.map(([k, v]) => `${k}: ${v}`), ''] : []),
    'EPM - Empresas Públicas de Medellín E.S.P.',
    'Este correo se envió automáticamente; no lo responda.',
  ].join('\n');
  const button = b.action
    ? `<p><a href="${escapeHtml(b.action.url)}" style="background:#00843D;color:#fff;padding:10px 18px;text-decoration:none;border-radius:4px;display:inline-block">${escapeHtml(b.action.label)}</a></p>`
    : '';
  const table = rows.length
    ? `<table style="border-collapse:collapse">${rows.map(([k, v]) => `<tr><td style="padding:4px 16px 4px 0;font-weight:bold">${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`
    : '';
  const html = `<!doctype html><html lang="es-CO"><body style="font-family:Arial,sans-serif;color:#222">
<div style="background:#00843D;color:#fff;padding:16px 24px;font-size:20px;font-weight:bold">EPM</div>
<div style="padding:24px"><p>Hola, ${escapeHtml(b.fullName)}:</p>${b.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('')}${button}
${table}
<p style="color:#666;font-size:12px">EPM - Empresas Públicas de Medellín E.S.P. Este correo se envió automáticamente; no lo responda.</p></div></body></html>`;
  return { html, text };
}
