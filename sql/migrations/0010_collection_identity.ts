import type { Knex } from 'knex';

import { ascii, uid } from './columns';

/**
 * What identifies a bank's collection (docs/collections.md, "A record's identity"):
 * - a record carries its file's collection date, so bank + collection day + authorization (the
 *   bank key) names one payment the bank took; bank, day, authorization, reference and amount all
 *   equal is the same payment sent again (DUPLICATE);
 * - the first record of each bank key is marked (`bank_key_first`) under a filtered unique index,
 *   so two files racing with one key serialise; a later record with that key but another
 *   reference or amount is a CONFLICTING_DUPLICATE, pointing at the record it conflicts with;
 * - every outcome that is not APPLIED is listed for the operator (the exceptions index).
 * The old key (bank + authorization + sequence) goes: sequences restart in every file.
 */
export const name = '0010_collection_identity';

const OUTCOMES = [
  'APPLIED',
  'DUPLICATE',
  'CONFLICTING_DUPLICATE',
  'ALREADY_PAID',
  'AMOUNT_MISMATCH',
  'UNKNOWN_REFERENCE',
];
const OLD_OUTCOMES = ['APPLIED', 'DUPLICATE', 'ALREADY_PAID', 'AMOUNT_MISMATCH', 'UNKNOWN_REFERENCE'];
const outcomeCheck = (outcomes: string[]) =>
  `outcome IS NOT NULL AND outcome IN (${outcomes.map((o) => `'${o}'`).join(', ')})`;

export function up(knex: Knex): Knex.SchemaBuilder {
  return (
    knex.schema
      .alterTable('collection_records', (t) => {
        t.dropIndex([], 'uq_collection_records_bank_key');
      })
      .alterTable('collection_records', (t) => {
        t.dropIndex([], 'ix_collection_records_exceptions');
      })
      .alterTable('collection_records', (t) => {
        t.dropChecks(['ck_collection_records_outcome']);
      })
      .alterTable('collection_records', (t) => {
        // CONFLICTING_DUPLICATE has 21 characters. Babelfish, the test engine, takes no NOT NULL in an
        // ALTER COLUMN: the check below refuses NULL instead, on every engine.
        ascii(t, 'outcome', 24).alter();
      })
      .alterTable('collection_records', (t) => {
        t.check(outcomeCheck(OUTCOMES), [], 'ck_collection_records_outcome');
      })
      // One column per ALTER TABLE: Babelfish, the test engine, refuses a list (Azure SQL takes both).
      .alterTable('collection_records', (t) => {
        t.date('collection_date').nullable();
      })
      .alterTable('collection_records', (t) => {
        t.boolean('bank_key_first').notNullable().defaultTo(false);
      })
      .alterTable('collection_records', (t) => {
        uid(t, 'conflict_record_id').nullable();
      })
      .alterTable('collection_files', (t) => {
        t.integer('conflicting_duplicate').notNullable().defaultTo(0);
      })
      .raw(
        'UPDATE collection_records SET collection_date = ' +
          '(SELECT f.collection_date FROM collection_files f WHERE f.id = collection_records.file_id)',
      )
      // The records stored before: the earliest non-duplicate of each bank key is its first.
      .raw(
        'UPDATE collection_records SET bank_key_first = 1 ' +
          "WHERE outcome <> 'DUPLICATE' AND NOT EXISTS (SELECT 1 FROM collection_records e " +
          'WHERE e.bank_code = collection_records.bank_code AND e.collection_date = collection_records.collection_date ' +
          "AND e.authorization_number = collection_records.authorization_number AND e.outcome <> 'DUPLICATE' " +
          'AND (e.created_at < collection_records.created_at ' +
          'OR (e.created_at = collection_records.created_at AND e.line < collection_records.line) ' +
          'OR (e.created_at = collection_records.created_at AND e.line = collection_records.line AND e.id < collection_records.id)))',
      )
      .alterTable('collection_records', (t) => {
        t.unique(['bank_code', 'collection_date', 'authorization_number'], {
          indexName: 'uq_collection_records_bank_key',
          predicate: knex.whereRaw('bank_key_first = 1'),
        });
        // Every record of a bank key (the first and what came after it), for the duplicate check.
        t.index(['bank_code', 'collection_date', 'authorization_number'], 'ix_collection_records_bank_key');
        t.index(['outcome', 'created_at'], 'ix_collection_records_exceptions', {
          predicate: knex.whereRaw("outcome <> 'APPLIED'"),
        });
        t.index(['file_id', 'outcome'], 'ix_collection_records_file_outcome');
      })
  );
}

export function down(knex: Knex): Knex.SchemaBuilder {
  return knex.schema
    .alterTable('collection_records', (t) => {
      t.dropIndex([], 'uq_collection_records_bank_key');
      t.dropIndex([], 'ix_collection_records_bank_key');
      t.dropIndex([], 'ix_collection_records_exceptions');
      t.dropIndex([], 'ix_collection_records_file_outcome');
    })
    .raw("DELETE FROM collection_records WHERE outcome = 'CONFLICTING_DUPLICATE'")
    .alterTable('collection_records', (t) => {
      t.dropColumn('conflict_record_id');
    })
    .alterTable('collection_records', (t) => {
      t.dropColumn('bank_key_first');
    })
    .alterTable('collection_records', (t) => {
      t.dropColumn('collection_date');
    })
    .alterTable('collection_files', (t) => {
      t.dropColumn('conflicting_duplicate');
    })
    .alterTable('collection_records', (t) => {
      t.dropChecks(['ck_collection_records_outcome']);
    })
    .alterTable('collection_records', (t) => {
      t.check(outcomeCheck(OLD_OUTCOMES), [], 'ck_collection_records_outcome');
    })
    .alterTable('collection_records', (t) => {
      t.index(['outcome', 'created_at'], 'ix_collection_records_exceptions', {
        predicate: knex.whereRaw("outcome IN ('ALREADY_PAID', 'AMOUNT_MISMATCH')"),
      });
    });
}
