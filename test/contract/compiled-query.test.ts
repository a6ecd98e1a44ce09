import type { Db, DbOrTx } from '../../shared/clients/sql.client';
import { compiledQuery } from '../../shared/models/compiledQuery';
import { migrateLatest } from '../../sql/migrator';
import { createTestDb, testEngineName } from '../support/engines';

type Window = { bucket: string; windowStart: Date };

/** The queries under test, each as a model writes it: compiled, and the same builder for knex to run. */
const builders = {
  first: (db: DbOrTx, w: Window) =>
    db('rate_limits')
      .where({ bucket: w.bucket, window_start: w.windowStart })
      .first<{ hits: number } | undefined>('hits'),
  list: (db: DbOrTx, p: { buckets: string[]; windowStart: Date }) =>
    db('rate_limits')
      .whereIn('bucket', p.buckets)
      .where('window_start', p.windowStart)
      .orderBy('bucket')
      .select<{ bucket: string; hits: number }[]>('bucket', 'hits'),
  increment: (db: DbOrTx, w: Window) =>
    db('rate_limits').where({ bucket: w.bucket, window_start: w.windowStart }).increment('hits', 1),
  setReturning: (db: DbOrTx, p: Window & { hits: number }) =>
    db('rate_limits')
      .where({ bucket: p.bucket, window_start: p.windowStart })
      .update({ hits: p.hits }, ['bucket', 'hits']),
  remove: (db: DbOrTx, w: Window) =>
    db('rate_limits').where({ bucket: w.bucket, window_start: w.windowStart }).delete(),
};

