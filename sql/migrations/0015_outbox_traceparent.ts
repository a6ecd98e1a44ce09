import type { Knex } from 'knex';

import { ascii } from './columns';

/**
 * Running it (docs/operations.md): an outbox row keeps the W3C traceparent of the request or run
 * that wrote it (null when telemetry is off), so the dispatcher's send and the consumer's work
 * join the payment's trace in Application Insights. The message carries it too.
 */
export const name = '0015_outbox_traceparent';

/** version-traceid-parentid-flags: 2 + 1 + 32 + 1 + 16 + 1 + 2 characters. */
export const TRACEPARENT_LENGTH = 55;

export function up(knex: Knex): Knex.SchemaBuilder {
  return knex.schema.alterTable('outbox', (t) => {
    ascii(t, 'traceparent', TRACEPARENT_LENGTH).nullable();
  });
}

export function down(knex: Knex): Knex.SchemaBuilder {
  return knex.schema.alterTable('outbox', (t) => {
    t.dropColumn('traceparent');
  });
}
