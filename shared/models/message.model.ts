import { z } from 'zod';

import { barcodeSchema } from '../formats/barcode';
import { newId } from './ids';
import { INVOICE_STATUSES } from './invoice.model';
import { SERVICES, UNITS } from './invoiceLine.model';
import { PAYMENT_METHODS } from './transaction.model';

/**
 * Queue messages: one versioned schema per queue, used by the producer (through the outbox) and by
 * the consumer to validate what it receives. `messageId` is the de-duplication key.
 */
export const QUEUES = {
  invoiceEmails: 'invoice-emails',
  notifications: 'notifications',
  accountEmails: 'account-emails',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** The queues the app consumes: a message that fails for good lands in its `<queue>-poison`. */
export const CONSUMED_QUEUES = Object.values(QUEUES);
export const consumedQueueSchema = z.enum(CONSUMED_QUEUES).describe('A queue the app consumes');
export type ConsumedQueue = z.infer<typeof consumedQueueSchema>;
export const poisonQueueOf = (queue: ConsumedQueue) => `${queue}-poison`;
/** The queue service's id of a message (a GUID). */
export const queueMessageIdSchema = z
  .string()
  .max(36)
  .regex(
    /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
    'Identificador de mensaje no válido.',
  )
  .describe("The queue service's id of the message");

/** What the bill said then: its lines, the consumption of its last periods (the chart) and DIAN's CUDE. */
export const invoiceBillSchema = z.object({
  lines: z.array(
    z.object({
      service: z.enum(SERVICES),
      concept: z.string(),
      unit: z.enum(UNITS).nullable(),
      quantity: z.number().nullable(),
      amount: z.number().int(),
    }),
  ),
  consumption: z.array(
    z.object({
      service: z.enum(SERVICES),
      unit: z.enum(UNITS),
      periods: z.array(z.object({ period: z.string(), quantity: z.number(), amount: z.number().int() })),
    }),
  ),
  cude: z.string().nullable(),
  issueDate: z.string(),
});
export type InvoiceBill = z.infer<typeof invoiceBillSchema>;

/**
 * What was true when the event happened (a payment, a reversal, a request for the invoice): the
 * email and its PDF are rendered from this alone, so a reversal a second after a payment can't
 * turn its receipt into a "pending" invoice, and a newer coupon can't slip its barcode into it.
 */
export const invoiceEventSchema = z.object({
  occurredAt: z.iso.datetime(),
  fullName: z.string(),
  contractNumber: z.string(),
  /** As printed: masked. */
  holderName: z.string(),
  address: z.string(),
  invoiceNumber: z.string(),
  period: z.string(),
  dueDate: z.string(),
  invoiceStatus: z.enum(INVOICE_STATUSES),
  amount: z.number().int(),
  paymentMethod: z.enum(PAYMENT_METHODS).optional(),
  reason: z.string().optional(),
  /** An unpaid invoice's barcode then (its ACTIVE coupon's, or the invoice number's). */
  barcode: barcodeSchema.optional(),
  /** An invoice (not a receipt or a reversal notice) carries what its bill says; older messages don't. */
  bill: invoiceBillSchema.optional(),
});
export type InvoiceEvent = z.infer<typeof invoiceEventSchema>;

/**
 * v2: the event is required (the email and its PDF are rendered from it alone, never from the
 * database at delivery). A v1 message that carries its event, queued before the upgrade, is read
 * as the same thing; a v1 message without one can't be rendered and goes to the poison queue.
 */
export const invoiceEmailMessageSchema = z
  .object({
    v: z.union([z.literal(2), z.literal(1)]),
    messageId: z.string().uuid(),
    kind: z.enum(['invoice', 'receipt', 'reversal']),
    userId: z.string().min(1),
    invoiceId: z.string().min(1),
    transactionId: z.string().optional(),
    /** Paid without an account: the receipt goes to this guest payment's payer (their email, read at delivery). */
    guestPaymentId: z.string().optional(),
    event: invoiceEventSchema,
    /** The W3C traceparent of what caused the message (absent when telemetry is off): its consumer's span joins that trace. */
    traceparent: z.string().max(55).optional(),
  })
  .transform((message) => ({ ...message, v: 2 as const }));
export type InvoiceEmailMessage = z.output<typeof invoiceEmailMessageSchema>;

export const NOTIFICATION_KINDS = [
  'PAYMENT_CONFIRMED',
  'PAYMENT_REVERSED',
  'COUPON_GENERATED',
  'COUPON_EXPIRING',
  'COUPON_EXPIRED',
  'COUPON_CANCELLED',
  'INVOICE_ISSUED',
  'INVOICE_DUE_SOON',
  'INVOICE_OVERDUE',
  'PASSWORD_CHANGED',
  'PAYMENT_DECLINED',
  'INVOICE_PAID_BY_GUEST',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const notificationMessageSchema = z.object({
  v: z.literal(1),
  messageId: z.string().uuid(),
  kind: z.enum(NOTIFICATION_KINDS),
  userId: z.string().min(1),
  /** When the event happened; absent only in messages queued before it was carried (then: delivery time). */
  occurredAt: z.iso.datetime().optional(),
  /** What the title and body are rendered from (coupon code, invoice number, amount…), and what it links to. */
  data: z.record(z.string(), z.union([z.string(), z.number()])),
  /** The W3C traceparent of what caused the message (absent when telemetry is off): its consumer's span joins that trace. */
  traceparent: z.string().max(55).optional(),
});
export type NotificationMessage = z.infer<typeof notificationMessageSchema>;

/**
 * Notices per batch message. Each is ~150 bytes of JSON (an id, a coupon code, an invoice id, an
 * expiry), so 200 stay far below a queue message's 64 KB, base64 included.
 */
export const NOTICES_PER_MESSAGE = 200;

/**
 * Many notices of one kind from one timer batch (coupons expired or about to): one queue message
 * and one outbox row for up to NOTICES_PER_MESSAGE people instead of one each. The consumer
 * stores notice i under the source id `<messageId>/<i>`, so a redelivered batch, or one whose
 * first half was stored before a crash, adds only what is missing.
 */
export const noticeBatchMessageSchema = z.object({
  v: z.literal(1),
  messageId: z.string().uuid(),
  kind: z.enum(NOTIFICATION_KINDS),
  occurredAt: z.iso.datetime(),
  notices: z
    .array(
      z.object({
        // The shape of a key, any version (the seed's fixed ids too): the consumer looks them up in one query.
        userId: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i),
        data: notificationMessageSchema.shape.data,
      }),
    )
    .min(1)
    .max(NOTICES_PER_MESSAGE),
  /** As in a single notification: the trace of the run that wrote the batch. */
  traceparent: z.string().max(55).optional(),
});
export type NoticeBatchMessage = z.infer<typeof noticeBatchMessageSchema>;

/** Whether a notifications-queue message is a batch (it has `notices`) rather than one notice. */
export const isNoticeBatch = (raw: unknown): boolean => typeof raw === 'object' && raw !== null && 'notices' in raw;

/** The source id under which a batch's notice is stored: unique per message and position. */
export const batchNoticeSourceId = (messageId: string, index: number) => `${messageId}/${index}`;

export const ACCOUNT_EMAIL_KINDS = ['verify-email', 'password-reset', 'password-changed'] as const;
export type AccountEmailKind = (typeof ACCOUNT_EMAIL_KINDS)[number];

/**
 * An account email: what happened, when, and to which address. A password-reset request carries
 * only the address typed (the consumer finds its account, if any), so the request does the same
 * work whether or not the email is registered. The token is not in the message: the consumer
 * derives it from `messageId` (accountToken.model).
 */
export const accountEmailMessageSchema = z.object({
  v: z.literal(1),
  messageId: z.string().uuid(),
  kind: z.enum(ACCOUNT_EMAIL_KINDS),
  occurredAt: z.iso.datetime(),
  email: z.string().min(3),
  /** The account (absent on a password-reset request) and the name it had then. */
  userId: z.string().optional(),
  fullName: z.string().optional(),
  /** password-changed: by the person signed in, or through a reset link. */
  via: z.enum(['change', 'reset']).optional(),
  /** The W3C traceparent of what caused the message (absent when telemetry is off): its consumer's span joins that trace. */
  traceparent: z.string().max(55).optional(),
});
export type AccountEmailMessage = z.infer<typeof accountEmailMessageSchema>;

export interface OutgoingMessage {
  queue: QueueName;
  body: InvoiceEmailMessage | NotificationMessage | NoticeBatchMessage | AccountEmailMessage;
}

export function accountEmailMessage(
  fields: Omit<AccountEmailMessage, 'v' | 'messageId' | 'occurredAt'> & { occurredAt: Date },
): OutgoingMessage {
  return {
    queue: QUEUES.accountEmails,
    body: accountEmailMessageSchema.parse({
      v: 1,
      messageId: newId(fields.occurredAt.getTime()),
      ...fields,
      occurredAt: fields.occurredAt.toISOString(),
    }),
  };
}

/** The email with the code that proves an address: at registration, and when asked again. */
export function verificationEmailMessage(
  user: { id: string; email: string; fullName: string },
  now: Date,
): OutgoingMessage {
  return accountEmailMessage({
    kind: 'verify-email',
    occurredAt: now,
    email: user.email,
    userId: user.id,
    fullName: user.fullName,
  });
}

export function invoiceEmailMessage(fields: Omit<InvoiceEmailMessage, 'v' | 'messageId'>): OutgoingMessage {
  return {
    queue: QUEUES.invoiceEmails,
    body: invoiceEmailMessageSchema.parse({ v: 2, messageId: newId(), ...fields }),
  };
}

/**
 * One kind of notice for many people at once, as few messages as NOTICES_PER_MESSAGE allows. A
 * single notice stays a plain notification message.
 */
export function noticeBatchMessages(
  kind: NotificationKind,
  occurredAt: Date,
  notices: NoticeBatchMessage['notices'],
): OutgoingMessage[] {
  if (notices.length === 1 && notices[0]) return [notificationMessage({ kind, occurredAt, ...notices[0] })];
  const messages: OutgoingMessage[] = [];
  for (let i = 0; i < notices.length; i += NOTICES_PER_MESSAGE) {
    messages.push({
      queue: QUEUES.notifications,
      body: noticeBatchMessageSchema.parse({
        v: 1,
        messageId: newId(),
        kind,
        occurredAt: occurredAt.toISOString(),
        notices: notices.slice(i, i + NOTICES_PER_MESSAGE),
      }),
    });
  }
  return messages;
}

export function notificationMessage(
  fields: Omit<NotificationMessage, 'v' | 'messageId' | 'occurredAt'> & { occurredAt: Date },
): OutgoingMessage {
  return {
    queue: QUEUES.notifications,
    body: notificationMessageSchema.parse({
      v: 1,
      messageId: newId(),
      ...fields,
      occurredAt: fields.occurredAt.toISOString(),
    }),
  };
}
