import fs from 'node:fs';
import path from 'node:path';

import { loadConfig } from '../shared/config';
import { AppError } from '../shared/errors';
import type { FeedImportJson } from '../shared/models/feedImport.model';
import { disposeServices, services } from '../shared/services';
import { migrateLatest } from '../sql/migrator';
import { loadLocalSettings } from './localEnv';

/** Where `npm start` writes the storage connection of the Azurite it started, for the command-line tools. */
export function storageConnectionFile(dataDir: string): string {
  return path.join(dataDir, 'azurite', 'connection-string');
}

/**
 * The app's services for a command-line tool, on whatever database the settings name. Messages
 * the tool causes go to the outbox; they are sent from here when the queues can be reached (the
 * settings', or the Azurite a running `npm start` wrote down), else by the app's outbox timer.
 */
export async function cliServices(): Promise<ReturnType<typeof services>> {
  loadLocalSettings();
  const env = process.env;
  if (!env.AzureWebJobsStorage && !env.AzureWebJobsStorage__accountName && !env.AzureWebJobsStorage__queueServiceUri) {
    const file = storageConnectionFile(path.resolve(env.DATA_DIR ?? '.data'));
    env.AzureWebJobsStorage = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : 'UseDevelopmentStorage=true';
  }
  const config = loadConfig(env);
  const app = services();
  // The embedded default may not have been started yet: its database is made here as npm start would.
  if (config.database.engine === 'sqlite') await migrateLatest(app.db);
  return app;
}

/** A one-line progress bar on a terminal (nothing when the output is a file or a pipe). */
export function progressBar(label: string): { update(done: number, total: number, detail: string): void; end(): void } {
  const tty = process.stderr.isTTY;
  let last = 0;
  return {
    update(done, total, detail) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const share = total > 0 ? Math.min(done / total, 1) : 0;
      const width = 30;
      const filled = Math.round(share * width);
      process.stderr.write(
        `\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${detail}   `,
      );
    },
    end() {
      if (tty) process.stderr.write('\n');
    },
  };
}

/** Runs a command-line tool's main: its exit code, the services closed first, any error printed. */
export function runCli(main: () => Promise<number>): void {
  main()
    .then(async (code) => {
      await disposeServices();
      process.exit(code);
    })
    .catch(async (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      await disposeServices();
      process.exit(1);
    });
}

/** A billing-feed import as the CLI runs it: from a file's stream, reporting progress by line. */
type FeedImport = (
  app: ReturnType<typeof services>,
  input: fs.ReadStream,
  request: { source: 'CLI'; fileName: string },
  onProgress: (progress: { lines: number }) => void,
) => Promise<FeedImportJson>;

/**
 * `npm run import:<feed> -- FILE`: imports one of the billing feed's CSVs into the database the
 * settings name, with a progress bar on a terminal and a summary. Rejected lines are listed and
 * don't change the exit code: it is non-zero only when the file can't be read (missing, or not
 * the feed's CSV).
 */
export async function importFeedFile(command: string, label: string, importFeed: FeedImport): Promise<number> {
  const file = process.argv[2];
  if (!file) {
    console.error(`Uso: npm run ${command} -- ARCHIVO.csv`);
    return 2;
  }
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    console.error(`No se puede leer ${file}.`);
    return 1;
  }
  const app = await cliServices();
  const stream = fs.createReadStream(file);
  let bytes = 0;
  stream.on('data', (chunk) => (bytes += chunk.length));
  const bar = progressBar(label);
  const started = performance.now();
  try {
    const report = await importFeed(app, stream, { source: 'CLI', fileName: path.basename(file) }, (p) =>
      bar.update(bytes, size, `${p.lines.toLocaleString('es-CO')} líneas`),
    );
    bar.end();
    const seconds = (performance.now() - started) / 1000;
    const c = report.counts;
    console.log(
      `Carga ${report.id}: ${report.lines} líneas en ${seconds.toFixed(1)} s — ${c.inserted} nuevas, ${c.updated} actualizadas, ${c.unchanged} sin cambios, ${c.rejected} rechazadas.`,
    );
    for (const error of report.errors.slice(0, 50)) console.log(`  línea ${error.line}: ${error.reason}`);
    if (report.errors.length > 50)
      console.log(`  … y ${c.rejected - 50} más (GET /api/operator/imports/${report.id}).`);
    return 0;
  } catch (error) {
    bar.end();
    console.error(error instanceof AppError ? error.message : `No se pudo leer el archivo: ${String(error)}`);
    return 1;
  }
}
