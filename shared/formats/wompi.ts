import { createHash, timingSafeEqual } from 'node:crypto';

import { z } from 'zod';

/**
 * Wompi's protocol (docs/payments.md): the web checkout's query and integrity signature, the
 * transaction as its API and its events carry it, and the event checksum. The production
 * adapter (shared/clients/gateway.client.ts) and the embedded sandbox both speak it through
 * this module, so the sandbox cannot drift from what the real gateway is checked against.
 */

export const GATEWAY_STATUSES = ['PENDING', 'APPROVED', 'DECLINED', 'VOIDED', 'ERROR'] as const;
export type GatewayStatus = (typeof GATEWAY_STATUSES)[number];

/** Wompi's payment method types, for the methods this app offers. */
export const WOMPI_METHOD_TYPES = {
  PSE: 'PSE',
  CARD: 'CARD',
  NEQUI: 'NEQUI',
  BANCOLOMBIA_TRANSFER: 'BANCOLOMBIA_TRANSFER',
} as const;

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** SHA-256 hex of reference + amountInCents + currency + expirationTime + the integrity secret. */
export function integritySignature(
  fields: { reference: string; amountInCents: number; currency: string; expirationTime?: string },
  integritySecret: string,
): string {
  return sha256Hex(
    `${fields.reference}${fields.amountInCents}${fields.currency}${fields.expirationTime ?? ''}${integritySecret}`,
  );
}

export interface CheckoutFields {
  publicKey: string;
  reference: string;
  amountInCents: number;
  currency: 'COP';
  redirectUrl: string;
  /** ISO 8601 in UTC: after it the checkout refuses the link. */
  expirationTime: string;
}

/** The web checkout link, with its integrity signature. */
export function checkoutUrl(base: string, fields: CheckoutFields, integritySecret: string): string {
  const url = new URL(base);
  url.searchParams.set('public-key', fields.publicKey);
  url.searchParams.set('currency', fields.currency);
  url.searchParams.set('amount-in-cents', String(fields.amountInCents));
  url.searchParams.set('reference', fields.reference);
  url.searchParams.set('signature:integrity', integritySignature(fields, integritySecret));
  url.searchParams.set('redirect-url', fields.redirectUrl);
  url.searchParams.set('expiration-time', fields.expirationTime);
  return url.toString();
}

/** A checkout query read back (the sandbox's checkout page), or why it is refused. */
export function readCheckoutQuery(
  query: URLSearchParams,
  integritySecret: string,
  now: Date,
): { fields: CheckoutFields } | { refused: string } {
  const amount = Number(query.get('amount-in-cents'));
  const fields = {
    publicKey: query.get('public-key') ?? '',
    reference: query.get('reference') ?? '',
    amountInCents: amount,
    currency: query.get('currency') ?? '',
    redirectUrl: query.get('redirect-url') ?? '',
    expirationTime: query.get('expiration-time') ?? '',
  };
  if (!fields.reference || !Number.isSafeInteger(amount) || amount <= 0 || fields.currency !== 'COP')
    return { refused: 'El enlace de pago está incompleto.' };
  if (!sameHex(query.get('signature:integrity') ?? '', integritySignature(fields, integritySecret)))
    return { refused: 'La firma de integridad del enlace no es válida.' };
  const expires = Date.parse(fields.expirationTime);
  if (fields.expirationTime && (Number.isNaN(expires) || expires <= now.getTime()))
    return { refused: 'El enlace de pago venció.' };
  return { fields: { ...fields, currency: 'COP' } };
}

/** The transaction as Wompi's API and events carry it (the fields this app reads). */
// Loose: fields this app does not read are kept, so a checksum over them still adds up.
export const wompiTransactionSchema = z.looseObject({
  id: z.string().min(1).max(100),
  amount_in_cents: z.number().int().nonnegative(),
  reference: z.string().min(1).max(100),
  currency: z.string().min(1).max(10),
  payment_method_type: z.string().max(50).optional().nullable(),
  status: z.enum(GATEWAY_STATUSES),
  status_message: z.string().max(500).optional().nullable(),
  customer_email: z.string().max(320).optional().nullable(),
  redirect_url: z.string().max(2048).optional().nullable(),
  created_at: z.string().max(40).optional(),
  finalized_at: z.string().max(40).optional().nullable(),
});
export type WompiTransaction = z.infer<typeof wompiTransactionSchema>;

export const wompiEventSchema = z.object({
  event: z.string().min(1).max(100),
  data: z.looseObject({ transaction: wompiTransactionSchema }),
  environment: z.string().max(20).optional(),
  signature: z.object({
    properties: z.array(z.string().min(1).max(100)).min(1).max(20),
    checksum: z.string().min(1).max(128),
  }),
  timestamp: z.number().int().nonnegative(),
  sent_at: z.string().max(40).optional(),
});
export type WompiEvent = z.infer<typeof wompiEventSchema>;

/** The value at a dotted path of the event's `data` ("transaction.amount_in_cents"), as text. */
function dataValue(data: unknown, property: string): string {
  let value: unknown = data;
  for (const key of property.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return '';
    value = (value as Record<string, unknown>)[key];
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value === null || value === undefined ? '' : JSON.stringify(value);
}

/** SHA-256 hex of the values of signature.properties (read from data, in order), the timestamp and the secret. */
export function eventChecksum(
  event: { data: unknown; timestamp: number; signature: { properties: string[] } },
  eventsSecret: string,
): string {
  const values = event.signature.properties.map((p) => dataValue(event.data, p)).join('');
  return sha256Hex(`${values}${event.timestamp}${eventsSecret}`);
}

/** Whether the event carries the checksum its properties make with our secret (constant time, any case). */
export function hasValidChecksum(event: WompiEvent, eventsSecret: string): boolean {
  return sameHex(event.signature.checksum, eventChecksum(event, eventsSecret));
}

/** Two hex digests compared in constant time, case-insensitively (Wompi sends upper case). */
export function sameHex(given: string, expected: string): boolean {
  return sameSecret(given.toLowerCase(), expected.toLowerCase());
}

/** Two secrets compared in constant time (their length aside). */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  // timingSafeEqual needs equal lengths; comparing b with itself keeps the time independent of `given`.
  return a.length === b.length ? timingSafeEqual(a, b) : !timingSafeEqual(b, b);
}

/** A signed event for a transaction, as Wompi sends it (the sandbox builds its events with this). */
export function signedEvent(
  transaction: WompiTransaction,
  eventsSecret: string,
  at: Date,
  environment = 'test',
): WompiEvent {
  const unsigned = {
    event: 'transaction.updated',
    data: { transaction },
    environment,
    signature: { properties: ['transaction.id', 'transaction.status', 'transaction.amount_in_cents'], checksum: '' },
    timestamp: Math.floor(at.getTime() / 1000),
    sent_at: at.toISOString(),
  };
  return {
    ...unsigned,
    signature: { ...unsigned.signature, checksum: eventChecksum(unsigned, eventsSecret).toUpperCase() },
  };
}
