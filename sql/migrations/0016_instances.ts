import type { Knex } from 'knex';

import { time, uid } from './columns';

/**
 * Crash recovery in seconds, not leases (docs/operations.md): each running app instance beats in
 * `instances` every few seconds; an outbox row names the instance that last handled it
 * (`held_by`: its dispatcher, then its consumer) and an email delivery the instance sending it
 * (`claimed_by`). Whatever an instance that stopped beating held is taken over at the sweeper's
 * next round, while what a live instance holds waits for its lease as before.
 */
export const name = '0016_instances';

export function up(knex: Knex): Knex.SchemaBuilder {
  return knex.schema
    .createTable('instances', (t) => {
      uid(t).notNullable().primary('pk_instances');
      time(t, 'started_at').notNullable();
      time(t, 'beat_at').notNullable();
    })
    .alterTable('outbox', (t) => {
      uid(t, 'held_by').nullable();
    })
    .alterTable('email_deliveries', (t) => {
      uid(t, 'claimed_by').nullable();
    });
}

export function down(knex: Knex): Knex.SchemaBuilder {
  return knex.schema
    .alterTable('email_deliveries', (t) => {
      t.dropColumn('claimed_by');
    })
    .alterTable('outbox', (t) => {
      t.dropColumn('held_by');
    })
    .dropTable('instances');
}
