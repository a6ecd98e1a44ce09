import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { type Browser, chromium } from 'playwright-core';

import { seedDemoData } from '../../scripts/demoData';
import { call, newCustomer, startTestApp, type TestApp, waitFor } from '../support/app';

/**
 * A person paying two invoices in one checkout, in Debian's Chromium (playwright-core, no browser
 * download): the app's gateway sandbox serves the checkout page, the browser clicks "Aprobar",
 * the sandbox sends the signed event over HTTP and sends the browser back to the return URL.
 * Skipped, saying so, only where no Chromium is installed (.ci/run installs it).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`SKIPPING the checkout browser test: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
const describeWithBrowser = hasChromium ? describe : describe.skip;

describeWithBrowser('paying at the sandbox checkout in a real browser', () => {
  let app: TestApp;
  let browser: Browser;

  let frontend: http.Server;
  let frontendUrl = '';

  beforeAll(async () => {
    // The frontend's return page, which the gateway sends the customer back to.
    frontend = http.createServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      response.end('<p>De vuelta en Cuponeras</p>');
    });
    await new Promise<void>((resolve) => frontend.listen(0, '127.0.0.1', resolve));
    frontendUrl = `http://127.0.0.1:${(frontend.address() as AddressInfo).port}/pagos/resultado`;
    process.env.PAYMENT_RETURN_URL = frontendUrl;
    app = await startTestApp({ queues: true });
    await seedDemoData(app.services.db, { now: app.clock.now() });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    frontend?.close();
    delete process.env.PAYMENT_RETURN_URL;
  });

  test('when a customer pays two invoices in one checkout and approves, then the payment is APPROVED, both invoices PAID and a receipt arrives for each', async () => {
    const customer = await newCustomer(app.url);
    const coupons = [];
    for (const contractNumber of ['10000021', '10000022']) {
      const found = await call(app.url, 'POST', '/invoices/search', {
        token: customer.token,
        body: { contractNumber },
      });
      coupons.push(found.body.coupons[0]);
    }
    const created = await call(app.url, 'POST', '/payments', {
      token: customer.token,
      body: { couponCodes: coupons.map((c) => c.code), paymentMethod: 'PSE' },
      headers: { 'Idempotency-Key': randomUUID() },
    });
    expect(created.status).toBe(201);

    const page = await browser.newPage();
    await page.goto(created.body.checkoutUrl);
    expect(await page.textContent('#reference')).toBe(created.body.reference);
    await page.selectOption('select[name="payment-method"]', 'PSE');
    const landed = page.waitForURL((url) => url.href.startsWith(frontendUrl), { timeout: 20_000 });
    await page.click('button[value="APPROVED"]');
    await landed;
    const back = new URL(page.url());
    expect(back.searchParams.get('id')).toMatch(/^sbx-/);

    const payment = await waitFor(async () => {
      const res = await call(app.url, 'GET', `/payments/${created.body.id}`, { token: customer.token });
      return res.body.status === 'APPROVED' ? res.body : undefined;
    });
    expect(payment.transactionIds).toHaveLength(2);
    expect(payment.gatewayTransactionId).toBe(back.searchParams.get('id'));
    for (const coupon of coupons) {
      const row = await app.services.db('invoices').where({ id: coupon.invoiceId }).first('status');
      expect(row.status).toBe('PAID');
    }
    // One receipt per invoice, each in the customer's outbox folder.
    const outboxDir = app.services.config.email.outboxDir;
    const receipts = await waitFor(() => {
      const files = fs.existsSync(outboxDir) ? fs.readdirSync(outboxDir).filter((f) => f.endsWith('.eml')) : [];
      const mine = files
        .map((f) => fs.readFileSync(path.join(outboxDir, f), 'utf8'))
        .filter((eml) => eml.includes(`<${customer.email}>`) && eml.includes('Content-Type: application/pdf'));
      // Only receipts carry a PDF here: the verification email has none.
      return mine.length >= 2 ? mine : undefined;
    });
    expect(receipts).toHaveLength(2);
    await page.close();
  }, 60_000);
});
