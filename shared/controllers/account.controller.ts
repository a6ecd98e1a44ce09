import { hkdfSync, randomBytes } from 'node:crypto';

import { z } from 'zod';

import type { EmailSender } from '../clients/email.client';
import { inTransaction } from '../clients/sql.client';
import type { Config } from '../config';
import { AppError } from '../errors';
import {
  ACCOUNT_TOKEN_TTL_MS,
  accountTokenFor,
  type AccountTokenPurpose,
  findAccountToken,
  storeAccountToken,
  useAccountToken,
  useAllAccountTokens,
} from '../models/accountToken.model';
import { insertAudit } from '../models/audit.model';
import { consentJsonSchema, consentsOf, consentToJson } from '../models/consent.model';
import { followedContractJsonSchema, unfollowAllContracts } from '../models/contract.model';
import { emailDeliveriesOf } from '../models/emailDelivery.model';
import { deleteIdempotencyKeysOf } from '../models/idempotency.model';
import { deleteInvoiceNoticesOf } from '../models/invoiceNotice.model';
import {
  type AccountEmailMessage,
  accountEmailMessage,
  accountEmailMessageSchema,
  notificationMessage,
  type OutgoingMessage,
  verificationEmailMessage,
} from '../models/message.model';
import { deleteNotificationsOf, notificationJsonSchema } from '../models/notification.model';
import { addToOutbox } from '../models/outbox.model';
import type { Page } from '../models/pagination';
import { hashPassword, passwordProblems, verifyPassword } from '../models/password';
import { revokeUserSessions } from '../models/session.model';
import { enforceRateLimit } from '../models/throttle';
import { transactionJsonSchema } from '../models/transaction.model';
import {
  anonymiseUser,
  findUserByEmail,
  findUserById,
  markEmailVerified,
  updatePasswordHash,
  updateProfile,
  type User,
  type UserJson,
  userJsonSchema,
  userToJson,
  type UserWithCredentials,
} from '../models/user.model';
import { parseMessage } from '../queueConsumer';
import type { Services } from '../services';
import { renderAccountEmail } from '../views/accountEmails';
import { PRIVACY_POLICY } from '../views/privacyPolicy';
import { forgetRevoked } from './auth.controller';
import * as coupons from './coupon.controller';
import { couponListItemSchema } from './coupon.controller';
import { sendOnce } from './email.controller';
import * as invoices from './invoice.controller';
import * as notifications from './notification.controller';
import * as outbox from './outbox.controller';
import { dispatchSoon } from './outbox.controller';
import * as payments from './payment.controller';

/**
 * The account a person keeps (Ley 1581 de 2012, habeas data): the privacy policy they accept,
 * their email proven theirs, their password changed or reset, their profile corrected, all their
 * data handed over, and the account forgotten on request.
 */
export type AccountDeps = Pick<Services, 'db' | 'clock' | 'queue'> & {
  config: Pick<Config, 'jwt' | 'auth' | 'quotas' | 'email' | 'coupons' | 'delivery'>;
};

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

// ---- Tokens in emails ----

const tokenKeys = new Map<string, Buffer>();
/** The HMAC key of account tokens, derived from the JWT signing secret (one secret to keep, not two). */
function tokenKey(config: Pick<Config, 'jwt'>): Buffer {
  let key = tokenKeys.get(config.jwt.signingKey);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', config.jwt.signingKey, 'cuponeras-epm', 'account tokens v1', 32));
    tokenKeys.set(config.jwt.signingKey, key);
  }
  return key;
}

const invalidToken = () =>
  new AppError(
    'INVALID_ACCOUNT_TOKEN',
    'El enlace no es válido, ya se usó o venció. Pida uno nuevo desde la aplicación.',
    { errors: [{ path: 'body.token', message: 'Código no válido o vencido.' }] },
  );

/** Uses a token once: the one caller that wins gets its user id; anyone else, a 400. */
async function useToken(deps: AccountDeps, token: string, purpose: AccountTokenPurpose): Promise<UserWithCredentials> {
  const now = deps.clock.now();
  const record = await findAccountToken(deps.db, token, purpose);
  if (!record || record.usedAt || record.expiresAt <= now) throw invalidToken();
  const user = await findUserById(deps.db, record.userId);
  if (!user || user.deletedAt) throw invalidToken();
  if (!(await useAccountToken(deps.db, record.id, now))) throw invalidToken();
  return user;
}

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

