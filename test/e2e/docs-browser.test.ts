import fs from 'node:fs';
import path from 'node:path';

import { type Browser, chromium } from 'playwright-core';

import { projectRoot } from '../../shared/projectFiles';
import { startTestApp, type TestApp } from '../support/app';

/**
 * A real browser on the docs page: Debian's Chromium driven by playwright-core (no browser
 * download). Skipped, saying so, only where no Chromium is installed (.ci/run installs it).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(
    `SKIPPING the browser test: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );
const describeWithBrowser = hasChromium ? describe : describe.skip;

describeWithBrowser('the API reference page in a real browser', () => {
  let app: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    app = await startTestApp({ queues: false });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  test('when /api/docs is opened, then every route is listed and "Try it out" runs a request against the app', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1800 } });
    const offline: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(app.url.replace(/\/api$/, ''))) offline.push(request.url());
    });
    await page.goto(`${app.url}/docs`);
    await page.waitForSelector('.opblock-summary-path', { timeout: 20_000 });
    const listed = await page.$$eval('.opblock-summary-path', (nodes) =>
      nodes.map((n) => n.getAttribute('data-path') ?? n.textContent ?? ''),
    );
    // Every documented route, the operator console and the screens' routes included.
    const documented = Object.keys(
      (JSON.parse(fs.readFileSync(path.join(projectRoot(), 'openapi.json'), 'utf8')) as { paths: object }).paths,
    );
    expect(documented).toEqual(
      expect.arrayContaining(['/operator/transactions', '/operator/contracts/{contractNumber}', '/contracts']),
    );
    expect(listed).toEqual(expect.arrayContaining(documented));

    await page.click('#operations-Sistema-health .opblock-summary');
    // tryItOutEnabled: the request form is open at once, "Execute" runs it.
    await page.click('#operations-Sistema-health .execute');
    await page.waitForSelector('#operations-Sistema-health .live-responses-table tbody .response-col_status', {
      timeout: 15_000,
    });
    const status = await page.textContent(
      '#operations-Sistema-health .live-responses-table tbody .response-col_status',
    );
    expect(status?.trim()).toBe('200');
    const body = await page.textContent('#operations-Sistema-health .live-responses-table .microlight');
    expect(body).toContain('"database"');

    const artifacts = path.join(projectRoot(), 'test-artifacts');
    fs.mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'docs-page.png'), fullPage: false });
    expect(offline).toEqual([]); // no CDN: every asset came from the app
  }, 60_000);
});
