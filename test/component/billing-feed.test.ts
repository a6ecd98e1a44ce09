import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';

import { BlobServiceClient } from '@azure/storage-blob';

import * as invoiceFeed from '../../shared/controllers/invoiceFeed.controller';
import { INVOICE_FEED_COLUMNS } from '../../shared/models/invoiceFeed.model';
import { projectRoot } from '../../shared/projectFiles';
import { call, customerWithCoupon, newCustomer, type SeededApp, startSeededApp, waitFor } from '../support/app';

let app: SeededApp;
let operator: { token: string; id: string };

beforeAll(async () => {
  app = await startSeededApp({ queues: true, blobs: true });
  operator = await app.operator();
}, 60_000);
afterAll(async () => {
  await app.stop();
});

const HEADER = INVOICE_FEED_COLUMNS.join(',');
let nextContract = 30000001;

/** One feed line; each test takes contracts of its own. */
function line(fields: Partial<Record<(typeof INVOICE_FEED_COLUMNS)[number], string>> = {}): string {
  const contract = fields.contract_number ?? String(nextContract++);
  const values = {
    contract_number: contract,
    holder_name: 'Gloria Inés Cardona',
    holder_document_type: 'CC',
    holder_document_number: '43111222',
    address: '"Calle 45 # 70-12, Laureles"',
    city: 'Medellín',
    stratum: '4',
    services: '"Energía, Acueducto"',
    invoice_number: `F-${contract}-2026-11`,
    period: '2026-11',
    issue_date: '2026-11-20',
    due_date: '2026-12-18',
    amount: '154300',
    ...fields,
  };
  return INVOICE_FEED_COLUMNS.map((column) => values[column]).join(',');
}

const feed = (...lines: string[]) => [HEADER, ...lines].join('\r\n') + '\r\n';
const run = (csv: string) =>
  invoiceFeed.importInvoices(app.services, Readable.from([Buffer.from(csv)]), {
    source: 'CLI',
    fileName: 'prueba.csv',
  });

/** The invoice's stored amount and status (bigint is a string through tedious). */
async function invoiceRow(number: string): Promise<{ amount: number; status: string } | undefined> {
  const row = (await app.services.db('invoices').where({ number }).first()) as
    { amount: unknown; status: string } | undefined;
  return row && { amount: Number(row.amount), status: row.status };
}

