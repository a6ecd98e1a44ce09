import fs from 'node:fs';
import path from 'node:path';

import { renderTsqlScript } from '../sql/tsqlScript';

/** npm run sql:script: writes sql/azure-sql-schema.sql from the migrations. */
const target = path.resolve(
  __dirname,
  __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../sql' : '../sql',
  'azure-sql-schema.sql',
);
fs.writeFileSync(target, renderTsqlScript());
console.log(`Wrote ${path.relative(process.cwd(), target)}`);
