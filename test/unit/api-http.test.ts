import fs from 'node:fs';
import path from 'node:path';

import { projectRoot } from '../../shared/projectFiles';

// api.http holds one runnable request per route: it must not fall behind the OpenAPI document.
test('api.http has a request for every documented operation', () => {
  const requests = fs
    .readFileSync(path.join(projectRoot(), 'api.http'), 'utf8')
    .split('\n')
    .map((line) => /^(GET|POST|PUT|PATCH|DELETE) \{\{base\}\}(\S+)/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]} ${(m[2] ?? '').split('?')[0]?.replace(/\{\{[^}]+\}\}/g, '{}')}`);
  const doc = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'openapi.json'), 'utf8')) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const operations = Object.entries(doc.paths).flatMap(([p, item]) =>
    Object.keys(item).map((m) => `${m.toUpperCase()} ${p.replace(/\{[^}]+\}/g, '{}')}`),
  );
  for (const operation of operations) expect(requests).toContain(operation);
});
