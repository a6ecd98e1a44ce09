import fs from 'node:fs';
import path from 'node:path';

import type { Db } from '../../shared/clients/sql.client';
import { projectRoot } from '../../shared/projectFiles';
import { MIGRATIONS } from '../../sql/migrations';
import { appliedMigrations, migrateLatest } from '../../sql/migrator';
import { createMssqlDatabase, createTestDb, mssqlClient } from '../support/engines';

/**
 * The reviewed script a DBA runs (sql/azure-sql-schema.sql), run for real on the T-SQL engine the
 * way sqlcmd runs it (batches split on GO): twice, the second time changing nothing, and giving the
 * same tables, columns, indexes and constraints as the migration runner. T-SQL project only.
 */
const script = fs.readFileSync(path.join(projectRoot(), 'sql/azure-sql-schema.sql'), 'utf8');
const batches = script
  .split(/^GO\s*$/m)
  .map((b) => b.trim())
  .filter((b) => b.replace(/^--.*$/gm, '').trim() !== '');

async function runScript(db: Db): Promise<void> {
  for (const batch of batches) await db.raw(batch);
}

/** Tables, columns (type, length, nullability), indexes and constraints: what a DBA compares. */
async function describeSchema(db: Db): Promise<unknown> {
  const [columns, indexes, constraints] = await Promise.all([
    db.raw(`SELECT t.name AS table_name, c.name AS column_name, ty.name AS type_name, c.max_length AS max_length, c.is_nullable AS is_nullable
            FROM sys.columns c JOIN sys.tables t ON t.object_id = c.object_id JOIN sys.types ty ON ty.user_type_id = c.user_type_id
            WHERE t.name NOT LIKE 'knex%' ORDER BY t.name, c.column_id`),
    db.raw(`SELECT t.name AS table_name, i.name AS index_name, i.is_unique AS is_unique, i.has_filter AS has_filter
            FROM sys.indexes i JOIN sys.tables t ON t.object_id = i.object_id WHERE i.name IS NOT NULL AND t.name NOT LIKE 'knex%' ORDER BY t.name, i.name`),
    db.raw(
      `SELECT name AS constraint_name FROM sys.check_constraints UNION ALL SELECT name FROM sys.foreign_keys ORDER BY 1`,
    ),
  ]);
  return { columns, indexes, constraints };
}

let scripted: Db;
let migrated: Db;
let migratedName: string;

beforeAll(async () => {
  scripted = createTestDb();
  migratedName = await createMssqlDatabase();
  migrated = mssqlClient(migratedName);
}, 60_000);
afterAll(async () => {
  await scripted.destroy();
  await migrated.destroy();
});

test('when the T-SQL script runs twice on an empty database, then the second run changes nothing and every migration is recorded once', async () => {
  await runScript(scripted);
  const first = await describeSchema(scripted);
  await runScript(scripted);
  expect(await describeSchema(scripted)).toEqual(first);
  expect(await appliedMigrations(scripted)).toEqual(MIGRATIONS.map((m) => m.name));
  // The runner agrees that nothing is left to apply.
  expect(await migrateLatest(scripted)).toEqual([]);
});

test('when one database is made by the script and another by the migration runner, then their schemas are the same', async () => {
  await migrateLatest(migrated);
  expect(await describeSchema(migrated)).toEqual(await describeSchema(scripted));
});
