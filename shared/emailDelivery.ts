import type { Clock } from './clients/clock.client';
import type { EmailMessage, EmailSender } from './clients/email.client';
import type { Db } from './clients/sql.client';
import { appMetrics, inSpan, SpanKind } from './clients/telemetry.client';
import type { Config } from './config';
import { giveWay } from './load';
import { claimEmailDelivery, markEmailSent, releaseEmailDelivery } from './models/emailDelivery.model';
import { THIS_INSTANCE } from './models/instance.model';
import { holdOutboxRow } from './models/outbox.model';
import * as outbox from './outbox';

/** What a consumer did with one email message: sent it, or found it sent already. */
export type DeliveryOutcome = 'sent' | 'duplicate';

export interface EmailDeliveryDeps {
  db: Db;
  clock: Clock;
  email: EmailSender;
  config: Pick<Config, 'delivery'>;
}

/**
 * Sends the email of one queue message at most once: a delivery row is claimed before the send
 * and marked SENT after it, and the outbox hears of it. `compose` runs only when this invocation
 * holds the claim, so a duplicate renders nothing.
 */
export async function sendOnce(
  deps: EmailDeliveryDeps,
  delivery: { messageId: string; userId: string; kind: string },
  compose: () => Promise<EmailMessage>,
): Promise<DeliveryOutcome> {
  const { messageId } = delivery;
  // This instance has the message in hand now: were it killed, the sweeper resends at once.
  await holdOutboxRow(deps.db, messageId, THIS_INSTANCE);
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
    const message = await compose();
    sent = await inSpan(
      'email.send',
      {
        kind: SpanKind.CLIENT,
        attributes: { 'cuponeras.email.kind': delivery.kind, 'messaging.message.id': messageId },
      },
      () => deps.email.send(message),
    );
  } catch (error) {
    appMetrics().emails.add(1, { kind: delivery.kind, outcome: 'failed' });
    await releaseEmailDelivery(deps.db, messageId, deps.clock.now());
    throw error;
  }
  appMetrics().emails.add(1, { kind: delivery.kind, outcome: 'sent' });
  await markEmailSent(deps.db, messageId, sent.providerId, deps.clock.now());
  await outbox.confirmDelivered(deps, messageId);
  return 'sent';
}
