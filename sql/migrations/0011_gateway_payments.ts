import type { Knex } from 'knex';

import { ascii, money, time, uid } from './columns';

/**
 * Online payments confirmed by the gateway (docs/payments.md):
 * - `payments`: one gateway transaction for 1–10 invoices, PENDING until the gateway's signed word;
 * - `payment_items`: its invoices and coupons; an invoice is in at most one PENDING payment at a
 *   time (the filtered unique index: two payments racing for one invoice serialise there);
 * - `payment_events`: every event received, valid or not for us, stored once by its checksum;
 * - `payment_exceptions`: money the gateway took that paid nothing (an invoice paid meanwhile,
 *   another amount), for the operator;
 * - `sandbox_transactions`: the embedded Wompi-compatible sandbox's own ledger;
 * - transactions carry the payment and the gateway's transaction id, and the new methods.
 */
export const name = '0011_gateway_payments';

const PAYMENT_STATUSES = ['PENDING', 'APPROVED', 'DECLINED', 'VOIDED', 'ERROR', 'EXPIRED'];
const GATEWAY_METHODS = ['PSE', 'CARD', 'NEQUI', 'BANCOLOMBIA_TRANSFER'];
const TRANSACTION_METHODS = ['PSE', 'CARD', 'CASH', 'BANK', 'NEQUI', 'BANCOLOMBIA_TRANSFER'];
const inList = (column: string, values: string[]) => `${column} IN (${values.map((v) => `'${v}'`).join(', ')})`;

