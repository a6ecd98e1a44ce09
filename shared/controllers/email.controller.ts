import { z } from 'zod';

import type { EmailMessage, EmailSender } from '../clients/email.client';
import { inTransaction } from '../clients/sql.client';
import type { Config } from '../config';
import { giveWay } from '../load';
import { claimEmailDelivery, markEmailSent, releaseEmailDelivery } from '../models/emailDelivery.model';
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

export type DeliveryOutcome = 'sent' | 'duplicate';

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

/**
 * Sends the email of one queue message at most once: a delivery row is claimed before the send
 * and marked SENT after it, and the outbox hears of it. `compose` runs only when this invocation
 * holds the claim, so a duplicate renders nothing.
 */
export async function sendOnce(
  deps: Pick<EmailDeps, 'db' | 'clock' | 'email'> & { config: Pick<Config, 'delivery'> },
  delivery: { messageId: string; userId: string; kind: string },
  compose: () => Promise<EmailMessage>,
): Promise<DeliveryOutcome> {
  const { messageId } = delivery;
  const claim = await claimEmailDelivery(deps.db, {
    ...delivery,
    now: deps.clock.now(),
    // Well within the delivery lease: the sweeper's resend after a crash finds the claim lapsed.
    leaseMs: deps.config.delivery.leaseMs * 0.4,
  });
  if (claim === 'already-sent') {
    await outbox.confirmDelivered(deps, messageId);
    return 'duplicate';
  }
  // Another copy of this message is being sent right now: retry later, when it will be SENT.
  if (claim === 'in-progress') throw new Error(`email ${messageId} is being sent by another invocation`);
  let sent;
  try {
    // Rendering (a PDF) is the heaviest work a consumer does on the event loop: requests go first.
    await giveWay();
    sent = await deps.email.send(await compose());
  } catch (error) {
    await releaseEmailDelivery(deps.db, messageId, deps.clock.now());
    throw error;
  }
  await markEmailSent(deps.db, messageId, sent.providerId, deps.clock.now());
  await outbox.confirmDelivered(deps, messageId);
  return 'sent';
}
