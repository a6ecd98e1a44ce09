import { randomInt, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { QueueClient } from '@azure/storage-queue';
import { simpleParser } from 'mailparser';

import { DEMO_OPERATOR } from '../../scripts/demoData';
import * as emails from '../../shared/controllers/email.controller';
import * as notifications from '../../shared/controllers/notification.controller';
import { GUEST_PAYER_ID } from '../../shared/models/guestPayment.model';
import { newId } from '../../shared/models/ids';
import { insertRows } from '../../shared/models/insertRows';
import { type NoticeBatchMessage, notificationMessage } from '../../shared/models/message.model';
import {
  call,
  customerWithCoupon,
  insertCustomers,
  logIn,
  newCustomer,
  type SeededApp,
  startSeededApp,
  waitFor,
} from '../support/app';

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

test('when a timer expires more coupons than one message holds, then their notices leave in batch messages of at most 200, and each owner gets one notification, however often a batch is delivered', async () => {
  const { db } = app.services;
  const now = app.clock.now();
  const invoice = await db('invoices').where({ status: 'UNPAID' }).first('id');
  // 450 owners, one due coupon each (one ACTIVE coupon per owner and invoice), and the guest payer's.
  const base = 7_000_000_000 + randomInt(900_000_000);
  const owners = await insertCustomers(db, { count: 450, label: 'Titular', now, base });
  const deleted = owners[7]?.id as string;
  await db('users').where({ id: deleted }).update({ deleted_at: now });
  const coupons = [...owners.map((o) => o.id), GUEST_PAYER_ID].map((userId, i) => ({
    id: newId(),
    code: String(base * 100 + i).slice(-12),
    user_id: userId,
    invoice_id: invoice.id,
    amount: 1000,
    status: 'ACTIVE',
    issued_at: new Date(now.getTime() - 86_400_000),
    expires_at: new Date(now.getTime() - 60_000),
  }));
  await insertRows(db, 'coupons', coupons);
  await drain('notifications');

  await app.host.runTimer('expireCoupons');
  const ours = new Set(owners.map((o) => o.id.toLowerCase()));
  const batches = ((await drain('notifications')) as NoticeBatchMessage[]).filter(
    (m) => m.kind === 'COUPON_EXPIRED' && m.notices?.some((n) => ours.has(n.userId.toLowerCase())),
  );
  const notices = batches.flatMap((m) => m.notices);
  // 450 notices (the guest payer has no inbox) in three messages, not 450.
  expect(batches.map((m) => m.notices.length).sort((a, b) => b - a)).toEqual([200, 200, 50]);
  expect(notices.filter((n) => ours.has(n.userId.toLowerCase()))).toHaveLength(450);
  expect(notices.some((n) => n.userId.toLowerCase() === GUEST_PAYER_ID)).toBe(false);
  const [first, second, third] = batches as [NoticeBatchMessage, NoticeBatchMessage, NoticeBatchMessage];

  // Delivered, delivered again, and half-stored before a crash: each notice is stored once.
  const inFirst = first.notices.some((n) => n.userId.toLowerCase() === deleted.toLowerCase()) ? 199 : 200;
  expect(await notifications.store(app.services, first)).toMatch(new RegExp(`^${inFirst} of 200 notices stored`));
  expect(await notifications.store(app.services, first)).toMatch(/^0 of 200 notices stored/);
  await notifications.store(app.services, second);
  const stored = await db('notifications').where('source_message_id', 'like', `${second.messageId}/%`);
  await db('notifications')
    .whereIn(
      'id',
      stored.slice(0, 60).map((n: { id: string }) => n.id),
    )
    .delete();
  expect(await notifications.store(app.services, second)).toMatch(/^60 of 200 notices stored/);
  await Promise.all([notifications.store(app.services, third), notifications.store(app.services, third)]);

  const rows = await db('notifications')
    .whereIn(
      'user_id',
      owners.map((o) => o.id),
    )
    .where({ kind: 'COUPON_EXPIRED' })
    .select<{ user_id: string; coupon_code: string; title: string }[]>('user_id', 'coupon_code', 'title');
  expect(rows).toHaveLength(449);
  expect(new Set(rows.map((r) => r.user_id.toLowerCase())).size).toBe(449);
  expect(rows.some((r) => r.user_id.toLowerCase() === deleted.toLowerCase())).toBe(false);
  const codeOf = new Map(coupons.map((c) => [c.user_id.toLowerCase(), c.code]));
  expect(rows.every((r) => r.coupon_code === codeOf.get(r.user_id.toLowerCase()) && r.title === 'Cupón vencido')).toBe(
    true,
  );
  const confirmed = await db('outbox')
    .whereIn(
      'id',
      batches.map((m) => m.messageId),
    )
    .whereNotNull('delivered_at');
  expect(confirmed).toHaveLength(3);
});

test('when the outbox holds more than one round of messages (a queue outage, a bulk run), then one sweep sends them all', async () => {
  const customer = (await newCustomer(app.url)).id;
  const now = app.clock.now();
  await drain('notifications');
  const backlog = Array.from({ length: 450 }, (_, i) =>
    notificationMessage({ kind: 'COUPON_EXPIRED', userId: customer, occurredAt: now, data: { couponCode: String(i) } }),
  );
  await insertRows(
    app.services.db,
    'outbox',
    backlog.map((m) => ({
      id: m.body.messageId,
      queue: m.queue,
      body: JSON.stringify(m.body),
      created_at: now,
      available_at: now,
      attempts: 0,
    })),
  );
  await app.host.runTimer('dispatchOutbox');
  const sent = new Set((await drain('notifications')).map((m) => (m as { messageId: string }).messageId));
  expect(backlog.filter((m) => sent.has(m.body.messageId))).toHaveLength(450);
});
