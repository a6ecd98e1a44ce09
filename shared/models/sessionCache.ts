import type { Db } from '../clients/sql.client';

/**
 * Access-token checks without a database round trip per request: a session found active is
 * trusted on this instance for SESSION_CACHE_SECONDS (never past its own expiry). Bounded: at
 * most `maxEntries` sessions, the oldest forgotten first.
 *
 * Revocation on this instance takes effect at once: logout, refresh-token reuse, a password
 * change or reset and an account deletion forget the entries here, and a read that began before
 * the revocation is not cached (it may have seen the session still alive). Another instance may
 * accept the session's access tokens until its own entry lapses, at most SESSION_CACHE_SECONDS
 * (README "Scaling out").
 */
export class SessionCache {
  private readonly entries = new Map<string, { userId: string; expiresAt: number; until: number }>();
  /** Session id or `user:<id>` → when it was revoked here (monotonic ms), kept for one TTL. */
  private readonly revoked = new Map<string, number>();

  constructor(
    readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly monotonic: () => number = () => performance.now(),
  ) {}

  /** Taken before the database read whose answer may be remembered. */
  readStarted(): number {
    return this.monotonic();
  }

  /** Whether the session is known active here; `now` is the app clock (session expiry). */
  isActive(sessionId: string, now: Date): boolean {
    const entry = this.entries.get(sessionId);
    if (!entry) return false;
    if (entry.until <= this.monotonic() || entry.expiresAt <= now.getTime()) {
      this.entries.delete(sessionId);
      return false;
    }
    return true;
  }

  remember(sessionId: string, userId: string, expiresAt: Date, readStartedAt: number): void {
    if (this.ttlMs <= 0) return;
    const revokedAt = Math.max(
      this.revoked.get(sessionId) ?? -Infinity,
      this.revoked.get(`user:${userId}`) ?? -Infinity,
    );
    if (revokedAt >= readStartedAt) return;
    this.entries.delete(sessionId);
    this.entries.set(sessionId, { userId, expiresAt: expiresAt.getTime(), until: this.monotonic() + this.ttlMs });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  forgetSession(sessionId: string): void {
    this.entries.delete(sessionId);
    this.markRevoked(sessionId);
  }

  forgetUser(userId: string): void {
    for (const [sessionId, entry] of this.entries) if (entry.userId === userId) this.entries.delete(sessionId);
    this.markRevoked(`user:${userId}`);
  }

  get size(): number {
    return this.entries.size;
  }

  private markRevoked(key: string): void {
    const now = this.monotonic();
    this.revoked.set(key, now);
    if (this.revoked.size > this.maxEntries) {
      // A read that started more than a TTL before now is long finished: its tombstone can go.
      for (const [k, at] of this.revoked) if (at < now - this.ttlMs) this.revoked.delete(k);
    }
  }
}

const caches = new WeakMap<Db, SessionCache>();

/** One cache per database client (so per process in Azure, and per app under test). */
export function sessionCacheOf(db: Db, ttlMs: number): SessionCache {
  let cache = caches.get(db);
  if (!cache || cache.ttlMs !== ttlMs) {
    cache = new SessionCache(ttlMs);
    caches.set(db, cache);
  }
  return cache;
}

/** After a revocation commits: this instance stops trusting the sessions at once. */
export function forgetRevoked(
  deps: { db: Db; config: { auth: { sessionCacheMs: number } } },
  revoked: { sessionId: string } | { userId: string },
): void {
  const cache = sessionCacheOf(deps.db, deps.config.auth.sessionCacheMs);
  if ('sessionId' in revoked) cache.forgetSession(revoked.sessionId);
  else cache.forgetUser(revoked.userId);
}
