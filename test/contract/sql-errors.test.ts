import type { Knex } from 'knex';

import { type Db, inTransaction, isTransientSqlError, isUniqueViolation } from '../../shared/clients/sql.client';
import { createTestDb, testEngineName } from '../support/engines';

/**
 * The driver errors the app maps, provoked for real on this project's engine: a unique violation
 * is recognised as such (→ 409-style outcomes), a foreign-key or CHECK violation is neither unique
 * nor transient (a bug: 500, never retried), and a deadlock is transient (the whole transaction is
 * retried). Where the T-SQL test engine (Babelfish) differs from Azure SQL, the test says so.
 */
const engine = testEngineName();
let db: Db;

/** What a promise rejected with (driver errors may come from another realm: no instanceof). */
async function rejectionOf(work: PromiseLike<unknown>): Promise<{ number?: number; code?: string; message?: string }> {
  try {
    await work;
  } catch (error) {
    return error as { number?: number; code?: string; message?: string };
  }
  throw new Error('expected a failure');
}

beforeAll(async () => {
  db = createTestDb();
  await db.schema.createTable('probe_parent', (t) => {
    t.integer('id').primary('pk_probe_parent');
    t.string('email', 50).notNullable().unique({ indexName: 'uq_probe_parent_email' });
    t.integer('amount').notNullable().checkPositive('ck_probe_parent_amount');
  });
  await db.schema.createTable('probe_child', (t) => {
    t.integer('id').primary('pk_probe_child');
    t.integer('parent_id').notNullable().references('id').inTable('probe_parent').withKeyName('fk_probe_child_parent');
  });
  await db('probe_parent').insert([
    { id: 1, email: 'a@example.com', amount: 1 },
    { id: 2, email: 'b@example.com', amount: 1 },
  ]);
});
afterAll(async () => {
  await db.destroy();
});

test(`when a unique index is violated on ${engine}, then isUniqueViolation recognises it (SQL Server 2627/2601) and it is not retried`, async () => {
  const error = await rejectionOf(db('probe_parent').insert({ id: 3, email: 'a@example.com', amount: 1 }));
  expect(isUniqueViolation(error)).toBe(true);
  expect(isTransientSqlError(error)).toBe(false);
  if (engine === 'mssql') expect([2627, 2601]).toContain(error.number);
  const primaryKey = await rejectionOf(db('probe_parent').insert({ id: 1, email: 'c@example.com', amount: 1 }));
  expect(isUniqueViolation(primaryKey)).toBe(true);
});

test(`when a foreign key or a CHECK is violated on ${engine}, then it is neither a unique violation nor transient (SQL Server 547)`, async () => {
  const foreignKey = await rejectionOf(db('probe_child').insert({ id: 1, parent_id: 999 }));
  const check = await rejectionOf(db('probe_parent').insert({ id: 4, email: 'd@example.com', amount: 0 }));
  for (const error of [foreignKey, check]) {
    expect(isUniqueViolation(error)).toBe(false);
    expect(isTransientSqlError(error)).toBe(false);
    if (engine === 'mssql') expect(error.number).toBe(547);
    else expect(error.code).toMatch(/^SQLITE_CONSTRAINT_(FOREIGNKEY|CHECK)$/);
  }
});

/** Two transactions that take the same two rows in opposite order, each waiting for the other. */
function crossedTransactions(
  run: (work: (tx: Knex.Transaction) => Promise<void>) => Promise<void>,
): Promise<PromiseSettledResult<void>[]> {
  let firstStepsDone = 0;
  const bothHoldOneRow = new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (firstStepsDone === 2) {
        clearInterval(check);
        resolve();
      }
    }, 10);
  });
  const crossing = (first: number, second: number) =>
    run(async (tx) => {
      await tx('probe_parent').where({ id: first }).increment('amount', 1);
      firstStepsDone++;
      await bothHoldOneRow;
      await tx('probe_parent').where({ id: second }).increment('amount', 1);
    });
  return Promise.allSettled([crossing(1, 2), crossing(2, 1)]);
}

if (engine === 'mssql') {
  test('when two transactions deadlock on the T-SQL engine, then the victim fails with 1205, which is transient', async () => {
    const outcomes = await crossedTransactions((work) => db.transaction(work));
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(failed).toHaveLength(1);
    const victim = failed[0]?.reason as { number?: number };
    expect(victim.number).toBe(1205);
    expect(isTransientSqlError(victim)).toBe(true);
  });

  test('when two transactions deadlock inside inTransaction, then the victim is retried whole and both commit', async () => {
    const before = await db('probe_parent').whereIn('id', [1, 2]).sum({ total: 'amount' }).first();
    const outcomes = await crossedTransactions((work) => inTransaction(db, work));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
    const after = await db('probe_parent').whereIn('id', [1, 2]).sum({ total: 'amount' }).first();
    expect(Number(after?.total) - Number(before?.total)).toBe(4);
  });

  test('when a lock wait times out, then the error is not retried (Azure SQL: 1222; Babelfish reports 33557097 instead)', async () => {
    const holder = await db.transaction();
    try {
      await holder('probe_parent').where({ id: 1 }).increment('amount', 1);
      const error = await rejectionOf(
        db.transaction(async (tx) => {
          await tx.raw('SET LOCK_TIMEOUT 200');
          await tx('probe_parent').where({ id: 1 }).increment('amount', 1);
        }),
      );
      // A difference of the test engine, not hidden: SQL Server says 1222, Babelfish 33557097.
      expect([1222, 33557097]).toContain(error.number);
      expect(isTransientSqlError(error)).toBe(false);
    } finally {
      await holder.rollback();
    }
  });
} else {
  test('when two transactions take the same rows in opposite order on SQLite, then the one writer connection runs them one after the other and both commit', async () => {
    const crossing = (first: number, second: number) =>
      inTransaction(db, async (tx) => {
        await tx('probe_parent').where({ id: first }).increment('amount', 1);
        await tx('probe_parent').where({ id: second }).increment('amount', 1);
      });
    const before = await db('probe_parent').whereIn('id', [1, 2]).sum({ total: 'amount' }).first();
    await Promise.all([crossing(1, 2), crossing(2, 1)]);
    const after = await db('probe_parent').whereIn('id', [1, 2]).sum({ total: 'amount' }).first();
    expect(Number(after?.total) - Number(before?.total)).toBe(4);
  });
}
