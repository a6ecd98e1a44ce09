import type { Knex } from 'knex';

import { ascii, time, uid } from './columns';

/**
 * Invoice notices sent, one row per (user, invoice, kind): a new invoice of a contract the user
 * follows, its due date three days ahead, the invoice overdue. The key makes each notice once,
 * however often (or however concurrently) the daily timer runs.
 */
export const name = '0007_invoice_notices';

export function up(knex: Knex): Knex.SchemaBuilder {
  return knex.schema
    .alterTable('invoices', (t) => {
      // The daily timer's scan: unpaid invoices by due date.
      t.index(['due_date'], 'ix_invoices_unpaid_due', { predicate: knex.whereRaw("status = 'UNPAID'") });
    })
    .createTable('invoice_notices', (t) => {
      uid(t, 'user_id').notNullable().references('id').inTable('users').withKeyName('fk_invoice_notices_user');
      uid(t, 'invoice_id').notNullable().references('id').inTable('invoices').withKeyName('fk_invoice_notices_invoice');
      ascii(t, 'kind', 20)
        .notNullable()
        .checkIn(['INVOICE_ISSUED', 'INVOICE_DUE_SOON', 'INVOICE_OVERDUE'], 'ck_invoice_notices_kind');
      time(t, 'created_at').notNullable();
      t.primary(['user_id', 'invoice_id', 'kind'], 'pk_invoice_notices');
    });
}

export function down(knex: Knex): Knex.SchemaBuilder {
  return knex.schema.dropTableIfExists('invoice_notices').alterTable('invoices', (t) => {
    t.dropIndex(['due_date'], 'ix_invoices_unpaid_due');
  });
}
