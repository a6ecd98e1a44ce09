import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { QueueClient } from '@azure/storage-queue';
import { simpleParser } from 'mailparser';

import { DEMO_OPERATOR } from '../../scripts/demoData';
import type { EmailMessage, EmailSender } from '../../shared/clients/email.client';
import { setServices } from '../../shared/services';
import { call, customerWithCoupon, logIn, newCustomer, type SeededApp, startSeededApp, waitFor } from '../support/app';

process.env.EMAIL_MAX_PER_USER_PER_HOUR = '3';

let app: SeededApp;
let outboxDir: string;
beforeAll(async () => {
  app = await startSeededApp({ queues: true });
  outboxDir = app.services.config.email.outboxDir;
}, 60_000);
afterAll(async () => {
  await app.stop();
});

const emlFiles = () => (fs.existsSync(outboxDir) ? fs.readdirSync(outboxDir).filter((f) => f.endsWith('.eml')) : []);
const emlFor = (messageId: string) => emlFiles().find((f) => f.endsWith(`-${messageId}.eml`));
const queue = (name: string) => new QueueClient(app.azurite.connectionString, name);
const enqueue = async (name: string, body: unknown) => {
  await queue(name).createIfNotExists();
  await queue(name).sendMessage(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)).toString('base64'));
};

let nextContract = 10000021;
async function paidInvoice() {
  const { customer, found, coupon } = await customerWithCoupon(app.url, String(nextContract++));
  const paid = await call(app.url, 'POST', `/invoices/${coupon.invoiceId}/pay`, {
    token: customer.token,
    body: { couponCode: coupon.code, paymentMethod: 'CARD' },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  expect(paid.status).toBe(201);
  return { customer, found, coupon, paid };
}

describe('after a payment', () => {
  test('within seconds one receipt .eml with the invoice PDF is in the outbox and one unread notification is listed', async () => {
    const { customer, paid } = await paidInvoice();
    const receipt = await app.services
      .db('outbox')
      .where({ queue: 'invoice-emails' })
      .where('body', 'like', `%${paid.body.transaction.id}%`)
      .first('id');
    const file = await waitFor(() => emlFor(receipt.id));
    expect(file).toMatch(/^\d{8}T\d{9}Z-/); // sorts by time

    const mail = await simpleParser(fs.readFileSync(path.join(outboxDir, file)));
    expect(mail.subject).toBe(
      `Recibimos su pago de $ ${paid.body.transaction.amount.toString().replace(/\B(?=(\d{3})+(?!\d))/g, '.')} – factura ${paid.body.invoice.number}`,
    );
    expect(mail.to && 'text' in mail.to ? mail.to.text : '').toContain(customer.email);
    expect(mail.from?.text).toContain('DoNotReply@cuponeras.epm.com.co');
    expect(mail.text).toContain('Confirmamos el pago');
    expect(mail.html).toContain('<table');
    expect(mail.attachments).toHaveLength(1);
    expect(mail.attachments[0]).toMatchObject({
      contentType: 'application/pdf',
      filename: `comprobante-${paid.body.invoice.number}.pdf`,
    });
    expect(mail.attachments[0]?.size).toBeGreaterThan(1000);
    expect(mail.attachments[0]?.content.subarray(0, 5).toString()).toBe('%PDF-');

    const notices = await waitFor(async () => {
      const res = await call(app.url, 'GET', '/notifications', { token: customer.token });
      return res.body.items.some((n: { kind: string }) => n.kind === 'PAYMENT_CONFIRMED') ? res.body : undefined;
    });
    expect(notices.unreadCount).toBeGreaterThanOrEqual(2); // coupon generated + payment confirmed
    expect(notices.items.filter((n: { kind: string }) => n.kind === 'PAYMENT_CONFIRMED')).toHaveLength(1);
    expect(notices.items.find((n: { kind: string }) => n.kind === 'PAYMENT_CONFIRMED')).toMatchObject({
      title: 'Pago confirmado',
      readAt: null,
    });
  });
});

describe('POST /invoices/{id}/email', () => {
  test('when the caller searched the contract, then 202 and then an .eml with the invoice PDF', async () => {
    const { customer, found } = await customerWithCoupon(app.url, String(nextContract++));
    const invoice = found.body.invoices[0];
    const res = await call(app.url, 'POST', `/invoices/${invoice.id}/email`, { token: customer.token });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ messageId: expect.any(String), status: 'QUEUED' });
    const file = await waitFor(() => emlFor(res.body.messageId));
    const mail = await simpleParser(fs.readFileSync(path.join(outboxDir, file)));
    expect(mail.subject).toContain(invoice.number);
    expect(mail.attachments[0]?.contentType).toBe('application/pdf');
  });

  test('when the caller never looked up that contract, then 404 (no open relay)', async () => {
    const customer = await newCustomer(app.url);
    const other = await newCustomer(app.url);
    const found = await call(app.url, 'POST', '/invoices/search', {
      token: other.token,
      body: { contractNumber: String(nextContract++) },
    });
    const res = await call(app.url, 'POST', `/invoices/${found.body.invoices[0].id}/email`, { token: customer.token });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('INVOICE_NOT_FOUND');
  });

  test('when a user asks for more than the hourly limit, then 429 with Retry-After', async () => {
    const { customer, found } = await customerWithCoupon(app.url, String(nextContract++));
    const id = found.body.invoices[0].id;
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await call(app.url, 'POST', `/invoices/${id}/email`, { token: customer.token })).status);
    expect(statuses).toEqual([202, 202, 202, 429]);
  });
});

