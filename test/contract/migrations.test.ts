import { randomUUID } from 'node:crypto';

import { asDate, type Db } from '../../shared/clients/sql.client';
import { recordContractAccess } from '../../shared/models/contract.model';
import { insertCoupon, markCouponUsed, newCouponCode } from '../../shared/models/coupon.model';
import { claimEmailDelivery, markEmailSent } from '../../shared/models/emailDelivery.model';
import { claimIdempotencyKey, completeIdempotencyKey } from '../../shared/models/idempotency.model';
import { newId } from '../../shared/models/ids';
import { markInvoicePaid } from '../../shared/models/invoice.model';
import { notificationMessage } from '../../shared/models/message.model';
import { addToOutbox } from '../../shared/models/outbox.model';
import { hitRateLimit } from '../../shared/models/rateLimit.model';
import { createSession, insertRefreshToken } from '../../shared/models/session.model';
import { insertTransaction } from '../../shared/models/transaction.model';
import { MIGRATIONS } from '../../sql/migrations';
import { TABLES } from '../../sql/migrations/0002_dba_schema';
import { appliedMigrations, migrateLatest, migrateNext } from '../../sql/migrator';
import { seedDemoData } from '../../sql/seed';
import { createTestDb, testEngineName } from '../support/engines';

/**
 * An upgrade over live data: a database at 0001 holding the demo data and a day of activity in
 * every table is migrated to the latest schema, and every row comes through unchanged.
 */
/** Columns added after 0001, by table (0004: outbox.delivered_at; 0006: what a notification links to). */
const ADDED_COLUMNS: Record<string, Set<string>> = {
  outbox: new Set(['delivered_at']),
  transactions: new Set(['bank_authorization']),
  users: new Set(['email_verified_at', 'deleted_at']),
  notifications: new Set([
    'occurred_at',
    'invoice_id',
    'invoice_number',
    'contract_number',
    'coupon_code',
    'transaction_id',
  ]),
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A row as a value independent of the column types: times as epoch ms, ids in lower case, whole
 * numbers as numbers; columns later migrations add are left out (they are new, not kept).
 */
function normalise(table: string, row: Record<string, unknown>): string {
  const value = (v: unknown): unknown => {
    if (v instanceof Date) return v.getTime();
    if (typeof v === 'string' && UUID.test(v)) return v.toLowerCase();
    if (typeof v === 'string' && /^-?\d{1,15}$/.test(v)) return Number(v);
    return v;
  };
  return JSON.stringify(
    Object.entries(row)
      .filter(([k]) => !ADDED_COLUMNS[table]?.has(k))
      .map(([k, v]) => [k, value(v)]),
  );
}

async function snapshot(db: Db): Promise<Record<string, string[]>> {
  const tables: Record<string, string[]> = {};
  for (const table of TABLES)
    tables[table] = ((await db(table).select('*')) as Record<string, unknown>[])
      .map((row) => normalise(table, row))
      .sort();
  return tables;
}

let db: Db;
beforeAll(() => {
  db = createTestDb();
});
afterAll(async () => {
  await db.destroy();
});

test(`when the schema is upgraded over live data on ${testEngineName()}, then every row of every table is kept`, async () => {
  expect(await migrateNext(db)).toEqual(['0001_initial']);
  const now = new Date('2026-11-30T15:00:00.000Z');
  await seedDemoData(db, { now });

  // A day of activity touching every table.
  const user = await db('users').where({ role: 'customer' }).first<{ id: string } | undefined>('id');
  if (!user) throw new Error('the seed has a customer');
  const invoice = await db('invoices')
    .where({ status: 'UNPAID' })
    .orderBy('number')
    .first<{ id: string; amount: number; contract_id: string } | undefined>('id', 'amount', 'contract_id');
  if (!invoice) throw new Error('the seed has an unpaid invoice');
  await recordContractAccess(db, user.id, invoice.contract_id, now);
  const sessionId = newId();
  await createSession(db, { id: sessionId, userId: user.id, now, expiresAt: new Date(now.getTime() + 86_400_000) });
  await insertRefreshToken(db, {
    id: newId(),
    sessionId,
    tokenHash: 'a'.repeat(64),
    now,
    expiresAt: new Date(now.getTime() + 86_400_000),
  });
  await hitRateLimit(db, 'login:client:203.0.113.9', now);
  const coupon = await insertCoupon(db, {
    code: newCouponCode(),
    userId: user.id,
    invoiceId: invoice.id,
    amount: Number(invoice.amount),
    issuedAt: now,
    expiresAt: new Date(now.getTime() + 3600_000),
  });
  if (coupon === 'duplicate') throw new Error('the fixture coupon was refused');
  expect(await markCouponUsed(db, coupon.id, now)).toBe(true);
  expect(await markInvoicePaid(db, invoice.id, now)).toBe(true);
  await insertTransaction(db, {
    type: 'PAYMENT',
    invoiceId: invoice.id,
    couponId: coupon.id,
    userId: user.id,
    actorId: user.id,
    amount: coupon.amount,
    paymentMethod: 'PSE',
    reversesId: null,
    reason: null,
    now,
  });
  const message = notificationMessage({
    kind: 'PAYMENT_CONFIRMED',
    userId: user.id,
    occurredAt: now,
    data: { invoiceId: invoice.id },
  });
  await addToOutbox(db, [message], now);
  // A notification as 0001 stored it (today's model writes columns added since).
  await db('notifications').insert({
    id: randomUUID(),
    user_id: user.id,
    kind: 'PAYMENT_CONFIRMED',
    title: 'Pago confirmado',
    body: 'Recibimos su pago.',
    source_message_id: message.body.messageId,
    created_at: now,
  });
  const key = randomUUID();
  await claimIdempotencyKey(db, {
    userId: user.id,
    key,
    requestHash: 'b'.repeat(64),
    now,
    lockedUntil: now,
    expiresAt: new Date(now.getTime() + 86_400_000),
  });
  await completeIdempotencyKey(db, user.id, key, 201, '{"ok":true}');
  await claimEmailDelivery(db, { messageId: randomUUID(), userId: user.id, kind: 'receipt', now, leaseMs: 60_000 });
  const sent = randomUUID();
  await claimEmailDelivery(db, { messageId: sent, userId: user.id, kind: 'invoice', now, leaseMs: 60_000 });
  await markEmailSent(db, sent, 'provider-1', now);

  const before = await snapshot(db);
  expect(Object.values(before).every((rows) => rows.length > 0)).toBe(true);

  expect(await migrateLatest(db)).toEqual(MIGRATIONS.slice(1).map((m) => m.name));
  expect(await appliedMigrations(db)).toEqual(MIGRATIONS.map((m) => m.name));
  expect(await snapshot(db)).toEqual(before);
  // A notification from before 0006 is ordered by its arrival, its best known event time.
  const notice = await db('notifications')
    .where({ source_message_id: message.body.messageId })
    .first('occurred_at', 'created_at');
  expect(asDate(notice.occurred_at).getTime()).toBe(asDate(notice.created_at).getTime());
}, 60_000);
