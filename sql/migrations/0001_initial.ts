import type { Knex } from 'knex';

/**
 * The whole domain (docs/database.md). Written once with knex's schema builder: the runner applies it
 * to SQLite or Azure SQL, and scripts/generate-sql.ts renders the same definition as the
 * reviewed T-SQL script (sql/azure-sql-schema.sql), so the two cannot drift.
 *
 * Conventions: ids are 36-character strings (UUIDs made by the app, identical on both engines),
 * money is whole Colombian pesos in an integer, times are UTC datetime2(3), calendar days are dates.
 */
export const name = '0001_initial';

const id = (t: Knex.CreateTableBuilder, column = 'id') => t.string(column, 36);
const time = (t: Knex.CreateTableBuilder, column: string) => t.datetime(column, { precision: 3, useTz: false });

export function up(knex: Knex): Knex.SchemaBuilder {
  return knex.schema
    .createTable('users', (t) => {
      id(t).notNullable().primary('pk_users');
      t.string('email', 254).notNullable().unique({ indexName: 'uq_users_email' });
      t.string('password_hash', 100).notNullable();
      t.string('full_name', 120).notNullable();
      t.string('document_type', 3).notNullable().checkIn(['CC', 'CE', 'NIT', 'PA', 'TI'], 'ck_users_document_type');
      t.string('document_number', 20).notNullable();
      t.string('phone', 20).nullable();
      t.string('role', 10).notNullable().defaultTo('customer').checkIn(['customer', 'operator'], 'ck_users_role');
      t.integer('failed_logins').notNullable().defaultTo(0);
      time(t, 'failed_logins_since').nullable();
      time(t, 'locked_until').nullable();
      time(t, 'created_at').notNullable();
      time(t, 'updated_at').notNullable();
      t.unique(['document_type', 'document_number'], { indexName: 'uq_users_document' });
    })
    .createTable('sessions', (t) => {
      id(t).notNullable().primary('pk_sessions');
      id(t, 'user_id').notNullable().references('id').inTable('users').withKeyName('fk_sessions_user');
      time(t, 'created_at').notNullable();
      time(t, 'expires_at').notNullable();
      time(t, 'revoked_at').nullable();
      t.string('revoked_reason', 30).nullable();
      t.index(['user_id'], 'ix_sessions_user');
    })
    .createTable('refresh_tokens', (t) => {
      id(t).notNullable().primary('pk_refresh_tokens');
      id(t, 'session_id').notNullable().references('id').inTable('sessions').withKeyName('fk_refresh_tokens_session');
      t.string('token_hash', 64).notNullable().unique({ indexName: 'uq_refresh_tokens_hash' });
      time(t, 'created_at').notNullable();
      time(t, 'expires_at').notNullable();
      time(t, 'used_at').nullable();
      t.index(['session_id'], 'ix_refresh_tokens_session');
    })
    .createTable('rate_limits', (t) => {
      t.string('bucket', 200).notNullable();
      time(t, 'window_start').notNullable();
      t.integer('hits').notNullable();
      t.primary(['bucket', 'window_start'], 'pk_rate_limits');
    })
    .createTable('contracts', (t) => {
      id(t).notNullable().primary('pk_contracts');
      t.string('number', 12).notNullable().unique({ indexName: 'uq_contracts_number' });
      t.string('holder_name', 120).notNullable();
      t.string('holder_document_type', 3)
        .notNullable()
        .checkIn(['CC', 'CE', 'NIT', 'PA', 'TI'], 'ck_contracts_holder_document_type');
      t.string('holder_document_number', 20).notNullable();
      t.string('address', 200).notNullable();
      t.string('city', 60).notNullable();
      t.integer('stratum').notNullable().checkBetween([1, 6], 'ck_contracts_stratum');
      t.string('services', 60).notNullable();
      time(t, 'created_at').notNullable();
    })
    .createTable('invoices', (t) => {
      id(t).notNullable().primary('pk_invoices');
      id(t, 'contract_id').notNullable().references('id').inTable('contracts').withKeyName('fk_invoices_contract');
      t.string('number', 20).notNullable().unique({ indexName: 'uq_invoices_number' });
      t.string('period', 7).notNullable();
      t.date('issue_date').notNullable();
      t.date('due_date').notNullable();
      t.integer('amount').notNullable().checkPositive('ck_invoices_amount');
      t.string('status', 10).notNullable().checkIn(['UNPAID', 'PAID'], 'ck_invoices_status');
      time(t, 'paid_at').nullable();
      time(t, 'created_at').notNullable();
      time(t, 'updated_at').notNullable();
      t.index(['contract_id', 'period'], 'ix_invoices_contract_period');
    })
    .createTable('user_contracts', (t) => {
      id(t, 'user_id').notNullable().references('id').inTable('users').withKeyName('fk_user_contracts_user');
      id(t, 'contract_id')
        .notNullable()
        .references('id')
        .inTable('contracts')
        .withKeyName('fk_user_contracts_contract');
      time(t, 'first_seen_at').notNullable();
      t.primary(['user_id', 'contract_id'], 'pk_user_contracts');
    })
    .createTable('coupons', (t) => {
      id(t).notNullable().primary('pk_coupons');
      t.string('code', 16).notNullable().unique({ indexName: 'uq_coupons_code' });
      id(t, 'user_id').notNullable().references('id').inTable('users').withKeyName('fk_coupons_user');
      id(t, 'invoice_id').notNullable().references('id').inTable('invoices').withKeyName('fk_coupons_invoice');
      t.integer('amount').notNullable().checkPositive('ck_coupons_amount');
      t.string('status', 10).notNullable().checkIn(['ACTIVE', 'USED', 'EXPIRED', 'CANCELLED'], 'ck_coupons_status');
      time(t, 'issued_at').notNullable();
      time(t, 'expires_at').notNullable();
      time(t, 'closed_at').nullable();
      time(t, 'expiry_warned_at').nullable();
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
      id(t).notNullable().primary('pk_transactions');
      t.string('type', 10).notNullable().checkIn(['PAYMENT', 'REVERSAL'], 'ck_transactions_type');
      id(t, 'invoice_id').notNullable().references('id').inTable('invoices').withKeyName('fk_transactions_invoice');
      id(t, 'coupon_id').nullable().references('id').inTable('coupons').withKeyName('fk_transactions_coupon');
      id(t, 'user_id').notNullable().references('id').inTable('users').withKeyName('fk_transactions_user');
      id(t, 'actor_id').notNullable().references('id').inTable('users').withKeyName('fk_transactions_actor');
      t.integer('amount').notNullable().checkPositive('ck_transactions_amount');
      t.string('payment_method', 4).nullable().checkIn(['PSE', 'CARD', 'CASH'], 'ck_transactions_method');
      // A payment is reversed at most once: the reversal row points at it, uniquely.
      id(t, 'reverses_id').nullable().references('id').inTable('transactions').withKeyName('fk_transactions_reverses');
      t.string('reason', 300).nullable();
      time(t, 'created_at').notNullable();
      t.unique(['reverses_id'], { indexName: 'uq_transactions_reverses', predicate: knex.whereNotNull('reverses_id') });
      t.index(['user_id', 'created_at', 'id'], 'ix_transactions_user_created');
      t.index(['invoice_id'], 'ix_transactions_invoice');
    })
    .createTable('notifications', (t) => {
      id(t).notNullable().primary('pk_notifications');
      id(t, 'user_id').notNullable().references('id').inTable('users').withKeyName('fk_notifications_user');
      t.string('kind', 40).notNullable();
      t.string('title', 120).notNullable();
      t.string('body', 500).notNullable();
      t.string('source_message_id', 64).nullable();
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
      id(t, 'user_id').notNullable().references('id').inTable('users').withKeyName('fk_idempotency_keys_user');
      t.string('idempotency_key', 255).notNullable();
      t.string('request_hash', 64).notNullable();
      t.string('status', 12).notNullable().checkIn(['IN_PROGRESS', 'COMPLETED'], 'ck_idempotency_keys_status');
      t.integer('response_status').nullable();
      t.text('response_body').nullable();
      time(t, 'created_at').notNullable();
      time(t, 'locked_until').notNullable();
      time(t, 'expires_at').notNullable();
      t.primary(['user_id', 'idempotency_key'], 'pk_idempotency_keys');
      t.index(['expires_at'], 'ix_idempotency_keys_expires');
    })
    .createTable('outbox', (t) => {
      id(t).notNullable().primary('pk_outbox');
      t.string('queue', 63).notNullable();
      t.text('body').notNullable();
      time(t, 'created_at').notNullable();
      time(t, 'available_at').notNullable();
      t.integer('attempts').notNullable().defaultTo(0);
      time(t, 'dispatched_at').nullable();
      t.string('last_error', 500).nullable();
      t.index(['available_at'], 'ix_outbox_pending', { predicate: knex.whereNull('dispatched_at') });
    })
    .createTable('email_deliveries', (t) => {
      t.string('message_id', 64).primary('pk_email_deliveries');
      id(t, 'user_id').notNullable().references('id').inTable('users').withKeyName('fk_email_deliveries_user');
      t.string('kind', 20).notNullable().checkIn(['invoice', 'receipt', 'reversal'], 'ck_email_deliveries_kind');
      t.string('status', 10).notNullable().checkIn(['PENDING', 'SENT'], 'ck_email_deliveries_status');
      t.string('provider_id', 200).nullable();
      time(t, 'created_at').notNullable();
      time(t, 'locked_until').notNullable();
      time(t, 'sent_at').nullable();
      t.index(['user_id', 'created_at'], 'ix_email_deliveries_user_created');
    });
}

export function down(knex: Knex): Knex.SchemaBuilder {
  return [
    'email_deliveries',
    'outbox',
    'idempotency_keys',
    'notifications',
    'transactions',
    'coupons',
    'user_contracts',
    'invoices',
    'contracts',
    'rate_limits',
    'refresh_tokens',
    'sessions',
    'users',
  ].reduce((schema, table) => schema.dropTableIfExists(table), knex.schema);
}
