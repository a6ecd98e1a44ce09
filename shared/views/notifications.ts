import { formatCouponCode } from '../models/coupon.model';
import type { NotificationKind } from '../models/message.model';
import { formatBogotaTime, formatPesos } from './texts';

type Data = Record<string, string | number>;

const code = (d: Data) => formatCouponCode(String(d.couponCode ?? ''));
const pesos = (d: Data) => formatPesos(Number(d.amount ?? 0));

const TEXTS: Record<NotificationKind, (d: Data) => { title: string; body: string }> = {
  PAYMENT_CONFIRMED: (d) => ({
    title: 'Pago confirmado',
    body: `Recibimos tu pago de ${pesos(d)} de la factura ${d.invoiceNumber} (contrato ${d.contractNumber}).`,
  }),
  PAYMENT_REVERSED: (d) => ({
    title: 'Pago reversado',
    body: `El pago de ${pesos(d)} de la factura ${d.invoiceNumber} fue reversado${d.reason ? `: ${d.reason}` : ''}. La factura quedó pendiente de pago.`,
  }),
  COUPON_GENERATED: (d) => ({
    title: 'Cupón de pago generado',
    body: `Tu cupón ${code(d)} por ${pesos(d)} para la factura ${d.invoiceNumber} está listo para pagar.`,
  }),
  COUPON_EXPIRING: (d) => ({
    title: 'Tu cupón vence pronto',
    body: `El cupón ${code(d)} vence el ${formatBogotaTime(new Date(String(d.expiresAt)))}. Págalo antes o genera uno nuevo.`,
  }),
  COUPON_EXPIRED: (d) => ({
    title: 'Cupón vencido',
    body: `El cupón ${code(d)} venció. Busca tu contrato para generar uno nuevo.`,
  }),
  COUPON_CANCELLED: (d) => ({
    title: 'Cupón anulado',
    body:
      d.reason === 'INVOICE_PAID'
        ? `El cupón ${code(d)} se anuló porque la factura ya fue pagada.`
        : `El cupón ${code(d)} fue anulado.`,
  }),
};

/** The Spanish (es-CO) title and body of a notification. */
export function renderNotification(kind: NotificationKind, data: Data): { title: string; body: string } {
  const { title, body } = TEXTS[kind](data);
  return { title, body: body.slice(0, 500) };
}
