import fs from 'node:fs';
import path from 'node:path';

import type * as KnexModule from 'knex';

import { projectRoot } from '../../shared/projectFiles';

/**
 * The T-SQL project's record of what it sends: every distinct statement a mssql knex runs, as the
 * driver gets it (parameters as @p0, @p1, …), appended to test-artifacts/tsql/statements-<pid>.jsonl.
 * `npm run check:tsql` then parses them with SQL Server's own grammar (tools/tsql-check).
 */
export const TSQL_CAPTURE_DIR = path.join(projectRoot(), 'test-artifacts', 'tsql');

const knexModule = require('knex') as typeof KnexModule & { knex: typeof KnexModule.knex };
const original = knexModule.knex;
const seen = new Set<string>();
const file = path.join(TSQL_CAPTURE_DIR, `statements-${process.pid}.jsonl`);

knexModule.knex = ((config: KnexModule.Knex.Config) => {
  const db = original(config);
  if (config.client === 'mssql') {
    db.on('query', (query: { sql?: string }) => {
      const sql = query.sql?.trim();
      if (!sql || seen.has(sql)) return;
      seen.add(sql);
      fs.mkdirSync(TSQL_CAPTURE_DIR, { recursive: true });
      fs.appendFileSync(file, JSON.stringify({ sql }) + '\n');
    });
  }
  return db;
}) as typeof KnexModule.knex;
