import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { projectRoot } from '../../shared/projectFiles';
import { mssqlClient } from './engines';

/**
 * Once per run of the T-SQL project: a run id that names every database this run creates
 * (cuponeras_test_<run>_…), and at the end the drop of all of them, when no test file holds a
 * connection any more.
 */
export function setup(): void {
  process.env.MSSQL_TEST_RUN = randomBytes(3).toString('hex');
  // This run's statements only (tools/tsql-check parses what the run sent).
  fs.rmSync(path.join(projectRoot(), 'test-artifacts', 'tsql'), { recursive: true, force: true });
}

export async function teardown(): Promise<void> {
  const run = process.env.MSSQL_TEST_RUN;
  if (!run) return;
  const master = mssqlClient('master');
  try {
    const rows = await master.raw<{ name: string }[]>(`SELECT name FROM sys.databases WHERE name LIKE ?`, [
      `cuponeras_test_${run}_%`,
    ]);
    for (const { name } of rows) {
      await master.raw(`DROP DATABASE [${name}]`).catch(() => undefined); // a server that still holds it keeps it, harmlessly
    }
  } finally {
    await master.destroy();
  }
}
