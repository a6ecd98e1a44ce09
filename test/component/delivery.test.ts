import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { QueueClient } from '@azure/storage-queue';
import { simpleParser } from 'mailparser';

import { DEMO_OPERATOR } from '../../scripts/demoData';
import * as emails from '../../shared/controllers/email.controller';
import * as notifications from '../../shared/controllers/notification.controller';
import { call, customerWithCoupon, logIn, type SeededApp, startSeededApp, waitFor } from '../support/app';

/**
 * Messages that can't be lost: a queue that dies with a payment's receipt and notification in it
 * (Azurite killed, its memory gone) loses nothing, because the outbox keeps every message until
 * its consumer confirms the effect, and the sweeper (the dispatchOutbox timer) sends again
 * whatever stays unconfirmed past its lease. Consumers are driven by hand here (queues off), so
 * each step is seen.
 */
let app: SeededApp;
beforeAll(async () => {
  app = await startSeededApp({ queues: false });
}, 60_000);
afterAll(async () => {
  await app.stop();
});

const queue = (name: string) => new QueueClient(app.azurite.connectionString, name);

async function drain(name: string): Promise<unknown[]> {
  const client = queue(name);
  await client.createIfNotExists();
  const bodies: unknown[] = [];
  for (;;) {
    const { receivedMessageItems } = await client.receiveMessages({ numberOfMessages: 32 });
    if (receivedMessageItems.length === 0) return bodies;
    for (const item of receivedMessageItems) {
      bodies.push(JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8')));
      await client.deleteMessage(item.messageId, item.popReceipt);
    }
  }
}

test('when the queue loses a payment’s messages, then the sweeper sends them again after the lease until the consumers confirm them, and not after', async () => {
  const { customer, coupon } = await customerWithCoupon(app.url, '10000031');
  await drain('invoice-emails');
  await drain('notifications');
  const paid = await call(app.url, 'POST', `/invoices/${coupon.invoiceId}/pay`, {
    token: customer.token,
    body: { couponCode: coupon.code, paymentMethod: 'PSE' },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  expect(paid.status).toBe(201);
  // The request sends its messages right after the commit (within a time budget): wait until it has.
  await waitFor(async () => {
    const unsent = await app.services
      .db('outbox')
      .whereNull('dispatched_at')
      .where('body', 'like', `%${paid.body.transaction.id}%`);
    return unsent.length === 0;
  });

  // The queue dies with the messages it took: they are gone from it.
  expect((await drain('invoice-emails')).length).toBe(1);
  expect((await drain('notifications')).length).toBeGreaterThanOrEqual(1);

  // Within the lease nothing is sent again; past it, everything unconfirmed is.
  await app.host.runTimer('dispatchOutbox');
  expect(await drain('invoice-emails')).toEqual([]);
  app.clock.advance(6 * 60_000);
  await app.host.runTimer('dispatchOutbox');
  const receipts = await drain('invoice-emails');
  const notices = await drain('notifications');
  expect(receipts).toEqual([expect.objectContaining({ kind: 'receipt', transactionId: paid.body.transaction.id })]);
  expect(notices).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'PAYMENT_CONFIRMED' })]));

  // The consumers handle them (once, or again: the effect is once) and confirm.
  expect(await emails.deliver(app.services, receipts[0])).toBe('sent');
  expect(await emails.deliver(app.services, receipts[0])).toBe('duplicate');
  for (const notice of notices) expect(await notifications.store(app.services, notice)).toBe('stored');

  // Confirmed: the sweeper sends them no more.
  app.clock.advance(6 * 60_000);
  await app.host.runTimer('dispatchOutbox');
  expect(await drain('invoice-emails')).toEqual([]);
  expect(await drain('notifications')).toEqual([]);
  const unconfirmed = await app.services
    .db('outbox')
    .whereIn(
      'id',
      [...receipts, ...notices].map((m) => (m as { messageId: string }).messageId),
    )
    .whereNull('delivered_at');
  expect(unconfirmed).toEqual([]);
});

test('when a consumer never confirms a message, then the sweeper gives up after a bounded number of sends', async () => {
  const { customer, found } = await customerWithCoupon(app.url, '10000033');
  expect(found.status).toBe(200);
  const sendsPerMessage = new Map<string, number>();
  const count = async () => {
    for (const message of (await drain('notifications')) as { messageId: string; userId: string }[]) {
      if (message.userId === customer.id)
        sendsPerMessage.set(message.messageId, (sendsPerMessage.get(message.messageId) ?? 0) + 1);
    }
  };
  for (let round = 0; round < 15; round++) {
    await count();
    app.clock.advance(6 * 60_000);
    await app.host.runTimer('dispatchOutbox');
  }
  await count();
  // One COUPON_GENERATED per unpaid invoice, each sent MAX_SENDS (10) times, then left for an operator.
  expect(sendsPerMessage.size).toBe(found.body.coupons.length);
  expect([...sendsPerMessage.values()].every((sends) => sends === 10)).toBe(true);
});

test('when a payment is reversed before its receipt is delivered, then the receipt still tells the payment as it happened (PAID, when, how, which transaction, no barcode)', async () => {
  const { customer, coupon } = await customerWithCoupon(app.url, '10000034');
  const paid = await call(app.url, 'POST', `/invoices/${coupon.invoiceId}/pay`, {
    token: customer.token,
    body: { couponCode: coupon.code, paymentMethod: 'CARD' },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  const operator = await logIn(app.url, DEMO_OPERATOR.email, DEMO_OPERATOR.password);
  const reversed = await call(app.url, 'POST', `/transactions/${paid.body.transaction.id}/reverse`, {
    token: operator.token,
    body: { reason: 'Reversión inmediata de prueba' },
  });
  expect(reversed.status).toBe(201);
  // A new coupon for the (again unpaid) invoice: its barcode must not slip into the old receipt.
  await call(app.url, 'POST', '/invoices/search', { token: customer.token, body: { contractNumber: '10000034' } });

  // Only now is the receipt delivered (the queue was slow): it is rendered from its event.
  const rows = await app.services.db('outbox').where('body', 'like', `%${paid.body.transaction.id}%`).select('body');
  const receipt = rows
    .map((row: { body: string }) => JSON.parse(row.body) as { kind: string; messageId: string })
    .find((body) => body.kind === 'receipt');
  expect(await emails.deliver(app.services, receipt)).toBe('sent');
  const dir = app.services.config.email.outboxDir;
  const file = fs.readdirSync(dir).find((name) => name.endsWith(`-${receipt?.messageId}.eml`)) ?? '';
  const mail = await simpleParser(fs.readFileSync(path.join(dir, file)));
  expect(mail.text).toContain('Estado: Pagada');
  expect(mail.text).toContain('Medio de pago: Tarjeta');
  expect(mail.text).toContain(`Transacción: ${paid.body.transaction.id}`);
  expect(mail.text).toMatch(/Fecha del pago: \d{1,2} de [a-z]+ de \d{4}, \d{2}:\d{2} \(hora de Colombia\)/);
  expect(mail.text).toMatch(/Fecha límite de pago: \d{1,2} de [a-z]+ de \d{4}\n/);
  expect(mail.text).not.toContain('Pendiente de pago');
  const pdf = mail.attachments[0];
  expect(pdf?.filename).toBe(`comprobante-${paid.body.invoice.number}.pdf`);
  // A receipt has no payable barcode: the PDF embeds no image.
  expect(pdf?.content.includes('/Subtype /Image')).toBe(false);
});
