import * as notifications from '../../shared/controllers/notification.controller';
import { newId } from '../../shared/models/ids';
import { insertRows } from '../../shared/models/insertRows';
import type { NoticeBatchMessage } from '../../shared/models/message.model';
import { addDays, bogotaDay } from '../../shared/models/time';
import { call, customerWithCoupon, insertCustomers, type SeededApp, startSeededApp } from '../support/app';

/**
 * The daily invoice notices: a follower of a contract hears once of a new invoice, once of a
 * due date within three days, once of an invoice overdue, however often the timer runs.
 */
let app: SeededApp;
beforeAll(async () => {
  app = await startSeededApp({ queues: false });
}, 60_000);
afterAll(async () => {
  await app.stop();
});

type OutboxNotice = { kind: string; userId: string; data: Record<string, unknown> };

/** The invoice notices in the outbox, one per person: a batch message's (`notices`) or a single one's. */
async function outboxNotices(): Promise<(OutboxNotice & { messageId: string })[]> {
  const rows = await app.services.db('outbox').where({ queue: 'notifications' }).select('body');
  return rows
    .map((row: { body: string }) => JSON.parse(row.body) as (OutboxNotice | NoticeBatchMessage) & { messageId: string })
    .filter((body) => body.kind.startsWith('INVOICE_'))
    .flatMap((body) =>
      'notices' in body
        ? body.notices.map((n) => ({ kind: body.kind, messageId: body.messageId, userId: n.userId, data: n.data }))
        : [body],
    );
}

/** The notices the timer put in the outbox for one user, by kind. */
async function noticesFor(userId: string): Promise<OutboxNotice[]> {
  return (await outboxNotices()).filter((notice) => notice.userId === userId);
}

test('when a followed contract gets a new invoice, its due date comes near and then passes, then each is announced once', async () => {
  const { customer, found } = await customerWithCoupon(app.url, '10000020');
  const current = found.body.invoices.find((i: { status: string }) => i.status === 'UNPAID');

  // Nothing to say yet: the current invoice was there before the customer followed the contract.
  await app.host.runTimer('notifyInvoices');
  expect(await noticesFor(customer.id)).toEqual([]);

  // The billing feed brings a new invoice for the contract.
  app.clock.advance(60_000);
  const contract = await app.services.db('contracts').where({ number: '10000020' }).first('id');
  const today = bogotaDay(app.clock.now());
  await app.services.db('invoices').insert({
    id: newId(),
    contract_id: contract.id,
    number: 'F100000209999',
    period: '2099-01',
    issue_date: today,
    due_date: addDays(today, 30),
    amount: 123_450,
    status: 'UNPAID',
    created_at: app.clock.now(),
    updated_at: app.clock.now(),
  });
  await Promise.all([app.host.runTimer('notifyInvoices'), app.host.runTimer('notifyInvoices')]);
  expect((await noticesFor(customer.id)).map((n) => [n.kind, n.data.invoiceNumber])).toEqual([
    ['INVOICE_ISSUED', 'F100000209999'],
  ]);

  // Two days before the current invoice's due date, and again the next day: one "due soon".
  app.clock.set(new Date(`${addDays(current.dueDate, -2)}T15:00:00Z`));
  await app.host.runTimer('notifyInvoices');
  app.clock.advance(24 * 3600_000);
  await app.host.runTimer('notifyInvoices');
  // After it: one "overdue".
  app.clock.set(new Date(`${addDays(current.dueDate, 2)}T15:00:00Z`));
  await app.host.runTimer('notifyInvoices');
  await app.host.runTimer('notifyInvoices');

  const notices = await noticesFor(customer.id);
  expect(notices.map((n) => [n.kind, n.data.invoiceNumber]).sort()).toEqual(
    [
      ['INVOICE_ISSUED', 'F100000209999'],
      ['INVOICE_DUE_SOON', current.number],
      ['INVOICE_OVERDUE', current.number],
    ].sort(),
  );
  expect(notices.find((n) => n.kind === 'INVOICE_DUE_SOON')?.data).toMatchObject({
    invoiceId: current.id,
    contractNumber: '10000020',
    dueDate: current.dueDate,
    amount: current.amount,
  });
  app.clock.set(new Date());
});

