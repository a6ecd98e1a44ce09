import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';

import { highMonthOf } from '../../scripts/demoBill';
import * as invoiceFeed from '../../shared/controllers/invoiceFeed.controller';
import { importInvoiceLines } from '../../shared/controllers/invoiceLineFeed.controller';
import { dianQrText } from '../../shared/formats/dianQr';
import { INVOICE_FEED_COLUMNS } from '../../shared/models/invoiceFeed.model';
import { projectRoot } from '../../shared/projectFiles';
import { call, newCustomer, type SeededApp, startSeededApp, waitFor } from '../support/app';

let app: SeededApp;
let operator: { token: string; id: string };

beforeAll(async () => {
  app = await startSeededApp({ queues: true, blobs: true });
  operator = await app.operator();
  await invoiceFeed.importInvoices(
    app.services,
    Readable.from([fs.readFileSync(path.join(projectRoot(), 'docs/examples/facturas.csv'))]),
    { source: 'CLI', fileName: 'facturas.csv' },
  );
}, 60_000);
afterAll(async () => {
  await app.stop();
});

const LINES_HEADER = 'invoice_number,service,concept,unit,quantity,amount';
const exampleLines = () => fs.readFileSync(path.join(projectRoot(), 'docs/examples/lineas-factura.csv'));
const importLines = (csv: string | Buffer) =>
  importInvoiceLines(app.services, Readable.from([Buffer.from(csv)]), { source: 'CLI', fileName: 'lineas.csv' });

/** A customer who looked the contract up (the access rule of the invoice routes) and its invoices. */
async function customerOf(contractNumber: string) {
  const customer = await newCustomer(app.url);
  const found = await call(app.url, 'POST', '/invoices/search', {
    token: customer.token,
    body: { contractNumber },
  });
  expect(found.status).toBe(200);
  return { customer, found: found.body };
}

async function uploadLines(csv: string | Buffer) {
  const queued = await call(app.url, 'POST', '/operator/imports/invoice-lines', {
    token: operator.token,
    raw: csv.toString(),
    headers: { 'Content-Type': 'text/csv' },
  });
  expect(queued.status).toBe(202);
  return waitFor(async () => {
    const report = await call(app.url, 'GET', `/operator/imports/${queued.body.importId}`, { token: operator.token });
    return report.body.status === 'COMPLETED' || report.body.status === 'FAILED' ? report.body : undefined;
  });
}

const storedLines = async (invoiceNumber: string) =>
  (
    await app.services
      .db('invoice_lines as l')
      .join('invoices as i', 'i.id', 'l.invoice_id')
      .where('i.number', invoiceNumber)
      .orderBy('l.line_no')
      .select('l.concept', 'l.amount')
  ).map((row: { concept: string; amount: unknown }) => `${row.concept}:${Number(row.amount)}`);

