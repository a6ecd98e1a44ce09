import { createSqlClient } from '../shared/clients/sql.client';
import { loadConfig } from '../shared/config';
import { migrateLatest } from '../sql/migrator';
import { loadLocalSettings } from './localEnv';

/** npm run db:migrate: applies pending migrations to the configured database (SQLite or Azure SQL). */
async function main(): Promise<void> {
  loadLocalSettings();
  const config = loadConfig();
  const db = createSqlClient(config.database);
  try {
    const applied = await migrateLatest(db);
    const where =
      config.database.engine === 'sqlite'
        ? config.database.file
        : `${config.database.server}/${config.database.database}`;
    console.log(applied.length > 0 ? `Applied ${applied.join(', ')} to ${where}` : `Already up to date: ${where}`);
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
