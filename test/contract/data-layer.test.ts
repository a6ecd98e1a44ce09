import { randomUUID } from 'node:crypto';
import type { Db } from '../../shared/clients/sql.client';
import { isUniqueViolation } from '../../shared/clients/sql.client';
import { bogotaDay } from '../../shared/models/time';
import { appliedMigrations, migrateLatest } from '../../sql/migrator';
import { DEMO_CONTRACTS, DEMO_OPERATOR, seedDemoData } from '../../sql/seed';
import { engines } from '../support/engines';

/**
 * What a query rejected with. Driver errors are compared by code and message, not with
 * toThrow: the native SQLite binding is shared by test files, so its errors come from another
 * realm and are not `instanceof Error` here.
 */
async function rejectionOf(query: PromiseLike<unknown>): Promise<unknown> {
  try {
    await query;
  } catch (error) {
    return error;
  }
  throw new Error('the query was expected to fail');
}

describe.each(engines())('the data layer on $name', (engine) => {
  let db: Db;
  const now = new Date('2026-11-30T15:00:00Z');

  beforeAll(async () => {
    db = await engine.create();
    await migrateLatest(db);
  });
  afterAll(async () => {
    await db.destroy();
  });

  test('when migrations run twice, then the second run applies nothing and the table records them', async () => {
    expect(await migrateLatest(db)).toEqual([]);
    expect(await appliedMigrations(db)).toEqual(['0001_initial']);
  });

  describe('with the demo data', () => {
    beforeAll(async () => {
      await seedDemoData(db, { now });
    });

    test('when seeding runs again, then nothing is added', async () => {
      expect(await seedDemoData(db, { now })).toEqual({ contracts: 0, invoices: 0, users: 0 });
    });

    test('contracts 10000001–10000050 each owe an invoice due in the future and have paid history', async () => {
      const today = bogotaDay(now);
      for (let n = DEMO_CONTRACTS.first; n <= DEMO_CONTRACTS.last; n++) {
        const invoices = await db('invoices as i').join('contracts as c', 'c.id', 'i.contract_id').where('c.number', String(n)).select('i.status', 'i.due_date', 'i.amount');
        const dueDay = (d: unknown) => (d instanceof Date ? d.toISOString().slice(0, 10) : String(d));
        expect(invoices.some((i) => i.status === 'UNPAID' && dueDay(i.due_date) > today)).toBe(true);
        expect(invoices.some((i) => i.status === 'PAID')).toBe(true);
        expect(invoices.every((i) => Number.isInteger(i.amount) && i.amount > 0)).toBe(true);
      }
    });

    test('contract 10000099 has nothing unpaid, and the operator exists', async () => {
      const unpaid = await db('invoices as i').join('contracts as c', 'c.id', 'i.contract_id').where({ 'c.number': String(DEMO_CONTRACTS.allPaid), 'i.status': 'UNPAID' }).count({ n: '*' }).first();
      expect(Number(unpaid?.n)).toBe(0);
      expect(await db('users').where({ email: DEMO_OPERATOR.email, role: 'operator' }).first('id')).toBeDefined();
    });

    test('when a second ACTIVE coupon is inserted for the same user and invoice, then the database refuses it', async () => {
      const invoice = await db('invoices').where({ status: 'UNPAID' }).first('id', 'amount');
      const user = await db('users').first('id');
      const coupon = (status: string) => ({
        id: randomUUID(),
        code: randomUUID().slice(0, 12),
        user_id: user.id,
        invoice_id: invoice.id,
        amount: invoice.amount,
        status,
        issued_at: now,
        expires_at: now,
      });
      await db('coupons').insert(coupon('ACTIVE'));
      await db('coupons').insert(coupon('EXPIRED')); // closed coupons don't count
      expect(isUniqueViolation(await rejectionOf(db('coupons').insert(coupon('ACTIVE'))))).toBe(true);
    });

    test('when a status outside the state machine is written, then the check constraint refuses it', async () => {
      const invoice = await db('invoices').first('id');
      expect(String(await rejectionOf(db('invoices').where({ id: invoice.id }).update({ status: 'LOST' })))).toMatch(/CHECK constraint/i);
    });

    test('when an invoice points at a missing contract, then the foreign key refuses it', async () => {
      const insert = db('invoices').insert({
        id: randomUUID(),
        contract_id: randomUUID(),
        number: 'X1',
        period: '2026-11',
        issue_date: '2026-11-01',
        due_date: '2026-11-20',
        amount: 1000,
        status: 'UNPAID',
        created_at: now,
        updated_at: now,
      });
      expect(String(await rejectionOf(insert))).toMatch(/FOREIGN KEY/i);
    });
  });
});
