import { formatCouponCode } from '../models/coupon.model';
import type { NotificationKind } from '../models/message.model';
import { formatBogotaTime, formatLongDate, formatPesos } from './texts';

type Data = Record<string, string | number>;

const code = (d: Data) => formatCouponCode(String(d.couponCode ?? ''));
const pesos = (d: Data) => formatPesos(Number(d.amount ?? 0));
const due = (d: Data) => formatLongDate(String(d.dueDate ?? ''));

const TEXTS: Record<NotificationKind, (d: Data) => { title: string; body: string }> = {
  PAYMENT_CONFIRMED: (d) => ({
    title: 'Pago confirmado',
    body:
      d.paymentMethod === 'BANK'
        ? `El banco nos reportó su pago de ${pesos(d)} de la factura ${d.invoiceNumber} (contrato ${d.contractNumber}) con el cupón impreso.`
        : `Recibimos su pago de ${pesos(d)} de la factura ${d.invoiceNumber} (contrato ${d.contractNumber}).`,
  }),
  PAYMENT_DECLINED: (d) => ({
    title: 'Pago no aprobado',
    body: `Su pago de ${pesos(d)} (${d.invoiceCount} factura${Number(d.invoiceCount) === 1 ? '' : 's'}) no fue aprobado${d.reason ? `: ${d.reason}` : ''}. Sus cupones siguen vigentes; puede intentar de nuevo.`,
  }),
  INVOICE_PAID_BY_GUEST: (d) => ({
    title: 'Factura pagada por otra persona',
    body: `La factura ${d.invoiceNumber} del contrato ${d.contractNumber} fue pagada (${pesos(d)}) sin cuenta, con el número de contrato. No tiene que pagarla.`,
  }),
  PAYMENT_REVERSED: (d) => ({
    title: 'Pago reversado',
    body: `El pago de ${pesos(d)} de la factura ${d.invoiceNumber} fue reversado${d.reason ? `: ${d.reason}` : ''}. La factura quedó pendiente de pago.`,
  }),
  COUPON_GENERATED: (d) => ({
    title: 'Cupón de pago generado',
    body: `Su cupón ${code(d)} por ${pesos(d)} para la factura ${d.invoiceNumber} está listo para pagar.`,
  }),
  COUPON_EXPIRING: (d) => ({
    title: 'Su cupón vence pronto',
    body: `El cupón ${code(d)} vence el ${formatBogotaTime(new Date(String(d.expiresAt)))}. Páguelo antes o genere uno nuevo.`,
  }),
  COUPON_EXPIRED: (d) => ({
    title: 'Cupón vencido',
    body: `El cupón ${code(d)} venció. Busque su contrato para generar uno nuevo.`,
  }),
  COUPON_CANCELLED: (d) => ({
    title: 'Cupón anulado',
    body:
      d.reason === 'INVOICE_PAID'
        ? `El cupón ${code(d)} se anuló porque la factura ya fue pagada.`
        : d.reason === 'INVOICE_UPDATED'
          ? `El cupón ${code(d)} se anuló porque la factura cambió de valor o de fecha. Genere un cupón nuevo para pagarla.`
          : `El cupón ${code(d)} fue anulado.`,
  }),
  INVOICE_ISSUED: (d) => ({
    title: 'Nueva factura',
    body: `Llegó la factura ${d.invoiceNumber} del contrato ${d.contractNumber} por ${pesos(d)}; la fecha límite de pago es el ${due(d)}.`,
  }),
  INVOICE_DUE_SOON: (d) => ({
    title: 'Su factura vence pronto',
    body: `La factura ${d.invoiceNumber} del contrato ${d.contractNumber} por ${pesos(d)} vence el ${due(d)}. Páguela a tiempo para evitar recargos.`,
  }),
  INVOICE_OVERDUE: (d) => ({
    title: 'Factura vencida',
    body: `La factura ${d.invoiceNumber} del contrato ${d.contractNumber} por ${pesos(d)} venció el ${due(d)} y sigue pendiente de pago.`,
  }),
  PASSWORD_CHANGED: (d) => ({
    title: 'Contraseña cambiada',
    body:
      d.via === 'reset'
        ? `Su contraseña se restableció con el enlace enviado a su correo el ${formatBogotaTime(new Date(String(d.changedAt)))}. Se cerraron todas sus sesiones. Si no fue usted, escríbanos de inmediato.`
        : `Su contraseña se cambió el ${formatBogotaTime(new Date(String(d.changedAt)))}. Se cerraron sus otras sesiones. Si no fue usted, restablézcala y escríbanos de inmediato.`,
  }),
};

/** The Spanish (es-CO) title and body of a notification. */
export function renderNotification(kind: NotificationKind, data: Data): { title: string; body: string } {
  const { title, body } = TEXTS[kind](data);
  return { title, body: body.slice(0, 500) };
}
