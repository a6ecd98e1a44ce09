import type { Knex } from 'knex';

import { ascii, time } from './columns';

/**
 * Wrong passwords throttle the (account, client) pair, not the account: an attacker elsewhere can't
 * lock the owner out, and an unknown email is throttled exactly like a known one. The key is a
 * SHA-256 of the email and the client address, so this bookkeeping holds no personal data in clear.
 */
export const name = '0003_login_throttles';

export function up(knex: Knex): Knex.SchemaBuilder {
  return knex.schema.createTable('login_throttles', (t) => {
    ascii(t, 'throttle_key', 64).notNullable().primary('pk_login_throttles');
    t.integer('failures').notNullable().checkPositive('ck_login_throttles_failures');
    time(t, 'last_failure_at').notNullable();
    time(t, 'blocked_until').nullable();
    t.index(['last_failure_at'], 'ix_login_throttles_last_failure');
  });
}

export function down(knex: Knex): Knex.SchemaBuilder {
  return knex.schema.dropTableIfExists('login_throttles');
}
