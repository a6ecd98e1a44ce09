import { randomUUID } from 'node:crypto';
import path from 'node:path';

import { seedDemoData } from '../../scripts/demoData';
import { asDate, asDay, createSqlClient, type Db, isUniqueViolation } from '../../shared/clients/sql.client';
import { recordContractAccess } from '../../shared/models/contract.model';
import { insertCoupon, markCouponUsed, newCouponCode } from '../../shared/models/coupon.model';
import { GUEST_PAYER_ID } from '../../shared/models/guestPayment.model';
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
import { GUEST_PAYER } from '../../sql/migrations/0012_guest_payments';
import { appliedMigrations, migrateLatest, migrateNext } from '../../sql/migrator';
import { createMssqlDatabase, createTestDb, mssqlClient, testEngineName } from '../support/engines';

/**
 * An upgrade over live data: a database at 0001 holding the demo data and a day of activity in
 * every table is migrated to the latest schema, and every row comes through unchanged.
 */
/** Columns added after 0001, by table (0004: outbox.delivered_at; 0006: what a notification links to; 0008, 0011: transactions; 0013: invoices.cude; 0015, 0016: outbox traceparent and holder, email_deliveries.claimed_by). */
const ADDED_COLUMNS: Record<string, Set<string>> = {
  outbox: new Set(['delivered_at', 'traceparent', 'held_by']),
  invoices: new Set(['cude']),
  email_deliveries: new Set(['claimed_by']),
  transactions: new Set(['bank_authorization', 'payment_id', 'gateway_transaction_id']),
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
  // Email deliveries as 0001 stored them (today's claims also name their instance, from 0016).
  const delivery = { user_id: user.id, created_at: now, locked_until: new Date(now.getTime() + 60_000) };
  await db('email_deliveries').insert([
    { ...delivery, message_id: randomUUID(), kind: 'receipt', status: 'PENDING' },
    { ...delivery, message_id: randomUUID(), kind: 'invoice', status: 'SENT', provider_id: 'provider-1', sent_at: now },
  ]);

  const before = await snapshot(db);
  expect(Object.values(before).every((rows) => rows.length > 0)).toBe(true);

  expect(await migrateLatest(db)).toEqual(MIGRATIONS.slice(1).map((m) => m.name));
  expect(await appliedMigrations(db)).toEqual(MIGRATIONS.map((m) => m.name));
  // Every row kept; the only one added is the reserved guest payer of 0012.
  const after = await snapshot(db);
  const guestPayer = (after.users ?? []).filter((row) => row.includes(GUEST_PAYER.id));
  expect(guestPayer).toHaveLength(1);
  expect(GUEST_PAYER.id).toBe(GUEST_PAYER_ID); // the migration's row is the one the app knows
  expect({ ...after, users: (after.users ?? []).filter((row) => !row.includes(GUEST_PAYER.id)) }).toEqual(before);
  // A notification from before 0006 is ordered by its arrival, its best known event time.
  const notice = await db('notifications')
    .where({ source_message_id: message.body.messageId })
    .first('occurred_at', 'created_at');
  expect(asDate(notice.occurred_at).getTime()).toBe(asDate(notice.created_at).getTime());
}, 60_000);

test(`when 0010 upgrades bank records stored under the old key on ${testEngineName()}, then each keeps its outcome and the earliest of each bank key holds it`, async () => {
  // A database of its own, at 0009: the records as the old key (bank + authorization + sequence) let them in.
  const fresh =
    testEngineName() === 'mssql'
      ? mssqlClient(await createMssqlDatabase())
      : createSqlClient({ engine: 'sqlite', file: path.join(process.env.DATA_DIR ?? '', 'upgrade-0010.sqlite') });
  try {
    for (let i = 0; i < MIGRATIONS.length; i++) {
      const [next] = await migrateNext(fresh);
      if (next === '0009_accounts') break;
    }
    const now = new Date('2026-12-01T14:00:00.000Z');
    const later = (ms: number) => new Date(now.getTime() + ms);
    const file = (id: string, hash: string, at: Date) => ({
      id,
      content_hash: hash.repeat(64),
      source: 'CLI',
      file_name: `${hash}.txt`,
      status: 'COMPLETED',
      bank_code: '040',
      collection_date: '2026-12-01',
      created_at: at,
    });
    const [fileA, fileB] = [newId(), newId()];
    await fresh('collection_files').insert([file(fileA, 'a', now), file(fileB, 'b', later(60_000))]);
    const record = (
      id: string,
      fileId: string,
      line: number,
      authorization: string,
      sequence: string,
      outcome: string,
      at: Date,
    ) => ({
      id,
      file_id: fileId,
      line,
      batch_number: 1,
      bank_code: '040',
      authorization_number: authorization,
      sequence_number: sequence,
      reference: String(line).padStart(48, '0'),
      amount_cents: 100_000,
      origin: '01',
      channel: '01',
      operation_number: '000001',
      debited_bank: '007',
      branch: '0001',
      outcome,
      coupon_expired: false,
      created_at: at,
    });
    const ids = [newId(), newId(), newId(), newId()];
    await fresh('collection_records').insert([
      record(ids[0] as string, fileA, 3, '111111', '0000001', 'APPLIED', now),
      record(ids[1] as string, fileA, 4, '111111', '0000002', 'ALREADY_PAID', later(1)),
      record(ids[2] as string, fileB, 3, '111111', '0000001', 'DUPLICATE', later(60_001)),
      record(ids[3] as string, fileB, 4, '222222', '0000002', 'UNKNOWN_REFERENCE', later(60_002)),
    ]);

    expect(await migrateNext(fresh)).toEqual(['0010_collection_identity']);
    const rows = await fresh('collection_records').select<
      { id: string; outcome: string; collection_date: unknown; bank_key_first: unknown }[]
    >('id', 'outcome', 'collection_date', 'bank_key_first');
    const byId = new Map(rows.map((r) => [String(r.id).toLowerCase(), r]));
    const first = ids.map((id) => Boolean(byId.get(id)?.bank_key_first));
    expect(first).toEqual([true, false, false, true]);
    expect(ids.map((id) => byId.get(id)?.outcome)).toEqual([
      'APPLIED',
      'ALREADY_PAID',
      'DUPLICATE',
      'UNKNOWN_REFERENCE',
    ]);
    expect(rows.every((r) => asDay(r.collection_date) === '2026-12-01')).toBe(true);
    // A second holder of a bank key is refused by the index, whichever file races for it. (Asked as
    // "a unique violation", not toThrow: better-sqlite3 makes its errors in the first jest context of
    // the worker, so in a later test file they are not `instanceof Error` and toThrow misses them.)
    const secondHolder = fresh('collection_records').insert({
      ...record(newId(), fileB, 9, '111111', '0000009', 'APPLIED', later(70_000)),
      collection_date: '2026-12-01',
      bank_key_first: true,
    });
    await expect(
      secondHolder.then(
        () => 'stored',
        (error: unknown) => (isUniqueViolation(error) ? 'refused' : error),
      ),
    ).resolves.toBe('refused');
  } finally {
    await fresh.destroy();
  }
}, 60_000);
