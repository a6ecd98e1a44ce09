import { createSqlClient } from '../shared/clients/sql.client';
import { loadConfig } from '../shared/config';
import { migrateLatest } from '../sql/migrator';
import { seedDemoData } from './demoData';
import { loadLocalSettings } from './localEnv';

/** npm run db:seed: migrates, then loads the demo data (idempotent). */
async function main(): Promise<void> {
  loadLocalSettings();
  const config = loadConfig();
  const db = createSqlClient(config.database);
  try {
    await migrateLatest(db);
    const result = await seedDemoData(db, { bcryptCost: config.auth.bcryptCost, history: true });
    console.log(
      `Seeded ${result.contracts} contracts, ${result.invoices} invoices, ${result.users} users (existing rows kept).`,
    );
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