describe('importInvoices', () => {
  test('when the example feed is imported, then good lines are in, bad lines are reported by line number, and its contracts are searchable', async () => {
    const csv = fs.readFileSync(path.join(projectRoot(), 'docs/examples/facturas.csv'));
    const report = await invoiceFeed.importInvoices(app.services, Readable.from([csv]), {
      source: 'CLI',
      fileName: 'facturas.csv',
    });
    expect(report).toMatchObject({
      status: 'COMPLETED',
      lines: 7,
      counts: { inserted: 5, updated: 0, unchanged: 0, rejected: 2 },
    });
    expect(report.errors.map((e) => e.line)).toEqual([7, 8]);
    expect(report.errors[1]?.reason).toMatch(/^contract_number: /);

    const { found } = await customerWithCoupon(app.url, '20000003');
    expect(found.status).toBe(200);
    expect(found.body.contract.services).toBe('Energía, Gas');
    expect(found.body.invoices[0]).toMatchObject({ number: 'F-20000003-2026-11', amount: 512300, status: 'UNPAID' });

    // The same file again changes nothing.
    const before = await app.services.db('invoices').count({ n: '*' }).first();
    const again = await invoiceFeed.importInvoices(app.services, Readable.from([csv]), {
      source: 'CLI',
      fileName: 'facturas.csv',
    });
    expect(again.counts).toEqual({ inserted: 0, updated: 0, unchanged: 5, rejected: 2 });
    expect(await app.services.db('invoices').count({ n: '*' }).first()).toEqual(before);
  });

  test('when lines are malformed, then each is rejected with its reason and every good line is kept', async () => {
    const good = line();
    const report = await run(
      feed(
        good,
        line({ amount: '12.500' }),
        line({ due_date: '2026-02-30' }),
        'solo,tres,columnas',
        line({ holder_document_type: 'XX', stratum: '9' }),
        line({ amount: '"154300' }),
      ),
    );
    expect(report.counts).toEqual({ inserted: 1, updated: 0, unchanged: 0, rejected: 5 });
    expect(report.errors).toEqual([
      { line: 3, reason: 'amount: pesos enteros, sin puntos ni decimales.' },
      { line: 4, reason: 'due_date: no es una fecha real.' },
      { line: 5, reason: 'Tiene 3 columnas; se esperan 13.' },
      { line: 6, reason: 'holder_document_type: CC, CE, NIT, PA o TI. stratum: un número de 1 a 6.' },
      { line: 7, reason: 'El CSV no se puede leer desde aquí: unas comillas se abren y no se cierran.' },
    ]);
    expect(await invoiceRow(`F-${good.split(',')[0] ?? ''}-2026-11`)).toBeDefined();
  });

  test('when an unpaid invoice changes, then it is updated and its active coupons are cancelled with a notice; a paid one is never changed', async () => {
    const changing = line();
    const contract = changing.split(',')[0] ?? '';
    await run(feed(changing));
    const { customer, coupon } = await customerWithCoupon(app.url, contract);
    expect(coupon.status).toBe('ACTIVE');

    const report = await run(feed(line({ contract_number: contract, amount: '160000', due_date: '2026-12-22' })));
    expect(report.counts).toEqual({ inserted: 0, updated: 1, unchanged: 0, rejected: 0 });
    expect(await invoiceRow(`F-${contract}-2026-11`)).toMatchObject({ amount: 160000 });
    const cancelled = await call(app.url, 'GET', `/coupons/${coupon.code}`, { token: customer.token });
    expect(cancelled.body.status).toBe('CANCELLED');
    const notice = await waitFor(async () => {
      const list = await call(app.url, 'GET', '/notifications', { token: customer.token });
      return list.body.items.find((n: { kind: string }) => n.kind === 'COUPON_CANCELLED');
    });
    expect(notice.body).toContain('cambió de valor o de fecha');

    // Paid (through a new coupon), the invoice refuses any change; an invoice number of another contract too.
    const fresh = await call(app.url, 'POST', '/invoices/search', {
      token: customer.token,
      body: { contractNumber: contract },
    });
    const paid = await call(app.url, 'POST', `/invoices/${fresh.body.coupons[0].invoiceId}/pay`, {
      token: customer.token,
      body: { couponCode: fresh.body.coupons[0].code, paymentMethod: 'CARD' },
      headers: { 'Idempotency-Key': `feed-${contract}` },
    });
    expect(paid.status).toBe(201);
    const refused = await run(
      feed(
        line({ contract_number: contract, amount: '1' }),
        line({ invoice_number: `F-${contract}-2026-11` }),
        line({ contract_number: contract }),
      ),
    );
    expect(refused.counts).toEqual({ inserted: 0, updated: 0, unchanged: 0, rejected: 3 });
    expect(refused.errors.map((e) => e.reason)).toEqual([
      `La factura F-${contract}-2026-11 está pagada: no se puede cambiar.`,
      `La factura F-${contract}-2026-11 ya existe en otro contrato.`,
      `La factura F-${contract}-2026-11 está pagada: no se puede cambiar.`,
    ]);
    expect(await invoiceRow(`F-${contract}-2026-11`)).toMatchObject({ amount: 160000, status: 'PAID' });
  });

  test('when a followed contract gets a new invoice, then its follower is told once (INVOICE_ISSUED), however often the feed runs', async () => {
    const first = line();
    const contract = first.split(',')[0] ?? '';
    await run(feed(first));
    const customer = await newCustomer(app.url);
    await call(app.url, 'POST', '/invoices/search', { token: customer.token, body: { contractNumber: contract } });
    app.clock.advance(60_000);

    const december = line({ contract_number: contract, invoice_number: `F-${contract}-2026-12`, period: '2026-12' });
    await run(feed(first, december));
    await run(feed(first, december));
    const issued = await waitFor(async () => {
      const list = await call(app.url, 'GET', '/notifications', { token: customer.token });
      const found = list.body.items.filter((n: { kind: string }) => n.kind === 'INVOICE_ISSUED');
      return found.length > 0 && found;
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const list = await call(app.url, 'GET', '/notifications', { token: customer.token });
    expect(list.body.items.filter((n: { kind: string }) => n.kind === 'INVOICE_ISSUED')).toHaveLength(1);
    expect(issued[0]).toMatchObject({ invoiceNumber: `F-${contract}-2026-12`, contractNumber: contract });
  });

  test('when two lines of one contract carry different holder data, then the later line wins, and a second run of the file changes nothing', async () => {
    const october = line({ address: '"Carrera 80 # 30-15, Belén"', invoice_number: 'PENDING', period: '2026-10' });
    const contract = october.split(',')[0] ?? '';
    const file = feed(
      october.replace('PENDING', `F-${contract}-2026-10`),
      line({ contract_number: contract }), // the November line: the address of line() ("Calle 45 # 70-12")
    );
    const addressOf = async () => {
      const row: { address: string } | undefined = await app.services
        .db('contracts')
        .where({ number: contract })
        .first('address');
      return row?.address;
    };
    await run(file);
    expect(await addressOf()).toBe('Calle 45 # 70-12, Laureles');
    // Again: the October line differs from what is stored, but the November line after it is what is stored.
    const updates: string[] = [];
    const listener = (query: { sql: string }) => {
      if (/^update\s+\W?contracts\W?\s/i.test(query.sql)) updates.push(query.sql);
    };
    app.services.db.on('query', listener);
    try {
      expect(await run(file)).toMatchObject({ counts: { inserted: 0, updated: 0, unchanged: 2, rejected: 0 } });
    } finally {
      app.services.db.off('query', listener);
    }
    expect(await addressOf()).toBe('Calle 45 # 70-12, Laureles');
    expect(updates).toEqual([]);
  });

  test('when the file is not the feed (wrong header), then the run is FAILED with the reason and nothing is imported', async () => {
    await expect(run('numero,valor\n1,2\n')).rejects.toMatchObject({ code: 'IMPORT_FILE_INVALID' });
    const failed = await app.services.db('invoice_imports').where({ status: 'FAILED' }).first();
    expect(failed).toMatchObject({ status: 'FAILED' });
    expect(failed.error).toContain('encabezado');
  });

  test('when a CSV is dropped in the invoice-imports container, then the blob trigger imports it and the operator reads the report', async () => {
    const dropped = line();
    const contract = dropped.split(',')[0] ?? '';
    const container = BlobServiceClient.fromConnectionString(process.env.AzureWebJobsStorage ?? '').getContainerClient(
      'invoice-imports',
    );
    await container.createIfNotExists();
    await container.getBlockBlobClient(`facturacion-${contract}.csv`).uploadData(Buffer.from(feed(dropped)));
    const run = await waitFor(() =>
      app.services
        .db('invoice_imports')
        .where({ file_name: `facturacion-${contract}.csv`, status: 'COMPLETED' })
        .first(),
    );
    const report = await call(app.url, 'GET', `/operator/imports/${run.id}`, { token: operator.token });
    expect(report.body).toMatchObject({ source: 'BLOB', status: 'COMPLETED', counts: { inserted: 1, rejected: 0 } });
    expect(await invoiceRow(`F-${contract}-2026-11`)).toBeDefined();

    const customer = await newCustomer(app.url);
    const forbidden = await call(app.url, 'GET', `/operator/imports/${run.id}`, { token: customer.token });
    expect(forbidden.status).toBe(403);
    const audit = await call(app.url, 'GET', '/operator/audit', { token: operator.token });
    expect(audit.body.items.map((e: { action: string }) => e.action)).toContain('IMPORT_VIEWED');
  });
});
