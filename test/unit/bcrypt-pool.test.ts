import bcrypt from 'bcryptjs';

import { WorkerPoolHasher } from '../../shared/clients/bcrypt.client';

/** The bcrypt worker pool: real threads running the real bcryptjs (cost 4 keeps the test quick). */
let pool: WorkerPoolHasher;
beforeEach(() => {
  pool = new WorkerPoolHasher(2);
});
afterEach(async () => {
  await pool.close();
});

test('when a secret is hashed on the pool, then bcryptjs on this thread accepts it, and the pool accepts hashes made here', async () => {
  const hash = await pool.hash('montañas verdes', 4);
  expect(hash).toMatch(/^\$2b\$04\$/);
  expect(bcrypt.compareSync('montañas verdes', hash)).toBe(true);
  expect(await pool.compare('montañas verdes', hash)).toBe(true);
  expect(await pool.compare('montañas grises', hash)).toBe(false);
  expect(await pool.compare('otra', bcrypt.hashSync('otra', 4))).toBe(true);
});

test('when more jobs than threads arrive at once, then every one gets its own answer and no more threads start than the size', async () => {
  const secrets = Array.from({ length: 12 }, (_, i) => `secreto-${i}`);
  const hashes = await Promise.all(secrets.map((s) => pool.hash(s, 4)));
  expect(pool.threads).toBe(2);
  const checks = await Promise.all(secrets.map((s, i) => pool.compare(s, hashes[(i + 1) % secrets.length] ?? '')));
  expect(checks.every((ok) => !ok)).toBe(true);
  expect(await Promise.all(secrets.map((s, i) => pool.compare(s, hashes[i] ?? '')))).toEqual(secrets.map(() => true));
});

test('when bcrypt throws in a worker, then that call rejects with its message and the pool keeps working', async () => {
  // Wrong argument types reach bcryptjs, which throws "Illegal arguments" (typed callers can't do this).
  await expect(pool.compare('x', 5 as unknown as string)).rejects.toThrow(/bcrypt: Illegal arguments/);
  await expect(pool.hash(null as unknown as string, 4)).rejects.toThrow(/bcrypt: Illegal arguments/);
  expect(await pool.compare('x', 'not a bcrypt hash')).toBe(false);
  expect(await pool.compare('x', await pool.hash('x', 4))).toBe(true);
});

test('when the pool closes, then waiting jobs are refused, its threads end, and later calls are refused', async () => {
  const running = [pool.hash('a', 10), pool.hash('b', 10), pool.hash('c', 10)];
  const outcomes = Promise.allSettled(running);
  await pool.close();
  expect((await outcomes).every((o) => o.status === 'rejected')).toBe(true);
  expect(pool.threads).toBe(0);
  await expect(pool.compare('a', '$2b$04$abcdefghijklmnopqrstuu')).rejects.toThrow(/closed/);
});
