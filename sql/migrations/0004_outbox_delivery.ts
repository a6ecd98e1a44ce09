import type { Knex } from 'knex';

import { time } from './columns';

/**
 * A message is done when its consumer confirms the effect (notification stored, email sent), not
 * when a queue took it: a queue that dies loses what it held. `delivered_at` records the
 * confirmation; the sweeper sends again whatever stays unconfirmed past its lease. Rows sent
 * before this migration count as delivered (as they were counted until now).
 */
export const name = '0004_outbox_delivery';

export function up(knex: Knex): Knex.SchemaBuilder {
  return knex.schema
    .alterTable('outbox', (t) => {
      time(t, 'delivered_at').nullable();
    })
    .raw('UPDATE outbox SET delivered_at = dispatched_at WHERE dispatched_at IS NOT NULL')
    .alterTable('outbox', (t) => {
      t.index(['dispatched_at'], 'ix_outbox_unconfirmed', {
        predicate: knex.whereRaw('delivered_at IS NULL AND dispatched_at IS NOT NULL'),
      });
    });
}

export function down(knex: Knex): Knex.SchemaBuilder {
  return knex.schema.alterTable('outbox', (t) => {
    t.dropIndex(['dispatched_at'], 'ix_outbox_unconfirmed');
    t.dropColumn('delivered_at');
  });
}
