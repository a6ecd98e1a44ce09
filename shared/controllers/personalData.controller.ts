import { randomBytes } from 'node:crypto';

import { z } from 'zod';

import { inTransaction } from '../clients/sql.client';
import { AppError } from '../errors';
import { useAllAccountTokens } from '../models/accountToken.model';
import { insertAudit } from '../models/audit.model';
import { consentJsonSchema, consentsOf, consentToJson } from '../models/consent.model';
import { followedContractJsonSchema, unfollowAllContracts } from '../models/contract.model';
import { couponListItemSchema } from '../models/coupon.model';
import { emailDeliveriesOf } from '../models/emailDelivery.model';
import { deleteIdempotencyKeysOf } from '../models/idempotency.model';
import { deleteInvoiceNoticesOf } from '../models/invoiceNotice.model';
import { deleteNotificationsOf, notificationJsonSchema } from '../models/notification.model';
import type { Page } from '../models/pagination';
import { hashPassword, verifyPassword } from '../models/password';
import { revokeUserSessions } from '../models/session.model';
import { forgetRevoked } from '../models/sessionCache';
import { enforceRateLimit } from '../models/throttle';
import { transactionJsonSchema } from '../models/transaction.model';
import { anonymiseUser, requireActiveUser, userJsonSchema, userToJson } from '../models/user.model';
import type { AccountDeps } from '../services';
import { PRIVACY_POLICY } from '../views/privacyPolicy';
import * as coupons from './coupon.controller';
import * as invoices from './invoice.controller';
import * as notifications from './notification.controller';
import * as payments from './payment.controller';

/** Habeas data (Ley 1581 de 2012): all a person's data handed over, and the account forgotten on request. */

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
  const user = await requireActiveUser(deps.db, userId);
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
  const user = await requireActiveUser(deps.db, userId);
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
