import type { Knex } from 'knex';

import { ascii, money, time, uid } from './columns';

/**
 * The schema a DBA signs for Azure SQL, applied over 0001 with the data kept:
 * - keys are `uniqueidentifier` (16 bytes instead of 72 of nvarchar(36)); the app makes them as
 *   COMB UUIDs (shared/models/ids.ts), so the clustered primary keys grow at the end;
 * - codes and enums are `varchar` (ASCII); names, addresses and texts stay `nvarchar`;
 * - times are `datetime2(3)`, the milliseconds a JavaScript Date holds (0001 got datetime2(7));
 * - money is `bigint` whole pesos with a CHECK up to 999,999,999,999 (the largest amount a bank
 *   collection record can carry), which also keeps every value exact in JavaScript;
 * - cross-column CHECKs: PAID ⇔ paid_at, ACTIVE ⇔ no closed_at, SENT ⇔ sent_at, a payment reverses
 *   nothing and a reversal one payment, the period is YYYY-MM, dates in order;
 * - indexes for the purge and sweep paths (outbox dispatched_at, sessions and refresh tokens
 *   expires_at, rate-limit windows). docs/database.md lists every index and the query it serves.
 *
 * How: each table is copied aside (SELECT INTO / CREATE TABLE AS), dropped, created anew with the
 * same columns in the same order, and filled back from its copy, all in the migration's one
 * transaction. The copies carry no constraints, so the new tables keep the constraint names.
 */
export const name = '0002_dba_schema';

/** The tables of 0001, parents before children: creation order (drops go the other way). */
export const TABLES = [
  'users',
  'sessions',
  'refresh_tokens',
  'rate_limits',
  'contracts',
  'invoices',
  'user_contracts',
  'coupons',
  'transactions',
  'notifications',
  'idempotency_keys',
  'outbox',
  'email_deliveries',
] as const;

const DOCUMENT_TYPES = ['CC', 'CE', 'NIT', 'PA', 'TI'];
function isTsql(knex: Knex): boolean {
  return (knex.client as { config: { client: string } }).config.client === 'mssql';
}

/** `YYYY-MM` with a real month; T-SQL has LIKE character classes, SQLite has GLOB. */
function periodCheck(knex: Knex): string {
  return isTsql(knex)
    ? "[period] LIKE '[12][0-9][0-9][0-9]-[01][0-9]' AND SUBSTRING([period], 6, 2) BETWEEN '01' AND '12'"
    : "period GLOB '[12][0-9][0-9][0-9]-[01][0-9]' AND substr(period, 6, 2) BETWEEN '01' AND '12'";
}

