import type { Knex } from 'knex';

import { ascii, time, uid } from './columns';

/**
 * Running it (docs/operations.md): `timer_runs` keeps one row per run of each timer (its start,
 * duration, outcome and, when it failed, a short error), so the operator's system view and
 * /health can say when a timer last ran and whether it failed; purgeExpiredRecords keeps 30 days.
 */
export const name = '0014_timer_runs';

export const TIMER_OUTCOMES = ['SUCCEEDED', 'FAILED'];

export function up(knex: Knex): Knex.SchemaBuilder {
  return knex.schema.createTable('timer_runs', (t) => {
    uid(t).notNullable().primary('pk_timer_runs');
    ascii(t, 'timer', 64).notNullable();
    time(t, 'started_at').notNullable();
    t.integer('duration_ms').notNullable();
    ascii(t, 'outcome', 9).notNullable().checkIn(TIMER_OUTCOMES, 'ck_timer_runs_outcome');
    t.string('error', 500).nullable();
    t.index(['timer', 'started_at'], 'ix_timer_runs_timer_started');
  });
}

export function down(knex: Knex): Knex.SchemaBuilder {
  return knex.schema.dropTable('timer_runs');
}
