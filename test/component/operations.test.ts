import { randomUUID } from 'node:crypto';
import fs from 'node:fs';

import type { InvocationContext, Timer } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';

import { summarizeMessage } from '../../shared/controllers/system.controller';
import { MAX_SENDS } from '../../shared/outbox';
import { recordedRun } from '../../shared/timers';
import { call, customerWithCoupon, newCustomer, type SeededApp, startSeededApp, waitFor } from '../support/app';

/**
 * Running it: the operator's system view, the poison queues' tools and a /health that tells
 * degraded from down, on a real Azurite and each engine.
 */
let app: SeededApp;
let operator: { token: string; id: string };
let outboxDir: string;
beforeAll(async () => {
  app = await startSeededApp({ queues: true });
  operator = await app.operator();
  outboxDir = app.services.config.email.outboxDir;
}, 60_000);
afterAll(async () => {
  await app.stop();
});

const queue = (name: string) => new QueueClient(app.azurite.connectionString, name);
const enqueue = async (name: string, text: string) => {
  await queue(name).createIfNotExists();
  await queue(name).sendMessage(Buffer.from(text).toString('base64'));
};
const health = async () => (await call(app.url, 'GET', '/health')).body;
const poisonOf = async (name: string) =>
  (await call(app.url, 'GET', `/operator/poison/${name}`, { token: operator.token })).body.items as {
    messageId: string;
    summary: string;
    dequeueCount: number;
  }[];
const emlsFor = (messageId: string) =>
  fs.existsSync(outboxDir) ? fs.readdirSync(outboxDir).filter((f) => f.endsWith(`-${messageId}.eml`)) : [];
const timerContext = { log: () => undefined, warn: () => undefined } as unknown as InvocationContext; // only its loggers are used
const timer = {} as Timer; // the timers here do not read their schedule

test('when a malformed message is poisoned, then the operator lists it, replays it (poisoned again), discards it, and /health is degraded until then', async () => {
  expect((await health()).status).toBe('ok');
  await enqueue('notifications', 'esto no es JSON, y nombra a nadie@example.com');
  const first = await waitFor(async () => {
    const items = await poisonOf('notifications');
    return items.length === 1 ? items[0] : undefined;
  });
  // The summary says what the message is without its personal data.
  expect(first?.summary).toMatch(/^not JSON \(\d+ characters\)$/);
  const degradedAnswer = await call(app.url, 'GET', '/health');
  expect(degradedAnswer.status).toBe(200);
  const degraded = degradedAnswer.body;
  expect(degraded).toMatchObject({ status: 'degraded', reasons: ['poison: notifications-poison holds 1 message(s)'] });

  const replayed = await call(app.url, 'POST', `/operator/poison/notifications/${first?.messageId}/replay`, {
    token: operator.token,
  });
  expect(replayed.status).toBe(202);
  // Back on its queue, the consumer poisons it again: under a new id of the queue service.
  const second = await waitFor(async () => {
    const items = await poisonOf('notifications');
    return items.length === 1 && items[0]?.messageId !== first?.messageId ? items[0] : undefined;
  });
  const again = await call(app.url, 'POST', `/operator/poison/notifications/${first?.messageId}/replay`, {
    token: operator.token,
  });
  expect(again.status).toBe(404);
  expect(again.body.code).toBe('POISON_MESSAGE_NOT_FOUND');

  const discarded = await call(app.url, 'POST', `/operator/poison/notifications/${second?.messageId}/discard`, {
    token: operator.token,
  });
  expect(discarded.status).toBe(204);
  expect(await poisonOf('notifications')).toEqual([]);
  expect(await health()).toMatchObject({ status: 'ok', reasons: [] });

  const audit = await call(app.url, 'GET', '/operator/audit', { token: operator.token });
  const actions = audit.body.items.map((e: { action: string }) => e.action);
  expect(actions).toEqual(expect.arrayContaining(['POISON_LISTED', 'POISON_REPLAYED', 'POISON_DISCARDED']));
  const replay = audit.body.items.find((e: { action: string }) => e.action === 'POISON_REPLAYED');
  expect(replay).toMatchObject({ actorId: operator.id, subjectType: 'queue', subjectId: 'notifications' });
});