/** The tables as a DBA would sign them; same columns, same order as 0001. */
export function createTables(knex: Knex, schema: Knex.SchemaBuilder): Knex.SchemaBuilder {
  return schema
    .createTable('users', (t) => {
      uid(t).notNullable().primary('pk_users');
      t.string('email', 254).notNullable().unique({ indexName: 'uq_users_email' });
      ascii(t, 'password_hash', 100).notNullable();
      t.string('full_name', 120).notNullable();
      ascii(t, 'document_type', 3).notNullable().checkIn(DOCUMENT_TYPES, 'ck_users_document_type');
      ascii(t, 'document_number', 20).notNullable();
      ascii(t, 'phone', 20).nullable();
      ascii(t, 'role', 10).notNullable().defaultTo('customer').checkIn(['customer', 'operator'], 'ck_users_role');
      t.integer('failed_logins').notNullable().defaultTo(0);
      time(t, 'failed_logins_since').nullable();
      time(t, 'locked_until').nullable();
      time(t, 'created_at').notNullable();
      time(t, 'updated_at').notNullable();
      t.unique(['document_type', 'document_number'], { indexName: 'uq_users_document' });
    })
    .createTable('sessions', (t) => {
      uid(t).notNullable().primary('pk_sessions');
      uid(t, 'user_id').notNullable().references('id').inTable('users').withKeyName('fk_sessions_user');
      time(t, 'created_at').notNullable();
      time(t, 'expires_at').notNullable();
      time(t, 'revoked_at').nullable();
      ascii(t, 'revoked_reason', 30).nullable();
      t.check('?? > ??', ['expires_at', 'created_at'], 'ck_sessions_expiry');
      t.index(['user_id'], 'ix_sessions_user');
      t.index(['expires_at'], 'ix_sessions_expires');
    })
    .createTable('refresh_tokens', (t) => {
      uid(t).notNullable().primary('pk_refresh_tokens');
      uid(t, 'session_id').notNullable().references('id').inTable('sessions').withKeyName('fk_refresh_tokens_session');
      ascii(t, 'token_hash', 64).notNullable().unique({ indexName: 'uq_refresh_tokens_hash' });
      time(t, 'created_at').notNullable();
      time(t, 'expires_at').notNullable();
      time(t, 'used_at').nullable();
      t.index(['session_id'], 'ix_refresh_tokens_session');
      t.index(['expires_at'], 'ix_refresh_tokens_expires');
    })
    .createTable('rate_limits', (t) => {
      t.string('bucket', 200).notNullable();
      time(t, 'window_start').notNullable();
      t.integer('hits').notNullable().checkPositive('ck_rate_limits_hits');
      t.primary(['bucket', 'window_start'], 'pk_rate_limits');
      t.index(['window_start'], 'ix_rate_limits_window');
    })
    .createTable('contracts', (t) => {
      uid(t).notNullable().primary('pk_contracts');
      ascii(t, 'number', 12).notNullable().unique({ indexName: 'uq_contracts_number' });
      t.string('holder_name', 120).notNullable();
      ascii(t, 'holder_document_type', 3).notNullable().checkIn(DOCUMENT_TYPES, 'ck_contracts_holder_document_type');
      ascii(t, 'holder_document_number', 20).notNullable();
      t.string('address', 200).notNullable();
      t.string('city', 60).notNullable();
      t.integer('stratum').notNullable().checkBetween([1, 6], 'ck_contracts_stratum');
      t.string('services', 60).notNullable();
      time(t, 'created_at').notNullable();
    })
    .createTable('invoices', (t) => {
      uid(t).notNullable().primary('pk_invoices');
      uid(t, 'contract_id').notNullable().references('id').inTable('contracts').withKeyName('fk_invoices_contract');
      ascii(t, 'number', 20).notNullable().unique({ indexName: 'uq_invoices_number' });
      ascii(t, 'period', 7).notNullable();
      t.date('issue_date').notNullable();
      t.date('due_date').notNullable();
      money(t, 'amount', 'ck_invoices_amount');
      ascii(t, 'status', 10).notNullable().checkIn(['UNPAID', 'PAID'], 'ck_invoices_status');
      time(t, 'paid_at').nullable();
      time(t, 'created_at').notNullable();
      time(t, 'updated_at').notNullable();
      t.check(periodCheck(knex), [], 'ck_invoices_period');
      t.check('?? >= ??', ['due_date', 'issue_date'], 'ck_invoices_dates');
      t.check(
        "(?? = 'PAID' AND ?? IS NOT NULL) OR (?? = 'UNPAID' AND ?? IS NULL)",
        ['status', 'paid_at', 'status', 'paid_at'],
        'ck_invoices_paid_at',
      );
      t.index(['contract_id', 'period'], 'ix_invoices_contract_period');
    })
    .createTable('user_contracts', (t) => {
      uid(t, 'user_id').notNullable().references('id').inTable('users').withKeyName('fk_user_contracts_user');
      uid(t, 'contract_id')
        .notNullable()
        .references('id')
        .inTable('contracts')
        .withKeyName('fk_user_contracts_contract');
      time(t, 'first_seen_at').notNullable();
      t.primary(['user_id', 'contract_id'], 'pk_user_contracts');
      t.index(['contract_id'], 'ix_user_contracts_contract');
    })
    .createTable('coupons', (t) => {
      uid(t).notNullable().primary('pk_coupons');
      ascii(t, 'code', 16).notNullable().unique({ indexName: 'uq_coupons_code' });
      uid(t, 'user_id').notNullable().references('id').inTable('users').withKeyName('fk_coupons_user');
      uid(t, 'invoice_id').notNullable().references('id').inTable('invoices').withKeyName('fk_coupons_invoice');
      money(t, 'amount', 'ck_coupons_amount');
      ascii(t, 'status', 10).notNullable().checkIn(['ACTIVE', 'USED', 'EXPIRED', 'CANCELLED'], 'ck_coupons_status');
      time(t, 'issued_at').notNullable();
      time(t, 'expires_at').notNullable();
      time(t, 'closed_at').nullable();
      time(t, 'expiry_warned_at').nullable();
      t.check('?? > ??', ['expires_at', 'issued_at'], 'ck_coupons_validity');
      t.check(
        "(?? = 'ACTIVE' AND ?? IS NULL) OR (?? <> 'ACTIVE' AND ?? IS NOT NULL)",
        ['status', 'closed_at', 'status', 'closed_at'],
        'ck_coupons_closed_at',
      );
      // At most one ACTIVE coupon per user and invoice, enforced by the database itself.
      t.unique(['user_id', 'invoice_id'], {
        indexName: 'uq_coupons_active_user_invoice',
        predicate: knex.whereRaw("status = 'ACTIVE'"),
      });
      t.index(['user_id', 'issued_at', 'id'], 'ix_coupons_user_issued');
      t.index(['user_id', 'status', 'issued_at'], 'ix_coupons_user_status');
      t.index(['expires_at'], 'ix_coupons_active_expiry', { predicate: knex.whereRaw("status = 'ACTIVE'") });
      t.index(['invoice_id', 'status'], 'ix_coupons_invoice_status');
    })
    .createTable('transactions', (t) => {
      uid(t).notNullable().primary('pk_transactions');
      ascii(t, 'type', 10).notNullable().checkIn(['PAYMENT', 'REVERSAL'], 'ck_transactions_type');
      uid(t, 'invoice_id').notNullable().references('id').inTable('invoices').withKeyName('fk_transactions_invoice');
      uid(t, 'coupon_id').nullable().references('id').inTable('coupons').withKeyName('fk_transactions_coupon');
      uid(t, 'user_id').notNullable().references('id').inTable('users').withKeyName('fk_transactions_user');
      uid(t, 'actor_id').notNullable().references('id').inTable('users').withKeyName('fk_transactions_actor');
      money(t, 'amount', 'ck_transactions_amount');
      ascii(t, 'payment_method', 10).nullable().checkIn(['PSE', 'CARD', 'CASH'], 'ck_transactions_method');
      // A payment is reversed at most once: the reversal row points at it, uniquely.
      uid(t, 'reverses_id').nullable().references('id').inTable('transactions').withKeyName('fk_transactions_reverses');
      t.string('reason', 300).nullable();
      time(t, 'created_at').notNullable();
      t.check(
        "(?? = 'PAYMENT' AND ?? IS NULL) OR (?? = 'REVERSAL' AND ?? IS NOT NULL)",
        ['type', 'reverses_id', 'type', 'reverses_id'],
        'ck_transactions_reverses',
      );
      t.unique(['reverses_id'], { indexName: 'uq_transactions_reverses', predicate: knex.whereNotNull('reverses_id') });
      t.index(['user_id', 'created_at', 'id'], 'ix_transactions_user_created');
      t.index(['invoice_id'], 'ix_transactions_invoice');
    })
    .createTable('notifications', (t) => {
      uid(t).notNullable().primary('pk_notifications');
      uid(t, 'user_id').notNullable().references('id').inTable('users').withKeyName('fk_notifications_user');
      ascii(t, 'kind', 40).notNullable();
      t.string('title', 120).notNullable();
      t.string('body', 500).notNullable();
      ascii(t, 'source_message_id', 64).nullable();
      time(t, 'created_at').notNullable();
      time(t, 'read_at').nullable();
      t.unique(['source_message_id'], {
        indexName: 'uq_notifications_message',
        predicate: knex.whereNotNull('source_message_id'),
      });
      t.index(['user_id', 'created_at', 'id'], 'ix_notifications_user_created');
      t.index(['user_id'], 'ix_notifications_user_unread', { predicate: knex.whereNull('read_at') });
    })
    .createTable('idempotency_keys', (t) => {
      uid(t, 'user_id').notNullable().references('id').inTable('users').withKeyName('fk_idempotency_keys_user');
      ascii(t, 'idempotency_key', 255).notNullable();
      ascii(t, 'request_hash', 64).notNullable();
      ascii(t, 'status', 12).notNullable().checkIn(['IN_PROGRESS', 'COMPLETED'], 'ck_idempotency_keys_status');
      t.integer('response_status').nullable();
      t.text('response_body').nullable();
      time(t, 'created_at').notNullable();
      time(t, 'locked_until').notNullable();
      time(t, 'expires_at').notNullable();
      t.check(
        "(?? = 'IN_PROGRESS' AND ?? IS NULL) OR (?? = 'COMPLETED' AND ?? IS NOT NULL)",
        ['status', 'response_status', 'status', 'response_status'],
        'ck_idempotency_keys_response',
      );
      t.primary(['user_id', 'idempotency_key'], 'pk_idempotency_keys');
      t.index(['expires_at'], 'ix_idempotency_keys_expires');
    })
    .createTable('outbox', (t) => {
      uid(t).notNullable().primary('pk_outbox');
      ascii(t, 'queue', 63).notNullable();
      t.text('body').notNullable();
      time(t, 'created_at').notNullable();
      time(t, 'available_at').notNullable();
      t.integer('attempts').notNullable().defaultTo(0);
      time(t, 'dispatched_at').nullable();
      t.string('last_error', 500).nullable();
      t.index(['available_at'], 'ix_outbox_pending', { predicate: knex.whereNull('dispatched_at') });
      t.index(['dispatched_at'], 'ix_outbox_dispatched', { predicate: knex.whereNotNull('dispatched_at') });
    })
    .createTable('email_deliveries', (t) => {
      ascii(t, 'message_id', 64).primary('pk_email_deliveries');
      uid(t, 'user_id').notNullable().references('id').inTable('users').withKeyName('fk_email_deliveries_user');
      ascii(t, 'kind', 20).notNullable().checkIn(['invoice', 'receipt', 'reversal'], 'ck_email_deliveries_kind');
      ascii(t, 'status', 10).notNullable().checkIn(['PENDING', 'SENT'], 'ck_email_deliveries_status');
      t.string('provider_id', 200).nullable();
      time(t, 'created_at').notNullable();
      time(t, 'locked_until').notNullable();
      time(t, 'sent_at').nullable();
      t.check(
        "(?? = 'SENT' AND ?? IS NOT NULL) OR (?? = 'PENDING' AND ?? IS NULL)",
        ['status', 'sent_at', 'status', 'sent_at'],
        'ck_email_deliveries_sent_at',
      );
      t.index(['user_id', 'created_at'], 'ix_email_deliveries_user_created');
    });
}

const aside = (table: string) => `_0001_${table}`;

export function up(knex: Knex): Knex.SchemaBuilder {
  const q = (table: string) => (isTsql(knex) ? `[${table}]` : `"${table}"`);
  let schema = knex.schema;
  for (const table of TABLES) {
    schema = schema.raw(
      isTsql(knex)
        ? `SELECT * INTO ${q(aside(table))} FROM ${q(table)}`
        : `CREATE TABLE ${q(aside(table))} AS SELECT * FROM ${q(table)}`,
    );
  }
  for (const table of [...TABLES].reverse()) schema = schema.dropTable(table);
  schema = createTables(knex, schema);
  // Same columns in the same order: the copy goes back with SELECT *, converting types on the way.
  for (const table of TABLES) schema = schema.raw(`INSERT INTO ${q(table)} SELECT * FROM ${q(aside(table))}`);
  for (const table of TABLES) schema = schema.dropTable(aside(table));
  return schema;
}

export function down(knex: Knex): Knex.SchemaBuilder {
  // Only types and constraints changed: going back keeps the stricter tables, and 0001's down()
  // drops them.
  return knex.schema;
}
