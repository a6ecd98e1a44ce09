import type { CheckoutFields } from '../formats/wompi';
import { escapeHtml, formatPesos } from './texts';

/**
 * The sandbox's checkout page (es-CO): what the customer pays and three buttons standing for what
 * a real gateway could answer. Its form posts the checkout's own fields back, so the post is
 * checked exactly as the link was.
 */
export const SANDBOX_DECISIONS = ['APPROVED', 'DECLINED', 'APPROVED_NO_EVENT'] as const;
export type SandboxDecision = (typeof SANDBOX_DECISIONS)[number];

const METHODS: [string, string][] = [
  ['CARD', 'Tarjeta'],
  ['PSE', 'PSE (débito a cuenta)'],
  ['NEQUI', 'Nequi'],
  ['BANCOLOMBIA_TRANSFER', 'Transferencia Bancolombia'],
];

export function renderCheckoutPage(fields: CheckoutFields, query: URLSearchParams): string {
  const hidden = [...query.entries()]
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n      ');
  const options = METHODS.map(([value, label]) => `<option value="${value}">${escapeHtml(label)}</option>`).join('');
  return `<!doctype html>
<html lang="es-CO">
  <head><meta charset="utf-8"><title>Pasarela de pruebas</title>
  <meta name="viewport" content="width=device-width, initial-scale=1"></head>
  <body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 2rem auto">
    <h1>Pasarela de pruebas (sandbox)</h1>
    <p>Ningún dinero se mueve: esta página hace las veces de la pasarela de pagos.</p>
    <dl>
      <dt>Valor</dt><dd id="amount">${escapeHtml(formatPesos(fields.amountInCents / 100))}</dd>
      <dt>Referencia</dt><dd id="reference">${escapeHtml(fields.reference)}</dd>
    </dl>
    <form method="post">
      ${hidden}
      <label>Medio de pago <select name="payment-method">${options}</select></label>
      <p>
        <button type="submit" name="decision" value="APPROVED">Aprobar</button>
        <button type="submit" name="decision" value="DECLINED">Rechazar</button>
        <button type="submit" name="decision" value="APPROVED_NO_EVENT">Aprobar sin enviar el evento</button>
      </p>
    </form>
  </body>
</html>
`;
}

export function renderCheckoutRefusal(reason: string): string {
  return `<!doctype html>
<html lang="es-CO">
  <head><meta charset="utf-8"><title>Pasarela de pruebas</title></head>
  <body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 2rem auto">
    <h1>No se puede pagar con este enlace</h1>
    <p id="reason">${escapeHtml(reason)}</p>
  </body>
</html>
`;
}
