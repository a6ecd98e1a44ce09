import fs from 'node:fs';
import path from 'node:path';

import { importInvoices } from '../shared/controllers/billingImport.controller';
import { AppError } from '../shared/errors';
import { cliServices, progressBar, runCli } from './cli';

/**
 * npm run import:invoices -- FILE: imports a billing-feed CSV into the database the settings name,
 * with a progress bar on a terminal and a summary. Rejected lines are listed, and don't change the
 * exit code: it is non-zero only when the file can't be read (missing, or not the feed's CSV).
 */
async function main(): Promise<number> {
  const file = process.argv[2];
  if (!file) {
    console.error('Uso: npm run import:invoices -- ARCHIVO.csv');
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
  const bar = progressBar('Facturas');
  const started = performance.now();
  try {
    const report = await importInvoices(app, stream, { source: 'CLI', fileName: path.basename(file) }, (p) =>
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

runCli(main);
