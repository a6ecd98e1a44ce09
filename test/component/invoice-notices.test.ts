import { newId } from '../../shared/models/ids';
import { addDays, bogotaDay } from '../../shared/models/time';
import { call, customerWithCoupon, type SeededApp, startSeededApp } from '../support/app';

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

/** The notices the timer put in the outbox for one user, by kind. */
async function noticesFor(userId: string): Promise<{ kind: string; data: Record<string, unknown> }[]> {
  const rows = await app.services.db('outbox').where({ queue: 'notifications' }).select('body');
  return rows
    .map(
      (row: { body: string }) =>
        JSON.parse(row.body) as { kind: string; userId: string; data: Record<string, unknown> },
    )
    .filter((body) => body.userId === userId && body.kind.startsWith('INVOICE_'));
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
