import type { Knex } from 'knex';

import { type Migration, MIGRATIONS } from './migrations';

export const MIGRATIONS_TABLE = 'schema_migrations';

const source: Knex.MigrationSource<Migration> = {
  getMigrations: () => Promise.resolve(MIGRATIONS),
  getMigrationName: (migration) => migration.name,
  getMigration: (migration) =>
    Promise.resolve({ up: (knex: Knex) => migration.up(knex), down: (knex: Knex) => migration.down(knex) }),
};

const options = { migrationSource: source, tableName: MIGRATIONS_TABLE };

/**
 * Applies pending migrations in order, each in its own transaction, recording them in
 * schema_migrations (knex's lock table keeps two deploys from migrating at once). Idempotent.
 */
export async function migrateLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(options)) as [number, string[]];
  return applied;
}

/** Applies the next pending migration only (tests of an upgrade over existing data). */
export async function migrateNext(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.up(options)) as [number, string[]];
  return applied;
}

export async function appliedMigrations(db: Knex): Promise<string[]> {
  const [completed] = (await db.migrate.list(options)) as [{ name: string }[], unknown[]];
  return completed.map((m) => m.name);
}
