import fs from 'node:fs';
import path from 'node:path';

import { importCollection } from '../shared/controllers/collection.controller';
import { cliServices, progressBar, runCli } from './cli';

/**
 * npm run import:collections -- FILE: checks and applies a bank's Asobancaria 2001 collection file
 * to the database the settings name, with a progress bar and a summary. Exit code non-zero when
 * the file can't be read or is rejected (its controls don't add up); the same file again is a no-op.
 */
async function main(): Promise<number> {
  const file = process.argv[2];
  if (!file) {
    console.error('Uso: npm run import:collections -- ARCHIVO');
    return 2;
  }
  if (!fs.existsSync(file)) {
    console.error(`No se puede leer ${file}.`);
    return 1;
  }
  const app = await cliServices();
  const bar = progressBar('Recaudo');
  const started = performance.now();
  const report = await importCollection(
    app,
    () => fs.createReadStream(file),
    { source: 'CLI', fileName: path.basename(file) },
    (done, total) =>
      bar.update(done, total, `${done.toLocaleString('es-CO')} de ${total.toLocaleString('es-CO')} registros`),
  );
  bar.end();
  if (report.status === 'REJECTED') {
    console.error(`Archivo ${report.id} rechazado: ${report.error}`);
    return 1;
  }
  const c = report.counts;
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `Archivo ${report.id} (banco ${report.bankCode}, recaudo del ${report.collectionDate}): ${c.records} registros en ${seconds.toFixed(1)} s — ` +
      `${c.applied} aplicados, ${c.duplicate} duplicados, ${c.alreadyPaid} ya pagados, ${c.amountMismatch} con valor distinto, ${c.unknownReference} con referencia desconocida.`,
  );
  console.log(
    `Reportado $ ${report.reportedTotal.toLocaleString('es-CO')}; aplicado $ ${report.appliedTotal.toLocaleString('es-CO')}.`,
  );
  return 0;
}

runCli(main);
