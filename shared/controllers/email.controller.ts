import { z } from 'zod';

import type { EmailSender } from '../clients/email.client';
import { inTransaction } from '../clients/sql.client';
import type { Config } from '../config';
import { type DeliveryOutcome, sendOnce } from '../emailDelivery';
import { findGuestPayment } from '../models/guestPayment.model';
import { accessibleInvoice } from '../models/invoice.model';
import { invoiceEvent } from '../models/invoiceEvent.model';
import { type InvoiceEmailMessage, invoiceEmailMessage, invoiceEmailMessageSchema } from '../models/message.model';
import { addToOutbox } from '../models/outbox.model';
import { enforceRateLimit } from '../models/throttle';
import { findUserById } from '../models/user.model';
import * as outbox from '../outbox';
import { dispatchSoon } from '../outbox';
import { parseMessage, PermanentMessageError } from '../queueConsumer';
import type { BillingDeps } from '../services';
import { renderInvoiceEventPdf } from '../views/couponPdf';
import { renderInvoiceEmail } from '../views/emails';

export interface EmailDeps extends BillingDeps {
  email: EmailSender;
  config: Pick<Config, 'coupons' | 'email' | 'quotas' | 'delivery'>;
}

export const emailQueuedSchema = z
  .object({ messageId: z.string(), status: z.literal('QUEUED') })
  .meta({ id: 'EmailQueued' });

/**
 * POST /invoices/{id}/email: queues the invoice PDF to the caller's own address (never another:
 * no open relay), for invoices of contracts the caller looked up or paid, within a per-user limit.
 */
export async function request(
  deps: EmailDeps,
  userId: string,
  invoiceId: string,
): Promise<z.infer<typeof emailQueuedSchema>> {
  const invoice = await accessibleInvoice(deps.db, userId, invoiceId);
  await enforceRateLimit(deps, {
    bucket: `email:user:${userId}`,
    max: deps.config.email.maxPerUserPerHour,
    windowMs: 3600_000,
    detail: `Puede pedir hasta ${deps.config.email.maxPerUserPerHour} correos por hora.`,
  });
  const now = deps.clock.now();
  const event = await invoiceEvent(deps.db, deps.config.coupons.billerGln, invoice, userId, {
    at: now,
    withBill: true,
  });
  const message = invoiceEmailMessage({ kind: 'invoice', userId, invoiceId, event });
  const ids = await inTransaction(deps.db, (tx) => addToOutbox(tx, [message], now));
  await dispatchSoon(deps, ids);
  return { messageId: message.body.messageId, status: 'QUEUED' };
}

/**
 * The invoice-emails consumer: renders the Spanish email with the PDF and sends it once. The
 * delivery row goes PENDING before the send and SENT after it, so a redelivered message is
 * skipped; a message that can never succeed throws PermanentMessageError.
 */
export async function deliver(deps: EmailDeps, raw: unknown): Promise<DeliveryOutcome> {
  const message = parseMessage(invoiceEmailMessageSchema, raw);
  const recipient = await recipientOf(deps, message);
  // A deleted account, or a guest payer's email erased: nothing to send, and nothing to retry.
  if (!recipient) {
    await outbox.confirmDelivered(deps, message.messageId);
    return 'duplicate';
  }
  const { event } = message;
  const content = renderInvoiceEmail({ kind: message.kind, event, transactionId: message.transactionId });
  const filename = `${message.kind === 'receipt' ? 'comprobante' : 'factura'}-${event.invoiceNumber}.pdf`;
  return sendOnce(deps, { messageId: message.messageId, userId: message.userId, kind: message.kind }, async () => ({
    messageId: message.messageId,
    to: recipient,
    ...content,
    attachments: [
      {
        filename,
        contentType: 'application/pdf',
        content: await renderInvoiceEventPdf(message.kind, event, message.transactionId),
      },
    ],
  }));
}

/**
 * Who the email goes to, as they are now: the user's current address, or for a payment without
 * an account the email its payer gave (until GUEST_DATA_RETENTION_DAYS erased it). What the email
 * says is the event's.
 */
async function recipientOf(
  deps: EmailDeps,
  message: InvoiceEmailMessage,
): Promise<{ address: string; displayName?: string } | undefined> {
  if (message.guestPaymentId) {
    const guest = await findGuestPayment(deps.db, message.guestPaymentId);
    return guest?.payerEmail ? { address: guest.payerEmail } : undefined;
  }
  const user = await findUserById(deps.db, message.userId);
  if (!user) throw new PermanentMessageError(`unknown user ${message.userId}`);
  return user.deletedAt ? undefined : { address: user.email, displayName: user.fullName };
}
