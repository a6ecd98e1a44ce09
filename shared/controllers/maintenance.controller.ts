import type { Clock } from '../clients/clock.client';
import type { Db } from '../clients/sql.client';
import type { Config } from '../config';
import { purgeExpiredAccountTokens } from '../models/accountToken.model';
import { eraseGuestEmailsBefore } from '../models/guestPayment.model';
import { purgeExpiredIdempotencyKeys } from '../models/idempotency.model';
import { purgeSilentInstances } from '../models/instance.model';
import { purgeLoginThrottles } from '../models/loginThrottle.model';
import { purgeDispatchedOutbox } from '../models/outbox.model';
import { pruneRateLimits } from '../models/rateLimit.model';
import { purgeExpiredSessions } from '../models/session.model';
import { purgeTimerRunsBefore } from '../models/timerRun.model';
import { MAX_SENDS } from '../outbox';

const DAY_MS = 86_400_000;
/** How long sent outbox messages stay for support before they are dropped. */
export const OUTBOX_RETENTION_DAYS = 7;
/** How long ended sessions stay after their absolute expiry (support and security questions). */
export const SESSION_RETENTION_DAYS = 30;
/** How long each timer run's record stays (the system view reads the latest; the rest is for support). */
export const TIMER_RUN_RETENTION_DAYS = 30;

export interface PurgeRun {
  rateLimitWindows: number;
  idempotencyKeys: number;
  outboxMessages: number;
  sessions: number;
  loginThrottles: number;
  accountTokens: number;
  guestEmails: number;
  timerRuns: number;
  /** Heartbeat rows of instances silent for a day (killed, never stopped cleanly). */
  silentInstances: number;
}

/**
 * Keeps the bookkeeping tables bounded: old throttling windows, expired idempotency keys, sent
 * messages, long-expired sessions, verification and reset tokens a day past their expiry; and
 * erases guest payers' emails past GUEST_DATA_RETENTION_DAYS (habeas data: the payments stay).
 */
export async function purgeExpiredRecords(deps: {
  db: Db;
  clock: Clock;
  config: Pick<Config, 'guests'>;
}): Promise<PurgeRun> {
  const now = deps.clock.now();
  return {
    rateLimitWindows: await pruneRateLimits(deps.db, new Date(now.getTime() - DAY_MS)),
    idempotencyKeys: await purgeExpiredIdempotencyKeys(deps.db, now),
    outboxMessages: await purgeDispatchedOutbox(
      deps.db,
      new Date(now.getTime() - OUTBOX_RETENTION_DAYS * DAY_MS),
      MAX_SENDS,
    ),
    loginThrottles: await purgeLoginThrottles(deps.db, new Date(now.getTime() - DAY_MS)),
    sessions: await purgeExpiredSessions(deps.db, new Date(now.getTime() - SESSION_RETENTION_DAYS * DAY_MS)),
    accountTokens: await purgeExpiredAccountTokens(deps.db, new Date(now.getTime() - DAY_MS)),
    guestEmails: await eraseGuestEmailsBefore(
      deps.db,
      new Date(now.getTime() - deps.config.guests.dataRetentionDays * DAY_MS),
      now,
    ),
    timerRuns: await purgeTimerRunsBefore(deps.db, new Date(now.getTime() - TIMER_RUN_RETENTION_DAYS * DAY_MS)),
    silentInstances: await purgeSilentInstances(deps.db, new Date(now.getTime() - DAY_MS)),
  };
}
