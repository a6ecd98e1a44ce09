import { createHash } from 'node:crypto';

import { asOptionalDate, type DbOrTx, isUniqueViolation } from '../clients/sql.client';

/**
 * Failed logins per (account, client) pair (OWASP ASVS 5.0 §6.3): after `maxFailures` wrong
 * passwords the pair waits, each further failure doubling the wait up to `maxDelayMs`; a quiet
 * `windowMs` forgets the failures. The owner on another client, and every other pair, are untouched.
 */
export interface LoginThrottlePolicy {
  maxFailures: number;
  windowMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** The pair's key: the email and the client address, hashed (no personal data in clear here). */
export function loginThrottleKey(email: string, clientKey: string): string {
  return createHash('sha256').update(`${email}\n${clientKey}`, 'utf8').digest('hex');
}

export const loginThrottleQueries = {
  blockedUntil: (db: DbOrTx, key: string, now: Date) =>
    db('login_throttles')
      .where({ throttle_key: key })
      .where('blocked_until', '>', now)
      .first<{ blocked_until: unknown } | undefined>('blocked_until'),
  /** One more failure, or the first of a new run when the last one is older than the window. */
  countFailure: (db: DbOrTx, key: string, now: Date, quietSince: Date) =>
    db('login_throttles')
      .where({ throttle_key: key })
      .update({
        failures: db.raw('CASE WHEN last_failure_at < ? THEN 1 ELSE failures + 1 END', [quietSince]),
        blocked_until: db.raw('CASE WHEN last_failure_at < ? THEN NULL ELSE blocked_until END', [quietSince]),
        last_failure_at: now,
      }),
  block: (db: DbOrTx, key: string, until: Date) =>
    db('login_throttles').where({ throttle_key: key }).update({ blocked_until: until }),
};

/** When the pair may try again, if it must wait now. */
export async function loginBlockedUntil(db: DbOrTx, key: string, now: Date): Promise<Date | undefined> {
  return asOptionalDate((await loginThrottleQueries.blockedUntil(db, key, now))?.blocked_until) ?? undefined;
}

/** Counts a wrong password for the pair; returns until when it must wait (undefined: not yet). */
export async function recordLoginFailure(
  db: DbOrTx,
  key: string,
  now: Date,
  policy: LoginThrottlePolicy,
): Promise<Date | undefined> {
  const quietSince = new Date(now.getTime() - policy.windowMs);
  if ((await loginThrottleQueries.countFailure(db, key, now, quietSince)) === 0) {
    try {
      await db('login_throttles').insert({ throttle_key: key, failures: 1, last_failure_at: now });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      await loginThrottleQueries.countFailure(db, key, now, quietSince); // a concurrent failure made the row
    }
  }
  const row = await db('login_throttles')
    .where({ throttle_key: key })
    .first<{ failures: number } | undefined>('failures');
  const excess = Number(row?.failures ?? 0) - policy.maxFailures;
  if (excess < 0) return undefined;
  const until = new Date(now.getTime() + Math.min(policy.baseDelayMs * 2 ** Math.min(excess, 30), policy.maxDelayMs));
  await loginThrottleQueries.block(db, key, until);
  return until;
}

/** A correct password ends the pair's run of failures. */
export async function clearLoginFailures(db: DbOrTx, key: string): Promise<void> {
  await db('login_throttles').where({ throttle_key: key }).delete();
}

/** Pairs quiet since `before` and not waiting: nothing left to remember. */
export async function purgeLoginThrottles(db: DbOrTx, before: Date): Promise<number> {
  return db('login_throttles')
    .where('last_failure_at', '<', before)
    .where((q) => {
      void q.whereNull('blocked_until').orWhere('blocked_until', '<', before);
    })
    .delete();
}
