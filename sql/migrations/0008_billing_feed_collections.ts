import type { Knex } from 'knex';

import { ascii, time, uid } from './columns';

/**
 * The billing feed and the banks' collection files:
 * - `invoice_imports` (one row per CSV loaded, with its counts) and `invoice_import_errors` (the
 *   rejected lines, with their line number and reason, capped per import);
 * - `collection_files` (one per Asobancaria 2001 file, unique by content hash, with its header,
 *   its controls and what applying it did) and `collection_records` (one per detail record with
 *   its outcome; a record is applied once per bank + authorization + sequence);
 * - transactions gain the `BANK` payment method and the bank's authorization number.
 */
export const name = '0008_billing_feed_collections';

const SOURCES = ['CLI', 'BLOB', 'UPLOAD'];
export const COLLECTION_OUTCOMES = ['APPLIED', 'DUPLICATE', 'ALREADY_PAID', 'AMOUNT_MISMATCH', 'UNKNOWN_REFERENCE'];

export function up(knex: Knex): Knex.SchemaBuilder {
  return knex.schema
    .createTable('invoice_imports', (t) => {
      uid(t).notNullable().primary('pk_invoice_imports');
      ascii(t, 'source', 10).notNullable().checkIn(SOURCES, 'ck_invoice_imports_source');
      t.string('file_name', 260).notNullable();
      ascii(t, 'status', 12)
        .notNullable()
        .checkIn(['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED'], 'ck_invoice_imports_status');
      t.integer('lines').notNullable().defaultTo(0);
      t.integer('inserted').notNullable().defaultTo(0);
      t.integer('updated').notNullable().defaultTo(0);
      t.integer('unchanged').notNullable().defaultTo(0);
      t.integer('rejected').notNullable().defaultTo(0);
      t.string('error', 500).nullable();
      uid(t, 'created_by').nullable().references('id').inTable('users').withKeyName('fk_invoice_imports_user');
      time(t, 'created_at').notNullable();
      time(t, 'finished_at').nullable();
      t.index(['created_at', 'id'], 'ix_invoice_imports_created');
    })
    .createTable('invoice_import_errors', (t) => {
      uid(t, 'import_id')
        .notNullable()
        .references('id')
        .inTable('invoice_imports')
        .withKeyName('fk_invoice_import_errors_import');
      t.integer('line').notNullable();
      t.string('reason', 300).notNullable();
      t.primary(['import_id', 'line'], 'pk_invoice_import_errors');
    })
    .createTable('collection_files', (t) => {
      uid(t).notNullable().primary('pk_collection_files');
      ascii(t, 'content_hash', 64).notNullable().unique({ indexName: 'uq_collection_files_hash' });
      ascii(t, 'source', 10).notNullable().checkIn(SOURCES, 'ck_collection_files_source');
      t.string('file_name', 260).notNullable();
      ascii(t, 'status', 12)
        .notNullable()
        .checkIn(['QUEUED', 'APPLYING', 'COMPLETED', 'REJECTED'], 'ck_collection_files_status');
      t.string('error', 500).nullable();
      ascii(t, 'biller_nit', 10).nullable();
      ascii(t, 'bank_code', 3).nullable();
      ascii(t, 'account', 17).nullable();
      t.date('collection_date').nullable();
      // The file's own controls (2 implied decimals, as the bank wrote them).
      t.integer('record_count').notNullable().defaultTo(0);
      t.bigInteger('total_cents').notNullable().defaultTo(0);
      t.integer('applied').notNullable().defaultTo(0);
      t.bigInteger('applied_cents').notNullable().defaultTo(0);
      t.integer('duplicate').notNullable().defaultTo(0);
      t.integer('already_paid').notNullable().defaultTo(0);
      t.integer('amount_mismatch').notNullable().defaultTo(0);
      t.integer('unknown_reference').notNullable().defaultTo(0);
      uid(t, 'created_by').nullable().references('id').inTable('users').withKeyName('fk_collection_files_user');
      time(t, 'created_at').notNullable();
      time(t, 'finished_at').nullable();
      t.index(['created_at', 'id'], 'ix_collection_files_created');
    })
    .createTable('collection_records', (t) => {
      uid(t).notNullable().primary('pk_collection_records');
      uid(t, 'file_id')
        .notNullable()
        .references('id')
        .inTable('collection_files')
        .withKeyName('fk_collection_records_file');
      t.integer('line').notNullable();
      t.integer('batch_number').notNullable();
      ascii(t, 'bank_code', 3).notNullable();
      ascii(t, 'authorization_number', 6).notNullable();
      ascii(t, 'sequence_number', 7).notNullable();
      ascii(t, 'reference', 48).notNullable();
      t.bigInteger('amount_cents').notNullable();
      ascii(t, 'origin', 2).notNullable();
      ascii(t, 'channel', 2).notNullable();
      ascii(t, 'operation_number', 6).notNullable();
      ascii(t, 'debited_bank', 3).notNullable();
      ascii(t, 'branch', 4).notNullable();
      ascii(t, 'outcome', 20).notNullable().checkIn(COLLECTION_OUTCOMES, 'ck_collection_records_outcome');
      // Applied although the coupon had expired (or was cancelled) before the collection date.
      t.boolean('coupon_expired').notNullable().defaultTo(false);
      uid(t, 'coupon_id').nullable().references('id').inTable('coupons').withKeyName('fk_collection_records_coupon');
      uid(t, 'invoice_id').nullable().references('id').inTable('invoices').withKeyName('fk_collection_records_invoice');
      uid(t, 'transaction_id')
        .nullable()
        .references('id')
        .inTable('transactions')
        .withKeyName('fk_collection_records_transaction');
      time(t, 'created_at').notNullable();
      // An exception (ALREADY_PAID, AMOUNT_MISMATCH) an operator has dealt with: who, when, how.
      time(t, 'resolved_at').nullable();
      uid(t, 'resolved_by').nullable().references('id').inTable('users').withKeyName('fk_collection_records_resolver');
      t.string('resolution', 300).nullable();
      // A retried run skips the lines it stored; a record the bank sends again is a DUPLICATE.
      t.unique(['file_id', 'line'], { indexName: 'uq_collection_records_line' });
      t.unique(['bank_code', 'authorization_number', 'sequence_number'], {
        indexName: 'uq_collection_records_bank_key',
        predicate: knex.whereRaw("outcome <> 'DUPLICATE'"),
      });
      t.index(['outcome', 'created_at'], 'ix_collection_records_exceptions', {
        predicate: knex.whereRaw("outcome IN ('ALREADY_PAID', 'AMOUNT_MISMATCH')"),
      });
    })
    .alterTable('transactions', (t) => {
      t.dropChecks(['ck_transactions_method']);
    })
    .alterTable('transactions', (t) => {
      t.check("payment_method IN ('PSE', 'CARD', 'CASH', 'BANK')", [], 'ck_transactions_method');
    })
    .alterTable('transactions', (t) => {
      ascii(t, 'bank_authorization', 6).nullable();
    });
}

export function down(knex: Knex): Knex.SchemaBuilder {
  return knex.schema
    .alterTable('transactions', (t) => {
      t.dropColumn('bank_authorization');
    })
    .alterTable('transactions', (t) => {
      t.dropChecks(['ck_transactions_method']);
    })
    .alterTable('transactions', (t) => {
      t.check("payment_method IN ('PSE', 'CARD', 'CASH')", [], 'ck_transactions_method');
    })
    .dropTableIfExists('collection_records')
    .dropTableIfExists('collection_files')
    .dropTableIfExists('invoice_import_errors')
    .dropTableIfExists('invoice_imports');
}
