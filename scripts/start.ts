import fs from 'node:fs';
import path from 'node:path';

import { azuriteLocation, type AzuriteProcess, startAzurite } from '../local/azurite';
import { startHost } from '../local/host';
import { createSqlClient } from '../shared/clients/sql.client';
import { ConfigError, loadConfig } from '../shared/config';
import { requestBodyLimit } from '../shared/http/bodyLimit';
import { disposeServices } from '../shared/services';
import { migrateLatest } from '../sql/migrator';
import { storageConnectionFile } from './cli';
import { DEMO_CUSTOMER, DEMO_OPERATOR, seedDemoData } from './demoData';
import { loadLocalSettings } from './localEnv';

/**
 * npm start: the local embedded default. Starts Azurite from its npm package, migrates and seeds
 * SQLite under DATA_DIR, and serves the compiled functions with the local host at the same URLs
 * as `func start` (http://localhost:7071/api/...). Ctrl-C stops everything.
 */
/** Azurite, once started: a start-up that fails later must not leave it running as an orphan. */
let azurite: AzuriteProcess | undefined;

async function main(): Promise<void> {
  loadLocalSettings();
  const env = process.env;
  const developmentStorage = env.AzureWebJobsStorage === 'UseDevelopmentStorage=true';
  if (
    developmentStorage ||
    (!env.AzureWebJobsStorage && !env.AzureWebJobsStorage__accountName && !env.AzureWebJobsStorage__queueServiceUri)
  ) {
    // "UseDevelopmentStorage=true" (as in local.settings.example.json) means Azurite's default port.
    const port = Number(env.AZURITE_QUEUE_PORT ?? (developmentStorage ? 10001 : 0));
    const blobPort = Number(env.AZURITE_BLOB_PORT ?? (developmentStorage ? 10000 : 0));
    azurite = await startAzurite({
      location: azuriteLocation(path.resolve(env.DATA_DIR ?? '.data')),
      port,
      blob: true,
      blobPort,
    });
    env.AzureWebJobsStorage = azurite.connectionString;
    // The command-line imports (npm run import:*) send their messages through this Azurite.
    fs.writeFileSync(storageConnectionFile(path.resolve(env.DATA_DIR ?? '.data')), azurite.connectionString, {
      mode: 0o600,
    });
  }

  // The gateway sandbox is this host's own routes: on another port, its URLs follow.
  const port = Number(env.PORT ?? 7071);
  if (port !== 7071 && (env.PAYMENT_PROVIDER ?? 'sandbox') === 'sandbox') {
    env.WOMPI_API_URL ??= `http://localhost:${port}/api/sandbox/v1`;
    env.WOMPI_CHECKOUT_URL ??= `http://localhost:${port}/api/sandbox/checkout`;
  }

  const config = loadConfig(env);
  if (config.database.engine === 'sqlite') {
    const db = createSqlClient(config.database);
    try {
      const applied = await migrateLatest(db);
      if (applied.length > 0) console.log(`Database migrated (${applied.join(', ')}): ${config.database.file}`);
      const seeded = await seedDemoData(db, { bcryptCost: config.auth.bcryptCost, history: true });
      if (seeded.contracts + seeded.invoices + seeded.users > 0) {
        console.log(`Demo data: ${seeded.contracts} contracts, ${seeded.invoices} invoices, ${seeded.users} users`);
      }
    } finally {
      await db.destroy();
    }
  }

  const host = await startHost({
    bodyPolicy: requestBodyLimit,
    port,
  });
  console.log(`
Cuponeras EPM is running at ${host.url.replace('127.0.0.1', 'localhost')}
  health:   ${host.url}/health
  data:     ${config.dataDir} (SQLite, Azurite${azurite ? ` queues on port ${azurite.port}, blobs on port ${azurite.blobPort}` : ''}, email outbox)
  operator: ${DEMO_OPERATOR.email} / ${DEMO_OPERATOR.password}
  customer: ${DEMO_CUSTOMER.email} / ${DEMO_CUSTOMER.password}
Press Ctrl-C to stop.`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal} received, stopping...`);
    await host.stop();
    await disposeServices();
    await azurite?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch(async (error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  await azurite?.stop();
  process.exit(1);
});
