import { z } from 'zod';

import { inTransaction } from '../clients/sql.client';
import { AppError } from '../errors';
import { spendAccountToken } from '../models/accountToken.model';
import { verificationEmailMessage } from '../models/message.model';
import { addToOutbox } from '../models/outbox.model';
import { enforceRateLimit } from '../models/throttle';
import { markEmailVerified, requireActiveUser, updateProfile, type UserJson, userToJson } from '../models/user.model';
import { dispatchSoon } from '../outbox';
import type { AccountDeps } from '../services';
import { PRIVACY_POLICY } from '../views/privacyPolicy';

export const privacyPolicySchema = z
  .object({
    version: z.string().describe('What registration records as accepted'),
    publishedAt: z.string(),
    title: z.string(),
    text: z.string().describe('Plain text, paragraphs separated by a blank line'),
  })
  .meta({ id: 'PrivacyPolicy' });

export function privacyPolicy(): z.infer<typeof privacyPolicySchema> {
  return { ...PRIVACY_POLICY };
}

// ---- Email verification ----

/** POST /auth/verify-email: the emailed code proves the address; the user, now verified. */
export async function verifyEmail(deps: AccountDeps, token: string): Promise<UserJson> {
  const user = await spendAccountToken(deps.db, token, 'VERIFY_EMAIL', deps.clock.now());
  await markEmailVerified(deps.db, user.id, deps.clock.now());
  return userToJson({ ...user, emailVerifiedAt: user.emailVerifiedAt ?? deps.clock.now() });
}

/** POST /auth/verify-email/resend: a new verification email, within a per-user hourly quota. */
export async function resendVerification(deps: AccountDeps, userId: string): Promise<void> {
  const user = await requireActiveUser(deps.db, userId);
  if (user.emailVerifiedAt) throw new AppError('EMAIL_ALREADY_VERIFIED', `El correo ${user.email} ya está verificado.`);
  const perHour = deps.config.quotas.verificationEmailsPerUserPerHour;
  await enforceRateLimit(deps, {
    bucket: `verify-email:user:${userId}`,
    max: perHour,
    windowMs: 3600_000,
    detail: `Puede pedir hasta ${perHour} correos de verificación por hora.`,
  });
  const now = deps.clock.now();
  const ids = await inTransaction(deps.db, (tx) => addToOutbox(tx, [verificationEmailMessage(user, now)], now));
  await dispatchSoon(deps, ids);
}

// ---- Profile ----

/** PATCH /me: name and phone, with registration's rules (the email is not changed here). */
export async function updateMe(
  deps: AccountDeps,
  userId: string,
  changes: { fullName?: string; phone?: string | null },
): Promise<UserJson> {
  await requireActiveUser(deps.db, userId);
  await updateProfile(deps.db, userId, changes, deps.clock.now());
  return userToJson(await requireActiveUser(deps.db, userId));
}
