import type { EmailSender } from '../clients/email.client';
import { sendOnce } from '../emailDelivery';
import {
  ACCOUNT_TOKEN_TTL_MS,
  accountTokenFor,
  accountTokenKey,
  type AccountTokenPurpose,
  storeAccountToken,
} from '../models/accountToken.model';
import { type AccountEmailMessage, accountEmailMessageSchema } from '../models/message.model';
import { findUserByEmail, findUserById } from '../models/user.model';
import * as outbox from '../outbox';
import { parseMessage } from '../queueConsumer';
import type { AccountDeps } from '../services';
import { renderAccountEmail } from '../views/accountEmails';

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
    const value = accountTokenFor(accountTokenKey(deps.config.jwt.signingKey), tokenRule.purpose, message.messageId);
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