test('when a receipt that was already sent is replayed from the poison queue, then its consumer sends nothing twice', async () => {
  const { customer, coupon } = await customerWithCoupon(app.url, '10000041');
  const paid = await call(app.url, 'POST', `/invoices/${coupon.invoiceId}/pay`, {
    token: customer.token,
    body: { couponCode: coupon.code, paymentMethod: 'CARD' },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  expect(paid.status).toBe(201);
  const receipt = await app.services
    .db('outbox')
    .where({ queue: 'invoice-emails' })
    .where('body', 'like', `%${paid.body.transaction.id}%`)
    .first<{ id: string; body: string }>('id', 'body');
  await waitFor(() => emlsFor(receipt.id).length === 1);

  // As if a failed try had poisoned it after the send: the very message, on the poison queue.
  await enqueue('invoice-emails-poison', receipt.body);
  const [item] = await waitFor(async () => {
    const items = await poisonOf('invoice-emails');
    return items.length === 1 ? items : undefined;
  });
  expect(item?.summary).toBe(`receipt · v2 · message ${receipt.id}`);
  expect(item?.summary).not.toContain(customer.email);
  const replayed = await call(app.url, 'POST', `/operator/poison/invoice-emails/${item?.messageId}/replay`, {
    token: operator.token,
  });
  expect(replayed.status).toBe(202);
  await waitFor(async () => (await queue('invoice-emails').peekMessages()).peekedMessageItems.length === 0);
  await waitFor(() => app.logs.some((l) => l.includes('duplicate')));
  expect(emlsFor(receipt.id)).toHaveLength(1);
  expect(await poisonOf('invoice-emails')).toEqual([]);
});

test('when the operator opens the system view, then it shows each queue, the outbox, each timer’s last run and the PENDING gateway payments', async () => {
  const { customer, coupon } = await customerWithCoupon(app.url, '10000042');
  const pending = await call(app.url, 'POST', '/payments', {
    token: customer.token,
    body: { couponCodes: [coupon.code], paymentMethod: 'PSE' },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  expect(pending.status).toBe(201);
  await app.host.runTimer('dispatchOutbox');

  const view = await call(app.url, 'GET', '/operator/system', { token: operator.token });
  expect(view.status).toBe(200);
  expect(view.body.queues.map((q: { name: string }) => q.name)).toEqual([
    'invoice-emails',
    'notifications',
    'account-emails',
  ]);
  for (const q of view.body.queues) expect(q).toMatchObject({ messages: expect.any(Number), poisonMessages: 0 });
  expect(Object.keys(view.body.outbox).sort()).toEqual(['oldestUndeliveredAgeSeconds', 'undelivered']);
  expect(view.body.outbox.undelivered).toBeGreaterThanOrEqual(0);
  expect(view.body.timers).toContainEqual({
    name: 'dispatchOutbox',
    lastRunAt: expect.any(String),
    lastOutcome: 'SUCCEEDED',
    lastDurationMs: expect.any(Number),
  });
  expect(view.body.payments.pending).toBeGreaterThanOrEqual(1);
  expect(view.body.payments.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(0);

  const customerView = await call(app.url, 'GET', '/operator/system', { token: (await newCustomer(app.url)).token });
  expect(customerView.status).toBe(403);
  const unknownQueue = await call(app.url, 'GET', '/operator/poison/otra-cola', { token: operator.token });
  expect(unknownQueue.status).toBe(400);
});

test('when a timer’s last run failed, or the outbox owes a message for over 10 minutes, then /health is degraded (200) and recovers after', async () => {
  const failing = recordedRun('warnExpiringCoupons', async () => {
    throw new Error('the database said no');
  });
  await expect(failing(timer, timerContext)).rejects.toThrow('the database said no');
  const afterFailure = await call(app.url, 'GET', '/health');
  expect(afterFailure.status).toBe(200);
  expect(afterFailure.body.reasons).toContain('timer: the last run of warnExpiringCoupons failed');
  const view = await call(app.url, 'GET', '/operator/system', { token: operator.token });
  expect(view.body.timers).toContainEqual(
    expect.objectContaining({ name: 'warnExpiringCoupons', lastOutcome: 'FAILED' }),
  );

  app.clock.advance(1); // the next run starts later than the failed one
  await recordedRun('warnExpiringCoupons', async () => undefined)(timer, timerContext);
  expect((await health()).reasons).not.toContain('timer: the last run of warnExpiringCoupons failed');

  // The earlier tests' emails (sign-ups, receipts) are still in flight on a slow engine: once
  // the clock jumps they would be owed too, so this waits for them first.
  await waitFor(async () => {
    const owed = await app.services.db('outbox').whereNull('delivered_at').count({ n: '*' }).first<{ n: unknown }>();
    return Number(owed?.n) === 0;
  });
  // A message nobody confirms: the outbox owes it, and after 10 minutes that is a reason.
  const messageId = randomUUID();
  await app.services.db('outbox').insert({
    id: messageId,
    queue: 'notifications',
    body: '{}',
    created_at: app.clock.now(),
    available_at: new Date(app.clock.now().getTime() + 86_400_000),
    attempts: 0,
  });
  expect((await health()).status).toBe('ok');
  app.clock.advance(11 * 60_000);
  const stalled = await health();
  expect(stalled.status).toBe('degraded');
  expect(stalled.reasons).toEqual([expect.stringMatching(/^outbox: the oldest undelivered message is 6\d\d s old/)]);
  // Given up after its last send, it is the poison queue's concern (discarded or replayed there), not owed.
  await app.services
    .db('outbox')
    .where({ id: messageId })
    .update({ dispatched_at: app.clock.now(), attempts: MAX_SENDS });
  expect(await health()).toMatchObject({ status: 'ok', reasons: [] });
  await app.services.db('outbox').where({ id: messageId }).update({ attempts: 1 });
  expect((await health()).status).toBe('degraded');
  await app.services.db('outbox').where({ id: messageId }).update({ delivered_at: app.clock.now() });
  expect(await health()).toMatchObject({ status: 'ok', reasons: [] });
});

test('the summary of a message carries its kind, version and id, and nothing else', () => {
  const body = {
    v: 2,
    kind: 'PAYMENT_RECEIPT',
    messageId: 'abc-123',
    email: 'persona@example.com',
    document: '43123456',
  };
  expect(summarizeMessage(Buffer.from(JSON.stringify(body)).toString('base64'))).toBe(
    'PAYMENT_RECEIPT · v2 · message abc-123',
  );
  expect(summarizeMessage(JSON.stringify({ kind: 'persona@example.com' }))).toBe('unknown kind');
  expect(summarizeMessage('[1,2]')).toBe('JSON that is not an object');
});