export function up(knex: Knex): Knex.SchemaBuilder {
  return (
    knex.schema
      .createTable('payments', (t) => {
        uid(t).notNullable().primary('pk_payments');
        ascii(t, 'reference', 40).notNullable().unique({ indexName: 'uq_payments_reference' });
        uid(t, 'user_id').nullable().references('id').inTable('users').withKeyName('fk_payments_user');
        ascii(t, 'status', 10).notNullable().checkIn(PAYMENT_STATUSES, 'ck_payments_status');
        money(t, 'amount', 'ck_payments_amount');
        ascii(t, 'currency', 3).notNullable();
        ascii(t, 'payment_method', 24).notNullable().checkIn(GATEWAY_METHODS, 'ck_payments_method');
        time(t, 'expires_at').notNullable();
        time(t, 'created_at').notNullable();
        time(t, 'finished_at').nullable();
        ascii(t, 'gateway_transaction_id', 100).nullable();
        t.string('decline_reason', 300).nullable();
        t.index(['user_id', 'created_at'], 'ix_payments_user');
        // The reconciliation timer's work list: what is still waiting for the gateway.
        t.index(['created_at'], 'ix_payments_pending', { predicate: knex.whereRaw("status = 'PENDING'") });
      })
      .createTable('payment_items', (t) => {
        uid(t, 'payment_id').notNullable().references('id').inTable('payments').withKeyName('fk_payment_items_payment');
        uid(t, 'invoice_id').notNullable().references('id').inTable('invoices').withKeyName('fk_payment_items_invoice');
        uid(t, 'coupon_id').notNullable().references('id').inTable('coupons').withKeyName('fk_payment_items_coupon');
        money(t, 'amount', 'ck_payment_items_amount');
        t.boolean('pending').notNullable().defaultTo(true);
        t.primary(['payment_id', 'invoice_id'], 'pk_payment_items');
        t.unique(['invoice_id'], {
          indexName: 'uq_payment_items_pending_invoice',
          predicate: knex.whereRaw('pending = 1'),
        });
      })
      .createTable('payment_events', (t) => {
        uid(t).notNullable().primary('pk_payment_events');
        ascii(t, 'checksum', 64).notNullable().unique({ indexName: 'uq_payment_events_checksum' });
        ascii(t, 'gateway_transaction_id', 100).notNullable();
        ascii(t, 'reference', 100).notNullable();
        ascii(t, 'status', 10).notNullable();
        t.bigInteger('amount_in_cents').notNullable();
        ascii(t, 'currency', 10).notNullable();
        t.text('payload').notNullable();
        uid(t, 'payment_id').nullable().references('id').inTable('payments').withKeyName('fk_payment_events_payment');
        ascii(t, 'outcome', 24).nullable();
        time(t, 'received_at').notNullable();
        t.index(['reference'], 'ix_payment_events_reference');
      })
      .createTable('payment_exceptions', (t) => {
        uid(t).notNullable().primary('pk_payment_exceptions');
        uid(t, 'payment_id')
          .notNullable()
          .references('id')
          .inTable('payments')
          .withKeyName('fk_payment_exceptions_payment');
        uid(t, 'invoice_id')
          .nullable()
          .references('id')
          .inTable('invoices')
          .withKeyName('fk_payment_exceptions_invoice');
        ascii(t, 'outcome', 24)
          .notNullable()
          .checkIn(['ALREADY_PAID', 'AMOUNT_MISMATCH'], 'ck_payment_exceptions_outcome');
        t.bigInteger('amount_in_cents').notNullable();
        ascii(t, 'gateway_transaction_id', 100).notNullable();
        time(t, 'created_at').notNullable();
        time(t, 'resolved_at').nullable();
        uid(t, 'resolved_by')
          .nullable()
          .references('id')
          .inTable('users')
          .withKeyName('fk_payment_exceptions_resolver');
        t.string('resolution', 300).nullable();
        t.unique(['payment_id', 'invoice_id', 'outcome'], { indexName: 'uq_payment_exceptions' });
        t.index(['created_at'], 'ix_payment_exceptions_open', { predicate: knex.whereRaw('resolved_at IS NULL') });
      })
      .createTable('sandbox_transactions', (t) => {
        ascii(t, 'id', 40).notNullable().primary('pk_sandbox_transactions');
        ascii(t, 'reference', 100).notNullable();
        t.bigInteger('amount_in_cents').notNullable();
        ascii(t, 'currency', 3).notNullable();
        ascii(t, 'status', 10).notNullable();
        ascii(t, 'payment_method_type', 24).notNullable();
        t.string('redirect_url', 2048).notNullable();
        time(t, 'created_at').notNullable();
        time(t, 'finalized_at').nullable();
        t.index(['reference'], 'ix_sandbox_transactions_reference');
      })
      // BANCOLOMBIA_TRANSFER has 20 characters: the check goes first (SQL Server alters no column a
      // constraint depends on), the column is widened (nullable, as it was: Babelfish takes neither NULL
      // nor NOT NULL in an ALTER COLUMN), the check comes back.
      .alterTable('transactions', (t) => {
        t.dropChecks(['ck_transactions_method']);
      })
      .alterTable('transactions', (t) => {
        ascii(t, 'payment_method', 24).alter();
      })
      .alterTable('transactions', (t) => {
        t.check(inList('payment_method', TRANSACTION_METHODS), [], 'ck_transactions_method');
      })
      .alterTable('transactions', (t) => {
        uid(t, 'payment_id').nullable().references('id').inTable('payments').withKeyName('fk_transactions_payment');
      })
      .alterTable('transactions', (t) => {
        ascii(t, 'gateway_transaction_id', 100).nullable();
      })
  );
}

export function down(knex: Knex): Knex.SchemaBuilder {
  return knex.schema
    .alterTable('transactions', (t) => {
      t.dropColumn('gateway_transaction_id');
    })
    .alterTable('transactions', (t) => {
      t.dropForeign(['payment_id'], 'fk_transactions_payment');
    })
    .alterTable('transactions', (t) => {
      t.dropColumn('payment_id');
    })
    .alterTable('transactions', (t) => {
      t.dropChecks(['ck_transactions_method']);
    })
    .alterTable('transactions', (t) => {
      t.check(inList('payment_method', ['PSE', 'CARD', 'CASH', 'BANK']), [], 'ck_transactions_method');
    })
    .dropTable('sandbox_transactions')
    .dropTable('payment_exceptions')
    .dropTable('payment_events')
    .dropTable('payment_items')
    .dropTable('payments');
}
