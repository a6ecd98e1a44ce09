import type { Knex } from 'knex';

import { ascii, time, uid } from './columns';

/**
 * The operator console: an audit log of every operator action (a reversal, a search of
 * payments, a look at a customer's contract) with who, what and when; and an index for the
 * operator's payment search over all customers, newest first.
 */
export const name = '0005_operator_audit';

export function up(knex: Knex): Knex.SchemaBuilder {
  return knex.schema
    .createTable('audit_log', (t) => {
      uid(t).notNullable().primary('pk_audit_log');
      uid(t, 'actor_id').notNullable().references('id').inTable('users').withKeyName('fk_audit_log_actor');
      ascii(t, 'action', 40).notNullable();
      ascii(t, 'subject_type', 20).notNullable();
      t.string('subject_id', 64).notNullable();
      // What the action was given (filters, reason), as JSON: enough to answer "who looked at what".
      t.string('details', 1000).notNullable();
      time(t, 'created_at').notNullable();
      t.index(['created_at', 'id'], 'ix_audit_log_created');
    })
    .alterTable('transactions', (t) => {
      t.index(['created_at', 'id'], 'ix_transactions_created');
    });
}

export function down(knex: Knex): Knex.SchemaBuilder {
  return knex.schema
    .alterTable('transactions', (t) => {
      t.dropIndex(['created_at', 'id'], 'ix_transactions_created');
    })
    .dropTableIfExists('audit_log');
}
