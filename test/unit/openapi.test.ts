import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { registry } from '../../local/functionsCore';
import { documentedRoutes, renderOpenApi } from '../../scripts/generate-openapi';
import type { RouteContract } from '../../shared/http/openapi';
import { projectRoot } from '../../shared/projectFiles';
import { sourceFunctionFiles } from '../support/app';

beforeAll(() => {
  for (const file of sourceFunctionFiles()) require(file);
});

const committed = () => fs.readFileSync(path.join(projectRoot(), 'openapi.json'), 'utf8');

describe('the OpenAPI document', () => {
  test('when the routes or their schemas change, then the committed openapi.json must be regenerated (npm run openapi)', () => {
    expect(committed()).toBe(renderOpenApi());
  });

  test('it is a valid OpenAPI 3.1 document (@apidevtools/swagger-parser)', () => {
    const result = execFileSync(
      process.execPath,
      [path.join(__dirname, '../support/validate-openapi.cjs'), path.join(projectRoot(), 'openapi.json')],
      { cwd: projectRoot() },
    ).toString();
    expect(JSON.parse(result)).toEqual({ valid: true, openapi: '3.1.0' });
  });

  test('every registered HTTP function is in it, under its own operationId', () => {
    const doc = JSON.parse(committed()) as { paths: Record<string, Record<string, { operationId: string }>> };
    const operations = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    const httpFunctions = [...registry().functions.values()]
      .filter((fn) => Object.values(fn.metadata.bindings).some((b) => b.type === 'httpTrigger'))
      .filter((fn) => !(fn.callback as { contract?: RouteContract }).contract?.doc?.hidden)
      .map((fn) => fn.metadata.name);
    expect(operations.sort()).toEqual(httpFunctions.sort());
    expect(documentedRoutes()).toHaveLength(httpFunctions.length);
  });

  test('protected routes declare the bearer scheme, payments the Idempotency-Key header, and errors their codes', () => {
    const doc = JSON.parse(committed());
    const pay = doc.paths['/invoices/{invoiceId}/pay'].post;
    expect(pay.security).toEqual([{ bearerAuth: [] }]);
    expect(pay.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true })]),
    );
    expect(pay.responses['409'].content['application/problem+json'].schema.allOf[1].properties.code.enum).toEqual(
      expect.arrayContaining(['INVOICE_ALREADY_PAID', 'COUPON_ALREADY_USED', 'IDEMPOTENCY_REQUEST_IN_PROGRESS']),
    );
    expect(doc.paths['/health'].get.security).toEqual([]);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/coupons'].get.parameters.map((p: { name: string }) => p.name)).toEqual([
      'status',
      'cursor',
      'limit',
    ]);
  });

  test('the committed TypeScript client types match the document (openapi-typescript)', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'api-types-')), 'api.d.ts');
    execFileSync(
      process.execPath,
      [
        path.join(projectRoot(), 'node_modules/openapi-typescript/bin/cli.js'),
        path.join(projectRoot(), 'openapi.json'),
        '--output',
        out,
      ],
      { stdio: 'pipe' },
    );
    expect(fs.readFileSync(path.join(projectRoot(), 'client/api.d.ts'), 'utf8')).toBe(fs.readFileSync(out, 'utf8'));
  });
});
