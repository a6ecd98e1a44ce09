import { inTransaction } from '../clients/sql.client';
import { AppError } from '../errors';
import { findAccountToken, spendAccountToken, useAllAccountTokens } from '../models/accountToken.model';
import { accountEmailMessage, notificationMessage, type OutgoingMessage } from '../models/message.model';
import { addToOutbox } from '../models/outbox.model';
import { hashPassword, passwordProblems, verifyPassword } from '../models/password';
import { revokeUserSessions } from '../models/session.model';
import { forgetRevoked } from '../models/sessionCache';
import { enforceRateLimit } from '../models/throttle';
import {
  findUserById,
  markEmailVerified,
  requireActiveUser,
  updatePasswordHash,
  type User,
} from '../models/user.model';
import { dispatchSoon } from '../outbox';
import type { AccountDeps } from '../services';

/** Passwords: changed by the person signed in, or reset through an emailed link; every other session ends. */

function passwordChangedMessages(user: User, via: 'change' | 'reset', now: Date): OutgoingMessage[] {
  return [
    accountEmailMessage({
      kind: 'password-changed',
      occurredAt: now,
      email: user.email,
      userId: user.id,
      fullName: user.fullName,
      via,
    }),
    notificationMessage({
      kind: 'PASSWORD_CHANGED',
      userId: user.id,
      occurredAt: now,
      data: { via, changedAt: now.toISOString() },
    }),
  ];
}

// ---- Passwords ----

function refuseWeak(password: string, email: string, path: string): void {
  const weakness = passwordProblems(password, email);
  if (weakness) throw new AppError('WEAK_PASSWORD', weakness, { errors: [{ path, message: weakness }] });
}

/**
 * POST /auth/password: the current password proves it is the person, not someone holding a stolen
 * token; every other session ends, and an email and a notification tell the person.
 */
export async function changePassword(
  deps: AccountDeps,
  caller: { id: string; sessionId: string },
  input: { currentPassword: string; newPassword: string },
): Promise<void> {
  // Guessing the current password through this route is throttled like a login.
  await enforceRateLimit(deps, {
    bucket: `password-change:user:${caller.id}`,
    max: deps.config.auth.maxFailures * 2,
    windowMs: deps.config.auth.failureWindowMinutes * 60_000,
    detail: 'Demasiados intentos de cambio de contraseña. Espere e intente de nuevo.',
  });
  const user = await requireActiveUser(deps.db, caller.id);
  if (!(await verifyPassword(input.currentPassword, user.passwordHash)))
    throw new AppError('INVALID_CURRENT_PASSWORD', 'La contraseña actual no es correcta.', {
      errors: [{ path: 'body.currentPassword', message: 'Contraseña actual incorrecta.' }],
    });
  refuseWeak(input.newPassword, user.email, 'body.newPassword');
  const passwordHash = await hashPassword(input.newPassword, deps.config.auth.bcryptCost);
  const now = deps.clock.now();
  const ids = await inTransaction(deps.db, async (tx) => {
    await updatePasswordHash(tx, user.id, passwordHash, now);
    await revokeUserSessions(tx, user.id, 'password-change', now, caller.sessionId);
    return addToOutbox(tx, passwordChangedMessages(user, 'change', now), now);
  });
  forgetRevoked(deps, { userId: user.id });
  await dispatchSoon(deps, ids);
}

/**
 * POST /auth/password-reset: 202 whatever the email. The request path is the same for a known and
 * an unknown address (two quota hits and one outbox row): the consumer finds the account, if any,
 * so neither the answer nor its timing tells whether the email is registered.
 */
export async function requestPasswordReset(deps: AccountDeps, email: string, clientKey: string): Promise<void> {
  const { quotas } = deps.config;
  await enforceRateLimit(deps, {
    bucket: `password-reset:client:${clientKey}`,
    max: quotas.passwordResetsPerClientPerHour,
    windowMs: 3600_000,
    detail: 'Demasiadas solicitudes de restablecimiento desde este cliente. Intente más tarde.',
  });
  await enforceRateLimit(deps, {
    bucket: `password-reset:email:${email}`,
    max: quotas.passwordResetsPerEmailPerHour,
    windowMs: 3600_000,
    detail: `Se pueden pedir hasta ${quotas.passwordResetsPerEmailPerHour} correos de restablecimiento por hora para un mismo correo.`,
  });
  const now = deps.clock.now();
  const message = accountEmailMessage({ kind: 'password-reset', occurredAt: now, email });
  const ids = await inTransaction(deps.db, (tx) => addToOutbox(tx, [message], now));
  await dispatchSoon(deps, ids);
}

/** POST /auth/password-reset/confirm: the emailed code sets a new password and ends every session. */
export async function confirmPasswordReset(
  deps: AccountDeps,
  input: { token: string; newPassword: string },
  clientKey: string,
): Promise<void> {
  await enforceRateLimit(deps, {
    bucket: `password-reset-confirm:client:${clientKey}`,
    max: deps.config.quotas.passwordResetsPerClientPerHour * 3,
    windowMs: 3600_000,
    detail: 'Demasiados intentos desde este cliente. Intente más tarde.',
  });
  const record = await findAccountToken(deps.db, input.token, 'PASSWORD_RESET');
  const probe = record ? await findUserById(deps.db, record.userId) : undefined;
  // A weak password is refused before the code is spent, so the person can try another with the same link.
  if (probe) refuseWeak(input.newPassword, probe.email, 'body.newPassword');
  const passwordHash = await hashPassword(input.newPassword, deps.config.auth.bcryptCost);
  const user = await spendAccountToken(deps.db, input.token, 'PASSWORD_RESET', deps.clock.now());
  const now = deps.clock.now();
  const ids = await inTransaction(deps.db, async (tx) => {
    await updatePasswordHash(tx, user.id, passwordHash, now);
    // The link reached the inbox: that proves the address as well as a verification would.
    await markEmailVerified(tx, user.id, now);
    await useAllAccountTokens(tx, user.id, 'PASSWORD_RESET', now);
    await revokeUserSessions(tx, user.id, 'password-reset', now);
    return addToOutbox(tx, passwordChangedMessages(user, 'reset', now), now);
  });
  forgetRevoked(deps, { userId: user.id });
  await dispatchSoon(deps, ids);
}
