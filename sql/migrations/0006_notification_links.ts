import type { Knex } from 'knex';

import { ascii, time, uid } from './columns';

/**
 * Notifications say when their event happened (`occurred_at`, what lists are ordered by: a
 * batch delivered together keeps the order of its events) and what they are about (invoice,
 * coupon, transaction), so a screen can link to it. Existing rows get their delivery time as
 * the best known event time.
 */
export const name = '0006_notification_links';

const COLUMNS: [string, (t: Knex.CreateTableBuilder) => void][] = [
  ['occurred_at', (t) => time(t, 'occurred_at').nullable()],
  ['invoice_id', (t) => uid(t, 'invoice_id').nullable()],
  ['invoice_number', (t) => ascii(t, 'invoice_number', 20).nullable()],
  ['contract_number', (t) => ascii(t, 'contract_number', 12).nullable()],
  ['coupon_code', (t) => ascii(t, 'coupon_code', 12).nullable()],
  ['transaction_id', (t) => uid(t, 'transaction_id').nullable()],
];

export function up(knex: Knex): Knex.SchemaBuilder {
  // One column per ALTER TABLE: Babelfish, the test engine, refuses a list (Azure SQL takes both).
  let schema = knex.schema;
  for (const [, add] of COLUMNS) schema = schema.alterTable('notifications', add);
  return schema
    .raw('UPDATE notifications SET occurred_at = created_at WHERE occurred_at IS NULL')
    .alterTable('notifications', (t) => {
      t.index(['user_id', 'occurred_at', 'id'], 'ix_notifications_user_occurred');
    });
}

export function down(knex: Knex): Knex.SchemaBuilder {
  return knex.schema.alterTable('notifications', (t) => {
    t.dropIndex(['user_id', 'occurred_at', 'id'], 'ix_notifications_user_occurred');
    t.dropColumns(...COLUMNS.map(([name]) => name));
  });
}