describe('the service-lines feed', () => {
  test('when the example lines file is uploaded, then the invoices that add up get their lines, and the ones that do not are rejected line by line', async () => {
    const report = await uploadLines(exampleLines());
    expect(report).toMatchObject({
      feed: 'invoice-lines',
      source: 'UPLOAD',
      status: 'COMPLETED',
      lines: 19,
      counts: { inserted: 14, updated: 0, unchanged: 0, rejected: 5 },
    });
    expect(report.errors.map((e: { line: number }) => e.line)).toEqual([16, 17, 18, 19, 20]);
    expect(report.errors.find((e: { line: number }) => e.line === 16).reason).toBe(
      'Las líneas de la factura F-20000005-2026-11 suman $ 78.120 y la factura es de $ 76.540.',
    );
    expect(report.errors.find((e: { line: number }) => e.line === 20).reason).toMatch(/^unit: kWh, m3 o vacío/);
    expect(await storedLines('F-20000005-2026-11')).toEqual([]);
    expect(await storedLines('F-20000003-2026-11')).toEqual([]);

    const { customer, found } = await customerOf('20000001');
    const invoice = found.invoices.find((i: { number: string }) => i.number === 'F-20000001-2026-11');
    const detail = await call(app.url, 'GET', `/invoices/${invoice.id}`, { token: customer.token });
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ id: invoice.id, number: 'F-20000001-2026-11', amount: 187450 });
    expect(detail.body.lines).toHaveLength(6);
    expect(detail.body.lines[0]).toEqual({
      service: 'ENERGIA',
      serviceLabel: 'Energía',
      concept: 'Consumo energía',
      unit: 'kWh',
      unitLabel: 'kWh',
      quantity: 118,
      amount: 107616,
    });
    expect(detail.body.lines[2]).toMatchObject({ service: 'ACUEDUCTO', unitLabel: 'm³', quantity: 9.5 });
    expect(detail.body.lines.reduce((sum: number, l: { amount: number }) => sum + l.amount, 0)).toBe(187450);
    // Search results keep their shape: no lines there.
    expect(invoice.lines).toBeUndefined();

    // The same file again changes nothing; the audit says who uploaded it.
    const again = await uploadLines(exampleLines());
    expect(again.counts).toEqual({ inserted: 0, updated: 0, unchanged: 14, rejected: 5 });
    const audit = await call(app.url, 'GET', '/operator/audit', { token: operator.token });
    expect(audit.body.items.map((e: { action: string }) => e.action)).toContain('INVOICE_LINES_UPLOADED');
  });

  test('when an unpaid invoice gets new lines, then they replace the old ones; once paid, its lines are refused', async () => {
    await importLines(exampleLines());
    const replaced = await importLines(
      [
        LINES_HEADER,
        'F-20000004-2026-11,ENERGIA,Consumo energía,kWh,100.000,91200',
        'F-20000004-2026-11,ENERGIA,Subsidio estrato 3,,,-13680',
        'F-20000004-2026-11,OTROS,Reconexión,,,21240',
      ].join('\n'),
    );
    expect(replaced.counts).toEqual({ inserted: 0, updated: 3, unchanged: 0, rejected: 0 });
    expect(await storedLines('F-20000004-2026-11')).toEqual([
      'Consumo energía:91200',
      'Subsidio estrato 3:-13680',
      'Reconexión:21240',
    ]);

    const { customer, found } = await customerOf('20000004');
    const coupon = found.coupons[0];
    const paid = await call(app.url, 'POST', `/invoices/${coupon.invoiceId}/pay`, {
      token: customer.token,
      body: { couponCode: coupon.code, paymentMethod: 'CARD' },
      headers: { 'Idempotency-Key': 'lines-20000004' },
    });
    expect(paid.status).toBe(201);
    const refused = await importLines(exampleLines());
    expect(refused.errors.filter((e) => e.reason.includes('F-20000004-2026-11'))).toEqual([
      { line: 13, reason: 'La factura F-20000004-2026-11 está pagada: sus líneas no se cambian.' },
      { line: 14, reason: 'La factura F-20000004-2026-11 está pagada: sus líneas no se cambian.' },
      { line: 15, reason: 'La factura F-20000004-2026-11 está pagada: sus líneas no se cambian.' },
    ]);
    expect(await storedLines('F-20000004-2026-11')).toHaveLength(3);
  });

  test('when the same lines are imported twice at once, then the invoice holds them once', async () => {
    const csv = [
      LINES_HEADER,
      'F-20000002-2026-11,ENERGIA,Consumo energía,kWh,170.000,155040',
      'F-20000002-2026-11,ACUEDUCTO,Consumo acueducto,m3,20.000,69600',
      'F-20000002-2026-11,ALUMBRADO,Alumbrado público,,,19260',
    ].join('\n');
    const reports = await Promise.all([importLines(csv), importLines(csv), importLines(csv)]);
    for (const report of reports) expect(report.status).toBe('COMPLETED');
    expect(await storedLines('F-20000002-2026-11')).toEqual([
      'Consumo energía:155040',
      'Consumo acueducto:69600',
      'Alumbrado público:19260',
    ]);
  });

  test('when an invoice’s lines come apart in the file, then the later ones are rejected and the first group stands', async () => {
    const report = await importLines(
      [
        LINES_HEADER,
        'F-20000002-2026-11,ENERGIA,Consumo energía,kWh,170.000,243900',
        'F-20000001-2026-11,ENERGIA,Consumo energía,kWh,118.000,187450',
        'F-20000002-2026-11,OTROS,Ajuste,,,0',
      ].join('\n'),
    );
    expect(report.counts.inserted + report.counts.updated).toBe(2);
    expect(report.counts.rejected).toBe(1);
    expect(report.errors).toEqual([
      {
        line: 4,
        reason: 'Las líneas de la factura F-20000002-2026-11 van juntas: ya vinieron desde la línea 2 de este archivo.',
      },
    ]);
    expect(await storedLines('F-20000002-2026-11')).toEqual(['Consumo energía:243900']);
  });

  test('when a lines file is not the feed, then the run fails with the reason and nothing changes', async () => {
    const report = await uploadLines('invoice_number,service,amount\nF-20000001-2026-11,ENERGIA,1\n');
    expect(report.status).toBe('FAILED');
    expect(report.error).toContain('invoice_number,service,concept,unit,quantity,amount');
    const empty = await call(app.url, 'POST', '/operator/imports/invoice-lines', {
      token: (await newCustomer(app.url)).token,
      raw: LINES_HEADER,
      headers: { 'Content-Type': 'text/csv' },
    });
    expect(empty.status).toBe(403);
  });
});