describe('at-least-once delivery, exactly-once effect', () => {
  test('when the same email message is delivered twice, then one email is written', async () => {
    const { paid } = await paidInvoice();
    const receipt = await app.services
      .db('outbox')
      .where({ queue: 'invoice-emails' })
      .where('body', 'like', `%${paid.body.transaction.id}%`)
      .first('body');
    // The receipt as the payment queued it (its event included), under a message id of its own.
    const message = { ...JSON.parse(receipt.body), messageId: randomUUID() };
    await enqueue('invoice-emails', message);
    await enqueue('invoice-emails', message);
    await waitFor(() => emlFor(message.messageId));
    await waitFor(async () => {
      const logs = app.logs.filter((l) => l.includes('duplicate') || l.includes(message.messageId));
      return logs.length > 0;
    });
    await waitFor(async () => (await queue('invoice-emails').peekMessages()).peekedMessageItems.length === 0);
    expect(emlFiles().filter((f) => f.includes(message.messageId))).toHaveLength(1);
  });

  test('when the same notification message is delivered twice, then one notification is stored', async () => {
    const customer = await newCustomer(app.url);
    const message = {
      v: 1,
      messageId: randomUUID(),
      kind: 'COUPON_EXPIRED',
      userId: customer.id,
      data: { couponCode: '123456789012', invoiceId: 'x' },
    };
    await enqueue('notifications', message);
    await enqueue('notifications', message);
    await waitFor(async () => (await queue('notifications').peekMessages()).peekedMessageItems.length === 0);
    await waitFor(
      async () => (await call(app.url, 'GET', '/notifications', { token: customer.token })).body.items.length > 0,
    );
    const rows = await app.services.db('notifications').where({ source_message_id: message.messageId });
    expect(rows).toHaveLength(1);
  });

  test('when a message is not JSON or does not match its schema, then it goes to the poison queue at once with the reason logged', async () => {
    await enqueue('notifications', 'esto no es JSON');
    await enqueue('invoice-emails', { v: 2, kind: 'receipt' });
    const poisoned = await waitFor(async () => {
      const items = (
        await queue('notifications-poison')
          .peekMessages()
          .catch(() => undefined)
      )?.peekedMessageItems;
      return items && items.length > 0 ? items : undefined;
    });
    expect(Buffer.from(poisoned[0]?.messageText ?? '', 'base64').toString()).toContain('esto no es JSON');
    await waitFor(
      async () =>
        ((
          await queue('invoice-emails-poison')
            .peekMessages()
            .catch(() => undefined)
        )?.peekedMessageItems.length ?? 0) > 0,
    );
    expect(app.logs.some((l) => l.includes('moved to notifications-poison: the message is not JSON'))).toBe(true);
    expect(
      app.logs.some((l) => l.includes('moved to invoice-emails-poison: the message does not match its schema')),
    ).toBe(true);
  });

  test('when a message body is a JSON array or null, then it reaches the poison queue as one message, unchanged', async () => {
    const poisonQueue = queue('notifications-poison');
    await poisonQueue.createIfNotExists();
    await poisonQueue.clearMessages();
    await enqueue('notifications', [{ v: 1 }, { v: 2 }, { v: 3 }]);
    await enqueue('notifications', null);
    const texts = await waitFor(async () => {
      const items = (await poisonQueue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems;
      const decoded = items.map((item) => Buffer.from(item.messageText, 'base64').toString());
      return decoded.length >= 2 ? decoded : undefined;
    });
    expect(texts.sort()).toEqual(['[{"v":1},{"v":2},{"v":3}]', 'null']);
  });

  test('when an email message of the first version carries no event, then it is poisoned, not retried nor rendered from the database', async () => {
    const { customer, paid } = await paidInvoice();
    const messageId = randomUUID();
    await enqueue('invoice-emails', {
      v: 1,
      messageId,
      kind: 'receipt',
      userId: customer.id,
      invoiceId: paid.body.invoice.id,
      transactionId: paid.body.transaction.id,
    });
    const poisoned = await waitFor(async () => {
      const items = (
        await queue('invoice-emails-poison')
          .peekMessages({ numberOfMessages: 32 })
          .catch(() => undefined)
      )?.peekedMessageItems;
      return items?.find((item) => Buffer.from(item.messageText, 'base64').toString().includes(messageId));
    });
    expect(poisoned).toBeDefined();
    expect(emlFiles().filter((f) => f.includes(messageId))).toHaveLength(0);
  });

  test('when sending fails for a while, then the message is retried and the email goes out once', async () => {
    const realSender = app.services.email;
    let failuresLeft = 2;
    const flaky: EmailSender = {
      send: async (message: EmailMessage) => {
        if (failuresLeft-- > 0) throw new Error('ACS is having a bad day (503)');
        return realSender.send(message);
      },
    };
    setServices({ email: flaky });
    try {
      const { customer } = await paidInvoice();
      const messageId = (
        await app.services
          .db('outbox')
          .where({ queue: 'invoice-emails' })
          .where('body', 'like', `%${customer.id}%`)
          .first('id')
      ).id;
      await waitFor(() => emlFor(messageId), 30_000);
      expect(app.logs.some((l) => l.includes('will be retried') && l.includes('bad day'))).toBe(true);
      expect(emlFiles().filter((f) => f.includes(messageId))).toHaveLength(1);
    } finally {
      setServices({ email: realSender });
    }
  });
});

describe('the notifications API', () => {
  async function customerWithNotices(count: number) {
    const customer = await newCustomer(app.url);
    for (let i = 0; i < count; i++) {
      await enqueue('notifications', {
        v: 1,
        messageId: randomUUID(),
        kind: 'COUPON_GENERATED',
        userId: customer.id,
        data: { couponCode: '123456789012', amount: 1000 * (i + 1), invoiceNumber: `F${i}` },
      });
    }
    await waitFor(
      async () =>
        (await app.services.db('notifications').where({ user_id: customer.id }).count({ n: '*' }).first())?.n === count,
    );
    return customer;
  }

  test('listing pages by cursor newest first, and reports the unread count', async () => {
    const customer = await customerWithNotices(5);
    const first = await call(app.url, 'GET', '/notifications?limit=2', { token: customer.token });
    expect(first.body).toMatchObject({ unreadCount: 5, nextCursor: expect.any(String) });
    expect(first.body.items).toHaveLength(2);
    const rest = await call(app.url, 'GET', `/notifications?limit=10&cursor=${first.body.nextCursor}`, {
      token: customer.token,
    });
    expect(rest.body.items).toHaveLength(3);
    expect(rest.body.nextCursor).toBeNull();
    expect(first.body.items[0].body).toMatch(/Su cupón 1234 5678 9012 por \$ \d/);
  });

  test('reading one is idempotent, read-all clears the rest, and ?unread filters', async () => {
    const customer = await customerWithNotices(3);
    const list = await call(app.url, 'GET', '/notifications', { token: customer.token });
    const id = list.body.items[0].id;
    const read = await call(app.url, 'POST', `/notifications/${id}/read`, { token: customer.token });
    app.clock.advance(60_000);
    const again = await call(app.url, 'POST', `/notifications/${id}/read`, { token: customer.token });
    expect(again.body.readAt).toBe(read.body.readAt);
    expect(
      (await call(app.url, 'GET', '/notifications?unread=true', { token: customer.token })).body.items,
    ).toHaveLength(2);
    const all = await call(app.url, 'POST', '/notifications/read-all', { token: customer.token });
    expect(all.body).toEqual({ updated: 2, unreadCount: 0 });
    expect(
      (await call(app.url, 'GET', '/notifications?unread=false', { token: customer.token })).body.items,
    ).toHaveLength(3);
  });

  test('another user’s notification is 404 and never listed', async () => {
    const owner = await customerWithNotices(1);
    const stranger = await newCustomer(app.url);
    const id = (await call(app.url, 'GET', '/notifications', { token: owner.token })).body.items[0].id;
    const res = await call(app.url, 'POST', `/notifications/${id}/read`, { token: stranger.token });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('NOTIFICATION_NOT_FOUND');
    expect((await call(app.url, 'GET', '/notifications', { token: stranger.token })).body.items).toEqual([]);
  });
});

describe('warnExpiringCoupons', () => {
  test('a coupon ending within 24 h is announced once, however often the timer runs', async () => {
    const { customer, coupon } = await customerWithCoupon(app.url, String(nextContract++));
    app.clock.set(new Date(Date.parse(coupon.expiresAt) - 3 * 3600_000));
    await Promise.all([app.host.runTimer('warnExpiringCoupons'), app.host.runTimer('warnExpiringCoupons')]);
    await app.host.runTimer('warnExpiringCoupons');
    const { token } = await logIn(app.url, customer.email, customer.password);
    const notices = await waitFor(async () => {
      const res = await call(app.url, 'GET', '/notifications', { token });
      const expiring = res.body.items.filter((n: { kind: string }) => n.kind === 'COUPON_EXPIRING');
      return expiring.length > 0 ? expiring : undefined;
    });
    expect(notices).toHaveLength(1);
    expect(notices[0].body).toContain('hora de Colombia');
    app.clock.set(new Date());
  });

  test('a coupon born with under 24 h of validity (an overdue invoice’s) gets no "vence pronto" on top of its "generado"', async () => {
    const customer = await newCustomer(app.url);
    // Every seventh demo contract also owes an overdue invoice, whose coupon lasts 4 hours.
    const found = await call(app.url, 'POST', '/invoices/search', {
      token: customer.token,
      body: { contractNumber: '10000046' },
    });
    const overdue = found.body.invoices.find((i: { overdue: boolean }) => i.overdue);
    const coupon = found.body.coupons.find((c: { invoiceId: string }) => c.invoiceId === overdue.id);
    expect(Date.parse(coupon.expiresAt) - Date.parse(coupon.issuedAt)).toBeLessThanOrEqual(24 * 3600_000);
    app.clock.set(new Date(Date.parse(coupon.expiresAt) - 3600_000));
    await app.host.runTimer('warnExpiringCoupons');
    const warned = await app.services
      .db('outbox')
      .where('body', 'like', '%COUPON_EXPIRING%')
      .where('body', 'like', `%${coupon.code}%`);
    expect(warned).toEqual([]);
    app.clock.set(new Date());
  });
});

describe('notification links and order', () => {
  test('when notices of a search, a payment and its reversal arrive, then they are ordered by when each happened and their links resolve', async () => {
    const { customer, coupon } = await customerWithCoupon(app.url, String(nextContract++));
    app.clock.advance(60_000);
    const paid = await call(app.url, 'POST', `/invoices/${coupon.invoiceId}/pay`, {
      token: customer.token,
      body: { couponCode: coupon.code, paymentMethod: 'PSE' },
      headers: { 'Idempotency-Key': randomUUID() },
    });
    app.clock.advance(60_000);
    const operator = await logIn(app.url, DEMO_OPERATOR.email, DEMO_OPERATOR.password);
    const reversed = await call(app.url, 'POST', `/transactions/${paid.body.transaction.id}/reverse`, {
      token: operator.token,
      body: { reason: 'Prueba de enlaces' },
    });
    const items = await waitFor(async () => {
      const res = await call(app.url, 'GET', '/notifications', { token: customer.token });
      return res.body.items.length >= 3 ? res.body.items : undefined;
    });
    const kinds = items.map((n: { kind: string }) => n.kind);
    expect(kinds.slice(0, 2)).toEqual(['PAYMENT_REVERSED', 'PAYMENT_CONFIRMED']);
    expect(kinds).toContain('COUPON_GENERATED');
    const times = items.map((n: { occurredAt: string }) => Date.parse(n.occurredAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    const confirmed = items.find((n: { kind: string }) => n.kind === 'PAYMENT_CONFIRMED');
    expect(confirmed).toMatchObject({
      occurredAt: paid.body.transaction.createdAt,
      transactionId: paid.body.transaction.id,
      invoiceId: coupon.invoiceId,
      invoiceNumber: paid.body.invoice.number,
      contractNumber: paid.body.invoice.contractNumber,
    });
    const reversal = items.find((n: { kind: string }) => n.kind === 'PAYMENT_REVERSED');
    expect(reversal.transactionId).toBe(reversed.body.transaction.id);
    const generated = items.find((n: { kind: string; couponCode: string }) => n.couponCode === coupon.code);
    expect(generated).toMatchObject({ kind: 'COUPON_GENERATED', invoiceId: coupon.invoiceId });

    // The links lead somewhere: the coupon, the invoice's PDF, the transaction in the history.
    expect((await call(app.url, 'GET', `/coupons/${generated.couponCode}`, { token: customer.token })).status).toBe(
      200,
    );
    const pdf = await fetch(`${app.url}/invoices/${confirmed.invoiceId}/pdf`, {
      headers: { Authorization: `Bearer ${customer.token}` },
    });
    expect(pdf.status).toBe(200);
    const history = await call(app.url, 'GET', '/transactions', { token: customer.token });
    expect(history.body.items.map((t: { id: string }) => t.id)).toEqual(
      expect.arrayContaining([confirmed.transactionId, reversal.transactionId]),
    );
    app.clock.set(new Date());
  });
});
