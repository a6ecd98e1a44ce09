import type { Knex } from 'knex';

import { ascii, SCHEMA_MAX_AMOUNT, uid } from './columns';

/**
 * What the bill says (docs/billing-feed.md, "Service lines"):
 * - `invoice_lines`: an invoice's service lines (service, concept, unit, quantity, amount; a
 *   subsidy is a negative amount), numbered within the invoice; the consumption query reads them
 *   by contract and period (ix_invoice_lines_contract_period), so each line carries both;
 * - `invoices.cude`: the DIAN electronic equivalent document's CUDE, when the feed gives one;
 * - `invoice_imports.feed`: which feed a run loaded (`invoices` or `invoice-lines`).
 */
export const name = '0013_invoice_lines';

export const SERVICES = ['ENERGIA', 'ACUEDUCTO', 'ALCANTARILLADO', 'GAS', 'ASEO', 'ALUMBRADO', 'OTROS'];
export const UNITS = ['kWh', 'm3'];
export const FEEDS = ['invoices', 'invoice-lines'];

export function up(knex: Knex): Knex.SchemaBuilder {
  return knex.schema
    .createTable('invoice_lines', (t) => {
      uid(t).notNullable().primary('pk_invoice_lines');
      uid(t, 'invoice_id').notNullable().references('id').inTable('invoices').withKeyName('fk_invoice_lines_invoice');
      uid(t, 'contract_id')
        .notNullable()
        .references('id')
        .inTable('contracts')
        .withKeyName('fk_invoice_lines_contract');
      ascii(t, 'period', 7).notNullable();
      t.integer('line_no').notNullable().checkPositive('ck_invoice_lines_line_no');
      ascii(t, 'service', 14).notNullable().checkIn(SERVICES, 'ck_invoice_lines_service');
      t.string('concept', 120).notNullable();
      ascii(t, 'unit', 3).nullable();
      t.decimal('quantity', 12, 3).nullable();
      t.bigInteger('amount')
        .notNullable()
        .checkBetween([-SCHEMA_MAX_AMOUNT, SCHEMA_MAX_AMOUNT], 'ck_invoice_lines_amount');
      t.check(
        `?? IS NULL OR ?? IN (${UNITS.map((u) => `'${u}'`).join(', ')})`,
        ['unit', 'unit'],
        'ck_invoice_lines_unit',
      );
      t.unique(['invoice_id', 'line_no'], { indexName: 'uq_invoice_lines_invoice_line' });
      t.index(['contract_id', 'period'], 'ix_invoice_lines_contract_period');
    })
    .alterTable('invoices', (t) => {
      ascii(t, 'cude', 96).nullable();
    })
    .alterTable('invoice_imports', (t) => {
      ascii(t, 'feed', 16).notNullable().defaultTo('invoices').checkIn(FEEDS, 'ck_invoice_imports_feed');
    });
}

export function down(knex: Knex): Knex.SchemaBuilder {
  return knex.schema
    .alterTable('invoice_imports', (t) => {
      t.dropChecks(['ck_invoice_imports_feed']);
    })
    .alterTable('invoice_imports', (t) => {
      t.dropColumn('feed');
    })
    .alterTable('invoices', (t) => {
      t.dropColumn('cude');
    })
    .dropTable('invoice_lines');
}