describe(`a compiled query on ${testEngineName()}`, () => {
  let db: Db;
  const windowStart = new Date('2026-12-08T10:00:00Z');
  const bucket = (name: string) => `compiled:${name}`;

  beforeAll(async () => {
    db = createTestDb();
    await migrateLatest(db);
  });
  afterAll(async () => {
    await db.destroy();
  });
  beforeEach(async () => {
    await db('rate_limits').where('bucket', 'like', 'compiled:%').delete();
    await db('rate_limits').insert(
      ['a', 'b', 'c'].map((name, i) => ({ bucket: bucket(name), window_start: windowStart, hits: i + 1 })),
    );
  });

  test('when a compiled query runs, then it answers what knex answers for the same builder: the first row, the rows, the count changed, the rows returned', async () => {
    const first = compiledQuery(builders.first);
    const list = compiledQuery(builders.list);
    const increment = compiledQuery(builders.increment);
    const setReturning = compiledQuery(builders.setReturning);
    const remove = compiledQuery(builders.remove);
    const a = { bucket: bucket('a'), windowStart };
    const nowhere = { bucket: bucket('nowhere'), windowStart };

    expect(await first(db, a)).toEqual(await builders.first(db, a));
    expect(Number((await first(db, a))?.hits)).toBe(1);
    expect(await first(db, nowhere)).toBeUndefined();
    for (const buckets of [[bucket('b')], [bucket('c'), bucket('a'), bucket('nowhere')]]) {
      const p = { buckets, windowStart };
      expect(await list(db, p)).toEqual(await builders.list(db, p));
    }
    expect((await list(db, { buckets: [bucket('c'), bucket('a')], windowStart })).map((r) => r.bucket)).toEqual([
      bucket('a'),
      bucket('c'),
    ]);

    expect(await increment(db, a)).toBe(1);
    expect(await increment(db, nowhere)).toBe(0);
    expect(Number((await first(db, a))?.hits)).toBe(2);
    const returned = await setReturning(db, { ...a, hits: 40 });
    expect(returned.map((r: { bucket: string; hits: number }) => [r.bucket, Number(r.hits)])).toEqual([
      [bucket('a'), 40],
    ]);
    expect(await remove(db, a)).toBe(1);
    expect(await remove(db, a)).toBe(0);
  });

  test('when it runs in a transaction, then it sees the transaction’s writes, and a rollback takes back what it changed', async () => {
    const first = compiledQuery(builders.first);
    const increment = compiledQuery(builders.increment);
    const b = { bucket: bucket('b'), windowStart };
    await expect(
      db.transaction(async (tx) => {
        await tx('rate_limits').where({ bucket: b.bucket }).update({ hits: 10 });
        expect(Number((await first(tx, b))?.hits)).toBe(10);
        expect(await increment(tx, b)).toBe(1);
        expect(Number((await first(tx, b))?.hits)).toBe(11);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(Number((await first(db, b))?.hits)).toBe(2);
  });

  test('when it is called again, then knex builds it once per shape on SQLite (a list of another length is another shape), and every time on T-SQL', async () => {
    let builds = 0;
    const list = compiledQuery((db: DbOrTx, p: { buckets: string[]; windowStart: Date }) => {
      builds++;
      return builders.list(db, p);
    });
    const heard: string[] = [];
    const hear = (query: { sql: string }) => heard.push(query.sql);
    db.on('query', hear);
    try {
      for (const buckets of [[bucket('a')], [bucket('b')], [bucket('a'), bucket('b')], [bucket('c')]]) {
        expect((await list(db, { buckets, windowStart })).map((r) => r.bucket)).toEqual(buckets.sort());
      }
    } finally {
      db.off('query', hear);
    }
    expect(builds).toBe(testEngineName() === 'sqlite' ? 2 : 4);
    // Whoever listens to knex's statements hears each one run (the bench's floors replay them).
    expect(heard.filter((sql) => sql.includes('rate_limits'))).toHaveLength(4);
  });

  test('when a build would not bind a parameter as a value, then compiling refuses it instead of running other SQL', async () => {
    const byColumn = compiledQuery((db: DbOrTx, p: { column: string }) =>
      db('rate_limits').orderBy(p.column).select('hits'),
    );
    const limited = compiledQuery((db: DbOrTx, p: { limit: number }) =>
      db('rate_limits').limit(p.limit).select('hits'),
    );
    const first = compiledQuery(builders.first);
    if (testEngineName() === 'sqlite') {
      await expect(byColumn(db, { column: 'hits' })).rejects.toThrow('became part of the SQL text');
      // knex drops a limit that is not a number (and says so): the stand-in never reaches the statement.
      const warned = jest.spyOn(console, 'log').mockImplementation(() => undefined);
      try {
        await expect(limited(db, { limit: 2 })).rejects.toThrow('parameter limit is never bound');
        expect(warned).toHaveBeenCalledWith(expect.stringContaining('A valid integer must be provided to limit'));
      } finally {
        warned.mockRestore();
      }
    }
    await expect(first(db, { bucket: bucket('a'), windowStart: undefined as unknown as Date })).rejects.toThrow(
      testEngineName() === 'sqlite' ? 'parameter windowStart has no value' : /undefined/i,
    );
  });

  // SQLite only: knex gives SQLite one connection, so a statement outside a transaction must wait
  // for it. On T-SQL each statement has a pooled connection of its own, and whether its read waits
  // for the other's row lock is the server's isolation setting, not compiledQuery's doing.
  (testEngineName() === 'sqlite' ? test : test.skip)(
    'when a transaction holds SQLite’s one connection, then a compiled query outside it waits for the commit and reads what it committed',
    async () => {
      const first = compiledQuery(builders.first);
      const c = { bucket: bucket('c'), windowStart };
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let written!: () => void;
      const wrote = new Promise<void>((resolve) => (written = resolve));
      const transaction = db.transaction(async (tx) => {
        await tx('rate_limits').where({ bucket: c.bucket }).update({ hits: 30 });
        written();
        await held;
      });
      await wrote;
      let settled = false;
      const outside = first(db, c).then((row) => {
        settled = true;
        return row;
      });
      for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(settled).toBe(false);
      release();
      await transaction;
      expect(Number((await outside)?.hits)).toBe(30);
    },
  );
});
