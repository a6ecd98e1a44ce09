import fs from 'node:fs';
import path from 'node:path';

import type { BlobStore } from '../../shared/clients/blob.client';
import { collectionFileText } from '../../shared/formats/asobancaria';
import { projectRoot } from '../../shared/projectFiles';
import { setServices } from '../../shared/services';
import { call, type SeededApp, startSeededApp, waitFor } from '../support/app';

/** The one operator upload path (shared/fileUpload.ts), as each of its three feeds takes it. */
let app: SeededApp;
let operator: { token: string; id: string };

beforeAll(async () => {
  app = await startSeededApp({ queues: true, blobs: true });
  operator = await app.operator();
}, 60_000);
afterAll(async () => {
  await app.stop();
});

const example = (name: string) => fs.readFileSync(path.join(projectRoot(), 'docs', 'examples', name), 'utf8');

const uploads = [
  {
    route: '/operator/imports/invoices',
    contentType: 'text/csv',
    file: () => example('facturas.csv'),
    runs: 'invoice_imports',
    report: (id: string) => `/operator/imports/${id}`,
    idOf: (body: { importId: string }) => body.importId,
  },
  {
    route: '/operator/imports/invoice-lines',
    contentType: 'text/csv',
    file: () => example('lineas-factura.csv'),
    runs: 'invoice_imports',
    report: (id: string) => `/operator/imports/${id}`,
    idOf: (body: { importId: string }) => body.importId,
  },
  {
    route: '/operator/collections',
    contentType: 'text/plain',
    // A file of its own (no record matches a coupon): the collection is applied and reported.
    file: () =>
      collectionFileText({
        header: { collectionDate: '2026-11-30', bankCode: '051' },
        batches: [{ details: [{ reference: '000000000777', amountCents: 1_000_000, authorization: '777001' }] }],
      }),
    runs: 'collection_files',
    report: (id: string) => `/operator/collections/${id}`,
    idOf: (body: { collectionId: string }) => body.collectionId,
  },
];

describe.each(uploads)('an operator upload to $route', (upload) => {
  test('when the storage fails, then 503 with Retry-After and no run is left waiting for a file; the same file uploads afterwards', async () => {
    const realBlobs = app.services.blobs;
    const failing: BlobStore = {
      ...realBlobs,
      upload: async () => {
        throw new Error('storage account unreachable');
      },
    };
    const before = await app.services.db(upload.runs).where({ status: 'QUEUED' }).count({ n: '*' }).first();
    setServices({ blobs: failing });
    let refused;
    try {
      refused = await call(app.url, 'POST', upload.route, {
        token: operator.token,
        raw: upload.file(),
        headers: { 'Content-Type': upload.contentType },
      });
    } finally {
      setServices({ blobs: realBlobs });
    }
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.headers.get('retry-after')).toBe('30');
    expect(refused.body.code).toBe('SERVICE_UNAVAILABLE');
    const after = await app.services.db(upload.runs).where({ status: 'QUEUED' }).count({ n: '*' }).first();
    expect(Number(after?.n)).toBe(Number(before?.n));

    const accepted = await call(app.url, 'POST', upload.route, {
      token: operator.token,
      raw: upload.file(),
      headers: { 'Content-Type': upload.contentType },
    });
    expect(accepted.status).toBe(202);
    const id = upload.idOf(accepted.body);
    const report = await waitFor(async () => {
      const res = await call(app.url, 'GET', upload.report(id), { token: operator.token });
      return res.body.status === 'COMPLETED' && res.body;
    });
    expect(report).toMatchObject({ id, source: 'UPLOAD' });
    const row = await app.services.db(upload.runs).where({ id }).first('file_name');
    expect(row.file_name).toMatch(new RegExp(`^${id}\\.(csv|txt)$`, 'i'));
  });
});