// ---- Email verification ----

/** POST /auth/verify-email: the emailed code proves the address; the user, now verified. */
export async function verifyEmail(deps: AccountDeps, token: string): Promise<UserJson> {
  const user = await useToken(deps, token, 'VERIFY_EMAIL');
  await markEmailVerified(deps.db, user.id, deps.clock.now());
  return userToJson({ ...user, emailVerifiedAt: user.emailVerifiedAt ?? deps.clock.now() });
}

/** POST /auth/verify-email/resend: a new verification email, within a per-user hourly quota. */
export async function resendVerification(deps: AccountDeps, userId: string): Promise<void> {
  const user = await activeUser(deps, userId);
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
  const user = await activeUser(deps, caller.id);
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
  const user = await useToken(deps, input.token, 'PASSWORD_RESET');
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

// ---- Profile ----

/** PATCH /me: name and phone, with registration's rules (the email is not changed here). */
export async function updateMe(
  deps: AccountDeps,
  userId: string,
  changes: { fullName?: string; phone?: string | null },
): Promise<UserJson> {
  await activeUser(deps, userId);
  await updateProfile(deps.db, userId, changes, deps.clock.now());
  return userToJson(await activeUser(deps, userId));
}

async function activeUser(deps: Pick<AccountDeps, 'db'>, userId: string): Promise<UserWithCredentials> {
  const user = await findUserById(deps.db, userId);
  if (!user || user.deletedAt) throw new AppError('USER_NOT_FOUND', 'El usuario de este token ya no existe.');
  return user;
}

// ---- Habeas data ----

const emailDeliveryExportSchema = z.object({
  kind: z.string(),
  status: z.string(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
});

export const personalDataSchema = z
  .object({
    exportedAt: z.string(),
    user: userJsonSchema,
    consents: z.array(consentJsonSchema),
    contracts: z.array(followedContractJsonSchema),
    coupons: z.array(couponListItemSchema),
    transactions: z.array(transactionJsonSchema),
    notifications: z.array(notificationJsonSchema),
    emailDeliveries: z.array(emailDeliveryExportSchema),
  })
  .meta({ id: 'PersonalData' });
export type PersonalData = z.infer<typeof personalDataSchema>;

/** Every page of a list the API serves, in the same shapes. */
async function allPages<T>(page: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const next = await page(cursor);
    items.push(...next.items);
    cursor = next.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

const EXPORT_PAGE = 200;

/** GET /me/export: all the personal data held about the caller, in the API's own shapes. */
export async function exportMe(deps: AccountDeps, userId: string): Promise<PersonalData> {
  await enforceRateLimit(deps, {
    bucket: `export:user:${userId}`,
    max: 10,
    windowMs: 3600_000,
    detail: 'Puede descargar sus datos hasta 10 veces por hora.',
  });
  const user = await activeUser(deps, userId);
  const limit = EXPORT_PAGE;
  return {
    exportedAt: deps.clock.now().toISOString(),
    user: userToJson(user),
    consents: (await consentsOf(deps.db, userId)).map(consentToJson),
    contracts: (await invoices.contracts(deps, userId)).items,
    coupons: await allPages((cursor) => coupons.list(deps, userId, { cursor, limit })),
    transactions: await allPages((cursor) => payments.list(deps, userId, { cursor, limit })),
    notifications: await allPages((cursor) => notifications.list(deps, userId, { cursor, limit })),
    emailDeliveries: (await emailDeliveriesOf(deps.db, userId)).map((d) => ({
      kind: d.kind,
      status: d.status,
      createdAt: d.createdAt.toISOString(),
      sentAt: d.sentAt?.toISOString() ?? null,
    })),
  };
}

/**
 * DELETE /me: the password confirms it; then, in one transaction, the person is anonymised (see
 * anonymiseUser), every session ends, what only served them (notifications, contracts followed,
 * unused tokens) is deleted, and the deletion is audited. Coupons, invoices and transactions stay
 * under the pseudonym for accounting. Operators are removed by an administrator, not this way.
 */
export async function deleteMe(deps: AccountDeps, userId: string, password: string): Promise<void> {
  await enforceRateLimit(deps, {
    bucket: `delete-account:user:${userId}`,
    max: deps.config.auth.maxFailures * 2,
    windowMs: deps.config.auth.failureWindowMinutes * 60_000,
    detail: 'Demasiados intentos. Espere e intente de nuevo.',
  });
  const user = await activeUser(deps, userId);
  if (user.role !== 'customer')
    throw new AppError(
      'ACCOUNT_NOT_DELETABLE',
      'Las cuentas de operador se retiran por el administrador, no desde aquí.',
    );
  if (!(await verifyPassword(password, user.passwordHash)))
    throw new AppError('INVALID_CURRENT_PASSWORD', 'La contraseña no es correcta.', {
      errors: [{ path: 'body.password', message: 'Contraseña incorrecta.' }],
    });
  // A hash of random bytes nobody knows: no password opens the account again.
  const unusableHash = await hashPassword(randomBytes(32).toString('base64'), deps.config.auth.bcryptCost);
  const now = deps.clock.now();
  await inTransaction(deps.db, async (tx) => {
    await anonymiseUser(tx, userId, unusableHash, now);
    await revokeUserSessions(tx, userId, 'account-deleted', now);
    await useAllAccountTokens(tx, userId, 'VERIFY_EMAIL', now);
    await useAllAccountTokens(tx, userId, 'PASSWORD_RESET', now);
    await deleteNotificationsOf(tx, userId);
    await unfollowAllContracts(tx, userId);
    await deleteInvoiceNoticesOf(tx, userId);
    await deleteIdempotencyKeysOf(tx, userId);
    await insertAudit(tx, {
      actorId: userId,
      action: 'ACCOUNT_DELETED',
      subjectType: 'user',
      subjectId: userId,
      // No personal data in the log: what was kept, not who it was.
      details: { kept: ['coupons', 'transactions', 'consents'], policyVersion: PRIVACY_POLICY.version },
      now,
    });
  });
  forgetRevoked(deps, { userId });
}

// ---- The account-emails consumer ----

export type AccountEmailDeps = AccountDeps & { email: EmailSender };

const TOKEN_OF: Partial<Record<AccountEmailMessage['kind'], { purpose: AccountTokenPurpose; page: string }>> = {
  'verify-email': { purpose: 'VERIFY_EMAIL', page: 'cuenta/verificar-correo' },
  'password-reset': { purpose: 'PASSWORD_RESET', page: 'cuenta/restablecer-contrasena' },
};

/**
 * Sends one account email once (the same delivery claim as invoice emails). A reset for an
 * address with no account, or any email of an account deleted meanwhile, sends nothing. The
 * token's row is stored here, from the message id, so a retry stores nothing new and sends the
 * same code; it expires counted from the request, not from the send.
 */
export async function deliver(deps: AccountEmailDeps, raw: unknown): Promise<'sent' | 'duplicate' | 'skipped'> {
  const message = parseMessage(accountEmailMessageSchema, raw);
  const user = message.userId
    ? await findUserById(deps.db, message.userId)
    : await findUserByEmail(deps.db, message.email);
  if (!user || user.deletedAt || (message.kind === 'verify-email' && user.emailVerifiedAt)) {
    await outbox.confirmDelivered(deps, message.messageId);
    return 'skipped';
  }
  const occurredAt = new Date(message.occurredAt);
  const tokenRule = TOKEN_OF[message.kind];
  let token: { value: string; url: string; expiresAt: Date } | undefined;
  if (tokenRule) {
    const value = accountTokenFor(tokenKey(deps.config), tokenRule.purpose, message.messageId);
    await storeAccountToken(deps.db, {
      id: message.messageId,
      userId: user.id,
      purpose: tokenRule.purpose,
      value,
      createdAt: occurredAt,
    });
    token = {
      value,
      // In the fragment: browsers don't send it to servers, so it stays out of access logs and Referer.
      url: `${deps.config.email.frontendUrl}/${tokenRule.page}#token=${value}`,
      expiresAt: new Date(occurredAt.getTime() + ACCOUNT_TOKEN_TTL_MS[tokenRule.purpose]),
    };
  }

  const content = renderAccountEmail({
    kind: message.kind,
    fullName: message.fullName ?? user.fullName,
    occurredAt,
    token,
    via: message.via,
  });
  return sendOnce(deps, { messageId: message.messageId, userId: user.id, kind: message.kind }, () =>
    Promise.resolve({
      messageId: message.messageId,
      to: { address: message.email, displayName: message.fullName ?? user.fullName },
      ...content,
      attachments: [],
    }),
  );
}
