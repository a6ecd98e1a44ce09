import type { Knex } from 'knex';

/** Column conventions of the schema a DBA signs (docs/database.md), shared by the migrations. */

/**
 * The largest amount in whole pesos the schema's checks allow. Frozen here with the migrations
 * that use it; shared/models/money.ts holds the app's bound (test/unit/tsql-schema.test.ts checks they agree).
 */
export const SCHEMA_MAX_AMOUNT = 999_999_999_999;

/** uniqueidentifier on Azure SQL (char(36) on SQLite). */
export const uid = (t: Knex.CreateTableBuilder, column = 'id') => t.uuid(column);
/** Codes and enums: ASCII. */
export const ascii = (t: Knex.CreateTableBuilder, column: string, length: number) =>
  t.specificType(column, `varchar(${length})`);
/** datetime2(3): milliseconds, as a JavaScript Date holds them (7 bytes; knex's datetime gives datetime2(7)). */
export const time = (t: Knex.CreateTableBuilder, column: string) => t.specificType(column, 'datetime2(3)');
/** Whole pesos, bounded. */
export const money = (t: Knex.CreateTableBuilder, column: string, constraint: string) =>
  t.bigInteger(column).notNullable().checkBetween([1, SCHEMA_MAX_AMOUNT], constraint);