describe('the invoice detail and the consumption of a demo contract', () => {
  const contract = '10000003';

  test('when a customer reads a demo invoice, then its lines add up to its amount, and consumption gives six periods oldest first with the high month', async () => {
    const { customer, found } = await customerOf(contract);
    const current = found.invoices[0];
    const detail = await call(app.url, 'GET', `/invoices/${current.id}`, { token: customer.token });
    expect(detail.body.lines.length).toBeGreaterThan(3);
    expect(detail.body.lines.reduce((sum: number, l: { amount: number }) => sum + l.amount, 0)).toBe(current.amount);
    expect(detail.body.cude).toMatch(/^[0-9a-f]{96}$/);

    const consumption = await call(app.url, 'GET', `/contracts/${contract}/consumption`, { token: customer.token });
    expect(consumption.status).toBe(200);
    const energy = consumption.body.services.find((s: { service: string }) => s.service === 'ENERGIA');
    expect(energy).toMatchObject({ serviceLabel: 'Energía', unit: 'kWh', unitLabel: 'kWh' });
    const periods = energy.periods.map((p: { period: string }) => p.period);
    expect(periods).toHaveLength(6);
    expect([...periods].sort()).toEqual(periods);
    expect(periods[5]).toBe(current.period);
    const quantities: number[] = energy.periods.map((p: { quantity: number }) => p.quantity);
    const high = quantities[5 - highMonthOf(Number(contract))] ?? 0;
    const others = quantities.filter((q) => q !== high);
    expect(high).toBeGreaterThan(1.3 * Math.max(...others));

    const three = await call(app.url, 'GET', `/contracts/${contract}/consumption?periods=3`, { token: customer.token });
    expect(three.body.services[0].periods.map((p: { period: string }) => p.period)).toEqual(periods.slice(3));
  });

  test('when someone else asks, then the invoice and the consumption are not found; an operator sees any contract; bad periods are refused', async () => {
    const { found } = await customerOf(contract);
    const stranger = await newCustomer(app.url);
    const invoice = await call(app.url, 'GET', `/invoices/${found.invoices[0].id}`, { token: stranger.token });
    expect(invoice.status).toBe(404);
    expect(invoice.body.code).toBe('INVOICE_NOT_FOUND');
    const consumption = await call(app.url, 'GET', `/contracts/${contract}/consumption`, { token: stranger.token });
    expect(consumption.status).toBe(404);
    expect(consumption.body.code).toBe('CONTRACT_NOT_FOUND');
    const unknown = await call(app.url, 'GET', '/contracts/99999998/consumption', { token: operator.token });
    expect(unknown.status).toBe(404);
    const asOperator = await call(app.url, 'GET', `/contracts/${contract}/consumption`, { token: operator.token });
    expect(asOperator.status).toBe(200);
    expect(asOperator.body.services.length).toBeGreaterThan(0);
    const tooMany = await call(app.url, 'GET', `/contracts/${contract}/consumption?periods=37`, {
      token: operator.token,
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.headers.get('content-type')).toContain('application/problem+json');
    const anonymous = await call(app.url, 'GET', `/contracts/${contract}/consumption`);
    expect(anonymous.status).toBe(401);
  });
});

describe('the CUDE of the invoice feed', () => {
  const header = [...INVOICE_FEED_COLUMNS, 'cude'].join(',');
  const cude = 'ab'.repeat(48);
  const row = (contract: string, value: string) =>
    `${contract},Gloria Inés Cardona,CC,43111222,"Calle 45 # 70-12, Laureles",Medellín,4,Energía,F-${contract}-2026-11,2026-11,2026-11-20,2026-12-18,154300,${value}`;
  const run = (csv: string) =>
    invoiceFeed.importInvoices(app.services, Readable.from([Buffer.from(csv)]), { source: 'CLI', fileName: 'c.csv' });
  const cudeOf = async (number: string) =>
    (await app.services.db<{ number: string; cude: string | null }>('invoices').where({ number }).first('cude'))?.cude;

  test('when the feed carries a cude column, then the invoice keeps it; a file without the column leaves it; a bad one is refused', async () => {
    const report = await run([header, row('30100001', cude), row('30100002', ''), row('30100003', 'xyz')].join('\n'));
    expect(report.counts).toMatchObject({ inserted: 2, rejected: 1 });
    expect(report.errors).toEqual([{ line: 4, reason: 'cude: 96 caracteres hexadecimales (SHA-384), o vacío.' }]);
    expect(await cudeOf('F-30100001-2026-11')).toBe(cude);
    expect(await cudeOf('F-30100002-2026-11')).toBeNull();

    // The file without the column: the CUDE stays; the same line with another CUDE updates it.
    const without = await run([INVOICE_FEED_COLUMNS.join(','), row('30100001', '').replace(/,$/, '')].join('\n'));
    expect(without.counts).toMatchObject({ unchanged: 1 });
    expect(await cudeOf('F-30100001-2026-11')).toBe(cude);
    const changed = await run([header, row('30100001', 'CD'.repeat(48))].join('\n'));
    expect(changed.counts).toMatchObject({ updated: 1 });
    expect(await cudeOf('F-30100001-2026-11')).toBe('cd'.repeat(48));

    const { customer, found } = await customerOf('30100001');
    expect(found.invoices[0].cude).toBe('cd'.repeat(48));
    expect((await call(app.url, 'GET', `/invoices/${found.invoices[0].id}`, { token: customer.token })).body.cude).toBe(
      'cd'.repeat(48),
    );
    const wrongHeader = await run([`${INVOICE_FEED_COLUMNS.join(',')},qr`, row('30100004', cude)].join('\n')).catch(
      (error: Error) => error,
    );
    expect(wrongHeader).toBeInstanceOf(Error);
  });
});

/**
 * The printed invoice, looked at as a person would: rendered to images by poppler's pdftoppm
 * and its QR code read by zbarimg (Debian's poppler-utils and zbar-tools; .ci/run installs them).
 */
const hasTools = ['pdftoppm', 'zbarimg'].every((tool) => {
  try {
    execFileSync('which', [tool], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});
if (!hasTools && process.env.INFRA_CHECKS_REQUIRED === 'true')
  throw new Error('pdftoppm and zbarimg are required here (apt-get install poppler-utils zbar-tools)');
if (!hasTools) console.warn('SKIPPING the invoice PDF image test: apt-get install poppler-utils zbar-tools');
const describeWithTools = hasTools ? describe : describe.skip;

/** A PPM (P6) image as pdftoppm writes it: width, height and RGB bytes. */
function readPpm(file: string): { width: number; height: number; pixel(x: number, y: number): number[] } {
  const data = fs.readFileSync(file);
  const header = data.subarray(0, 20).toString('latin1').split(/\s+/);
  const [width, height] = [Number(header[1]), Number(header[2])];
  const start = data.indexOf('255\n') + 4;
  return {
    width,
    height,
    pixel: (x, y) => [...data.subarray(start + (y * width + x) * 3, start + (y * width + x) * 3 + 3)],
  };
}

describeWithTools('the invoice PDF', () => {
  test('when a demo invoice is printed, then page 2 shows its lines and a chart with bars and its average, and page 1 the CUDE in a QR code DIAN can read', async () => {
    const { customer, found } = await customerOf('10000003');
    const invoice = found.invoices[0];
    const pdf = await fetch(`${app.url}/invoices/${invoice.id}/pdf`, {
      headers: { Authorization: `Bearer ${customer.token}` },
    });
    expect(pdf.status).toBe(200);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'invoice-pdf-'));
    const file = path.join(dir, 'factura.pdf');
    fs.writeFileSync(file, Buffer.from(await pdf.arrayBuffer()));

    // Page 1: the QR code holds DIAN's fields and the CUDE's catalogue address.
    execFileSync('pdftoppm', ['-r', '150', '-f', '1', '-l', '1', '-png', '-singlefile', file, path.join(dir, 'p1')]);
    const qr = execFileSync('zbarimg', ['-q', '--raw', '-Sdisable', '-Sqrcode.enable', path.join(dir, 'p1.png')])
      .toString()
      .trim();
    expect(qr).toBe(
      dianQrText({ number: invoice.number, issueDate: invoice.issueDate, amount: invoice.amount, cude: invoice.cude }),
    );

    // Page 2: the chart region (the lower part of the page) has the current period's green bar,
    // the other periods' grey bars and the red dashed average.
    execFileSync('pdftoppm', ['-r', '50', '-f', '2', '-l', '2', '-singlefile', file, path.join(dir, 'p2')]);
    const page = readPpm(path.join(dir, 'p2.ppm'));
    const counts = { green: 0, grey: 0, red: 0 };
    for (let y = Math.floor(page.height * 0.35); y < page.height; y++)
      for (let x = 0; x < page.width; x++) {
        const [r = 0, g = 0, b = 0] = page.pixel(x, y);
        if (r < 40 && g > 110 && g < 155 && b > 40 && b < 85) counts.green++;
        else if (Math.abs(r - 0x9a) < 12 && Math.abs(g - 0xa5) < 12 && Math.abs(b - 0xa0) < 12) counts.grey++;
        else if (r > 170 && g < 90 && b < 80) counts.red++;
      }
    expect(counts.green).toBeGreaterThan(50);
    expect(counts.grey).toBeGreaterThan(5 * 50);
    expect(counts.red).toBeGreaterThan(10);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('when an invoice has no lines, then its PDF is the one page it was', async () => {
    const { customer, found } = await customerOf('20000005');
    const pdf = await fetch(`${app.url}/invoices/${found.invoices[0].id}/pdf`, {
      headers: { Authorization: `Bearer ${customer.token}` },
    });
    const text = Buffer.from(await pdf.arrayBuffer()).toString('latin1');
    expect(text.match(/\/Type \/Page\b/g)).toHaveLength(1);
  });
});
