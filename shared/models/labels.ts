/**
 * What people read for each code the API returns (es-CO, the only place these labels live): the
 * JSON carries them beside the codes (`statusLabel`, `typeLabel`, `paymentMethodLabel`), and the
 * emails, PDFs and notifications print them instead of the codes.
 */
export const INVOICE_STATUS_LABELS = { UNPAID: 'Pendiente de pago', PAID: 'Pagada' } as const;
export const COUPON_STATUS_LABELS = {
  ACTIVE: 'Activo',
  USED: 'Usado (pagado)',
  EXPIRED: 'Vencido',
  CANCELLED: 'Anulado',
} as const;
export const TRANSACTION_TYPE_LABELS = { PAYMENT: 'Pago', REVERSAL: 'Reversión' } as const;
export const PAYMENT_METHOD_LABELS = {
  PSE: 'PSE (débito a cuenta)',
  CARD: 'Tarjeta',
  CASH: 'Efectivo',
  BANK: 'Recaudo bancario',
  NEQUI: 'Nequi',
  BANCOLOMBIA_TRANSFER: 'Transferencia Bancolombia',
} as const;
export const GATEWAY_PAYMENT_STATUS_LABELS = {
  PENDING: 'En proceso',
  APPROVED: 'Aprobado',
  DECLINED: 'Rechazado',
  VOIDED: 'Anulado',
  ERROR: 'Con error',
  EXPIRED: 'Vencido sin pago',
} as const;

/** The services of a bill (invoice lines) and their units. */
export const SERVICE_LABELS = {
  ENERGIA: 'Energía',
  ACUEDUCTO: 'Acueducto',
  ALCANTARILLADO: 'Alcantarillado',
  GAS: 'Gas natural',
  ASEO: 'Aseo',
  ALUMBRADO: 'Alumbrado público',
  OTROS: 'Otros conceptos',
} as const;
export const UNIT_LABELS = { kWh: 'kWh', m3: 'm³' } as const;
