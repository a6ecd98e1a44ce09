import type { Knex } from 'knex';

import { ascii, time, uid } from './columns';

/**
 * Accounts a person can live with (Ley 1581 de 2012):
 * - users gain `email_verified_at` and `deleted_at` (an anonymised person: the row stays, under a
 *   pseudonym, for the invoices and transactions accounting must keep);
 * - `consents`: the privacy-policy version each person accepted, and when;
 * - `account_tokens`: email-verification and password-reset tokens, stored only as their SHA-256,
 *   single use (`used_at`) and with an expiry;
 * - email deliveries gain the account emails' kinds.
 */
export const name = '0009_accounts';

export const ACCOUNT_TOKEN_PURPOSES = ['VERIFY_EMAIL', 'PASSWORD_RESET'];
const INVOICE_EMAIL_KINDS = ['invoice', 'receipt', 'reversal'];
export const ACCOUNT_EMAIL_KINDS = ['verify-email', 'password-reset', 'password-changed'];

const kindCheck = (kinds: string[]) => `kind IN (${kinds.map((k) => `'${k}'`).join(', ')})`;

export function up(knex: Knex): Knex.SchemaBuilder {
  return (
    knex.schema
      // One column per ALTER TABLE: Babelfish, the test engine, refuses a list (Azure SQL takes both).
      .alterTable('users', (t) => {
        time(t, 'email_verified_at').nullable();
      })
      .alterTable('users', (t) => {
        time(t, 'deleted_at').nullable();
      })
      .createTable('consents', (t) => {
        uid(t).notNullable().primary('pk_consents');
        uid(t, 'user_id').notNullable().references('id').inTable('users').withKeyName('fk_consents_user');
        ascii(t, 'policy_version', 20).notNullable();
        time(t, 'accepted_at').notNullable();
        t.index(['user_id', 'accepted_at'], 'ix_consents_user');
      })
      .createTable('account_tokens', (t) => {
        uid(t).notNullable().primary('pk_account_tokens');
        uid(t, 'user_id').notNullable().references('id').inTable('users').withKeyName('fk_account_tokens_user');
        ascii(t, 'purpose', 20).notNullable().checkIn(ACCOUNT_TOKEN_PURPOSES, 'ck_account_tokens_purpose');
        ascii(t, 'token_hash', 64).notNullable().unique({ indexName: 'uq_account_tokens_hash' });
        time(t, 'created_at').notNullable();
        time(t, 'expires_at').notNullable();
        time(t, 'used_at').nullable();
        t.check('?? > ??', ['expires_at', 'created_at'], 'ck_account_tokens_expiry');
        t.index(['user_id', 'purpose'], 'ix_account_tokens_user');
        t.index(['expires_at'], 'ix_account_tokens_expires');
      })
      .alterTable('email_deliveries', (t) => {
        t.dropChecks(['ck_email_deliveries_kind']);
      })
      .alterTable('email_deliveries', (t) => {
        t.check(kindCheck([...INVOICE_EMAIL_KINDS, ...ACCOUNT_EMAIL_KINDS]), [], 'ck_email_deliveries_kind');
      })
  );
}

export function down(knex: Knex): Knex.SchemaBuilder {
  return knex.schema
    .alterTable('email_deliveries', (t) => {
      t.dropChecks(['ck_email_deliveries_kind']);
    })
    .alterTable('email_deliveries', (t) => {
      t.check(kindCheck(INVOICE_EMAIL_KINDS), [], 'ck_email_deliveries_kind');
    })
    .dropTableIfExists('account_tokens')
    .dropTableIfExists('consents')
    .alterTable('users', (t) => {
      t.dropColumn('deleted_at');
    })
    .alterTable('users', (t) => {
      t.dropColumn('email_verified_at');
    });
}
