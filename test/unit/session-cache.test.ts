import { SessionCache } from '../../shared/models/sessionCache';

/** The per-instance session cache, on a hand-moved monotonic clock. */
let t = 0;
const monotonic = () => t;
const now = new Date('2026-12-01T15:00:00Z');
const later = new Date('2026-12-02T15:00:00Z');
beforeEach(() => {
  t = 1_000;
});

test('when a session is remembered, then it is active until the TTL lapses, and never past its own expiry', () => {
  const cache = new SessionCache(5_000, 100, monotonic);
  cache.remember('s1', 'u1', later, cache.readStarted());
  expect(cache.isActive('s1', now)).toBe(true);
  expect(cache.isActive('s1', new Date(later.getTime() + 1))).toBe(false);
  cache.remember('s1', 'u1', later, cache.readStarted());
  t += 5_000;
  expect(cache.isActive('s1', now)).toBe(false);
  expect(cache.isActive('never-seen', now)).toBe(false);
});

test('when a session or a user is revoked here, then it is forgotten at once, and a read begun before the revocation is not cached', () => {
  const cache = new SessionCache(5_000, 100, monotonic);
  cache.remember('s1', 'u1', later, cache.readStarted());
  cache.remember('s2', 'u1', later, cache.readStarted());
  cache.remember('s3', 'u2', later, cache.readStarted());
  cache.forgetSession('s3');
  expect(cache.isActive('s3', now)).toBe(false);
  const slowRead = cache.readStarted();
  t += 1;
  cache.forgetUser('u1');
  expect([cache.isActive('s1', now), cache.isActive('s2', now)]).toEqual([false, false]);
  cache.remember('s1', 'u1', later, slowRead); // saw the session alive before the revocation committed
  expect(cache.isActive('s1', now)).toBe(false);
  t += 1;
  cache.remember('s4', 'u1', later, cache.readStarted()); // a login after the revocation
  expect(cache.isActive('s4', now)).toBe(true);
});

test('when more sessions than the bound are remembered, then the oldest go first; a TTL of 0 caches nothing', () => {
  const cache = new SessionCache(5_000, 3, monotonic);
  for (const id of ['a', 'b', 'c', 'd']) cache.remember(id, 'u', later, cache.readStarted());
  expect(cache.size).toBe(3);
  expect(cache.isActive('a', now)).toBe(false);
  expect(cache.isActive('d', now)).toBe(true);
  const off = new SessionCache(0, 3, monotonic);
  off.remember('a', 'u', later, off.readStarted());
  expect(off.isActive('a', now)).toBe(false);
});