test('when an invoice is paid before its due date, then no "due soon" or "overdue" notice is sent', async () => {
  const { customer, found, coupon } = await customerWithCoupon(app.url, '10000030');
  const invoice = found.body.invoices.find((i: { id: string }) => i.id === coupon.invoiceId);
  await call(app.url, 'POST', `/invoices/${coupon.invoiceId}/pay`, {
    token: customer.token,
    body: { couponCode: coupon.code, paymentMethod: 'PSE' },
    headers: { 'Idempotency-Key': newId() },
  });
  app.clock.set(new Date(`${addDays(invoice.dueDate, -1)}T15:00:00Z`));
  await app.host.runTimer('notifyInvoices');
  app.clock.set(new Date(`${addDays(invoice.dueDate, 3)}T15:00:00Z`));
  await app.host.runTimer('notifyInvoices');
  expect(await noticesFor(customer.id)).toEqual([]);
  // Not for want of trying: every run succeeded.
  expect(app.logs.filter((line) => line.includes("'Functions.notifyInvoices' (Failed"))).toEqual([]);
  app.clock.set(new Date());
});

test('when a new invoice has hundreds of followers, then two runs at once announce it once to each, in batch messages of at most 200', async () => {
  const { db } = app.services;
  const now = app.clock.now();
  const contract = await db('contracts').where({ number: '10000040' }).first('id');
  const followers = await insertCustomers(db, { count: 450, label: 'Seguidor', now });
  await insertRows(
    db,
    'user_contracts',
    followers.map((f) => ({ user_id: f.id, contract_id: contract.id, first_seen_at: now })),
  );
  app.clock.advance(60_000);
  const today = bogotaDay(app.clock.now());
  await db('invoices').insert({
    id: newId(),
    contract_id: contract.id,
    number: 'F100000409999',
    period: '2099-02',
    issue_date: today,
    due_date: addDays(today, 30),
    amount: 98_760,
    status: 'UNPAID',
    created_at: app.clock.now(),
    updated_at: app.clock.now(),
  });

  await Promise.all([app.host.runTimer('notifyInvoices'), app.host.runTimer('notifyInvoices')]);

  const ours = new Set(followers.map((f) => f.id.toLowerCase()));
  const notices = (await outboxNotices()).filter(
    (n) => ours.has(n.userId.toLowerCase()) && n.data.invoiceNumber === 'F100000409999',
  );
  expect(notices).toHaveLength(450);
  expect(new Set(notices.map((n) => n.userId.toLowerCase())).size).toBe(450);
  expect(notices.every((n) => n.kind === 'INVOICE_ISSUED' && n.data.amount === 98_760)).toBe(true);
  // A handful of messages, not 450 (more than three only if the two runs split a batch between them).
  const messageIds = [...new Set(notices.map((n) => n.messageId))];
  expect(messageIds.length).toBeGreaterThanOrEqual(3);
  expect(messageIds.length).toBeLessThan(10);
  expect(
    await db('invoice_notices')
      .where({ kind: 'INVOICE_ISSUED' })
      .whereIn('user_id', [...ours]),
  ).toHaveLength(450);

  // The notifications consumer stores each person's notice from the batch messages.
  const bodies = (await db('outbox').whereIn('id', messageIds).select('body')).map(
    (row: { body: string }) => JSON.parse(row.body) as NoticeBatchMessage,
  );
  for (const body of bodies) await notifications.store(app.services, body);
  const stored = await db('notifications')
    .where({ kind: 'INVOICE_ISSUED' })
    .whereIn('user_id', [...ours]);
  expect(stored).toHaveLength(450);
  app.clock.set(new Date());
});
