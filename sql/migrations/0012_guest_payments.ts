import type { Knex } from 'knex';

import { ascii, time, uid } from './columns';

/**
 * Paying without an account (docs/payments.md, "Paying without an account"):
 * - the guest payer: one reserved row of `users`, nobody's account (no usable password, marked
 *   deleted, an address that can't receive mail), which holds every guest coupon and guest PAYMENT
 *   row so that the columns that name an owner keep their NOT NULL. No customer ever reads its rows:
 *   every customer query is filtered by the caller's own id;
 * - `guest_payments`: what only a guest payment has, beside its `payments` row (whose user_id is
 *   NULL): the payer's email (erased after GUEST_DATA_RETENTION_DAYS), the hash of the token that
 *   reads it, the hash of its Idempotency-Key and of its request, and the consent given.
 */
export const name = '0012_guest_payments';

/** The reserved guest payer (shared/models/guestPayment.model.ts holds the same id). */
export const GUEST_PAYER = {
  id: '00000000-0000-4000-8000-00000000c0de',
  email: 'pagos-sin-cuenta@cuponeras.invalid',
  fullName: 'Pago sin cuenta',
  documentNumber: 'SIN-CUENTA',
  // bcrypt of 48 random bytes nobody kept: no password opens it.
  passwordHash: '$2b$12$a4gxKKvLC5w/0A.u0ocURO4PH3TyYC2coQCOVL/bg6XTKmNr0yJvi',
  at: '2026-12-03T00:00:00.000Z',
};

function isTsql(knex: Knex): boolean {
  return (knex.client as { config: { client: string } }).config.client === 'mssql';
}

export function up(knex: Knex): Knex.SchemaBuilder {
  // A literal row, so that the T-SQL script holds it too; SQLite keeps times as epoch milliseconds.
  const at = isTsql(knex) ? `'${GUEST_PAYER.at.slice(0, 23)}'` : String(Date.parse(GUEST_PAYER.at));
  return knex.schema
    .raw(
      'INSERT INTO users (id, email, password_hash, full_name, document_type, document_number, role, ' +
        'failed_logins, created_at, updated_at, email_verified_at, deleted_at) VALUES ' +
        `('${GUEST_PAYER.id}', '${GUEST_PAYER.email}', '${GUEST_PAYER.passwordHash}', '${GUEST_PAYER.fullName}', ` +
        `'NIT', '${GUEST_PAYER.documentNumber}', 'customer', 0, ${at}, ${at}, NULL, ${at})`,
    )
    .createTable('guest_payments', (t) => {
      uid(t, 'payment_id')
        .notNullable()
        .primary('pk_guest_payments')
        .references('id')
        .inTable('payments')
        .withKeyName('fk_guest_payments_payment');
      uid(t, 'contract_id')
        .notNullable()
        .references('id')
        .inTable('contracts')
        .withKeyName('fk_guest_payments_contract');
      ascii(t, 'idempotency_key_hash', 64).notNullable().unique({ indexName: 'uq_guest_payments_key' });
      ascii(t, 'request_hash', 64).notNullable();
      ascii(t, 'token_hash', 64).notNullable();
      t.string('payer_email', 254).nullable();
      ascii(t, 'policy_version', 20).notNullable();
      time(t, 'accepted_at').notNullable();
      time(t, 'created_at').notNullable();
      time(t, 'email_erased_at').nullable();
      // The purge's work list: payers' emails still held.
      t.index(['created_at'], 'ix_guest_payments_email_held', { predicate: knex.whereNotNull('payer_email') });
    });
}

export function down(knex: Knex): Knex.SchemaBuilder {
  return knex.schema.dropTable('guest_payments').raw(`DELETE FROM users WHERE id = '${GUEST_PAYER.id}'`);
}
