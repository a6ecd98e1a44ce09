import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { seedDemoData, seedUnpaidContracts } from '../scripts/demoData';
import * as coupons from '../shared/controllers/coupon.controller';
import { disposeServices, services } from '../shared/services';
import { migrateLatest } from '../sql/migrator';
import { benchCrash, type CrashFigures } from './crash';
import { benchEngines } from './engines';
import { benchGateway } from './gateway';
import { benchImports } from './imports';
import { captureStatements, type PaymentKeys, startPayFloor, startSearchFloor, untilQuiet } from './payFloor';
import { benchRatios, type Ratio, ratioTable } from './ratios';
import { benchScale } from './scale';
import { percentile } from './stats';
import { pool, startBenchHost, timed, withSettingsRestored } from './support';

/**
 * npm run bench: on-demand measurements of the paths that matter, on this machine, through the
 * real local host (HTTP, SQLite, Azurite). Not part of npm test. Results go to bench/results/
 * and the numbers worth keeping to bench/RESULTS.md.
 *
 *   BENCH_PAYMENTS=400 BENCH_CONCURRENCY=16 BENCH_EXPIRE=20000 npm run bench
 *
 * Then the billing feed and bank collections at volume (bench/imports.ts: BENCH_IMPORT_LINES,
 * default 1,000,000; BENCH_COLLECTION_RECORDS, default 100,000; BENCH_IMPORTS=0 skips them).
 * It starts with the ratios of bench/ratios.ts (BENCH_RATIOS=0 skips them; BENCH_SECONDS,
 * BENCH_CONNECTIONS, BENCH_BCRYPT_COST), and ends with the gateway path (bench/gateway.ts, both
 * engines when MSSQL_TEST_CONNECTION is set; BENCH_GATEWAY=0 skips it) and the fault suite's
 * crash scenario (bench/crash.ts; BENCH_CRASH=0 skips it), then the targets at EPM's size:
 * expiry of 1,000,000 due coupons and payments while it runs (bench/scale.ts, ~9 minutes;
 * BENCH_SCALE=0 skips it, BENCH_SCALE_CONTRACTS sizes it), and with MSSQL_TEST_CONNECTION set,
 * pay on the T-SQL engine beside SQLite (bench/engines.ts; BENCH_ENGINES=0 skips it).
 */
const PAYMENTS = Number(process.env.BENCH_PAYMENTS ?? 400);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const EXPIRE = Number(process.env.BENCH_EXPIRE ?? 20000);
const SEARCHES = Number(process.env.BENCH_SEARCHES ?? 300);
const SEQUENTIAL_PAYMENTS = Number(process.env.BENCH_SEQUENTIAL_PAYMENTS ?? 100);
/** Each run pays invoices of its own: app and floor, one at a time and CONCURRENCY at a time, and the captured one. */
const PAYABLE = 2 * (SEQUENTIAL_PAYMENTS + PAYMENTS) + 1;

// Settings first: configuration and clients are created lazily, on first use below.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cuponeras-bench-'));
Object.assign(process.env, {
  APP_ENV: 'test',
  DATA_DIR: dataDir,
  JWT_SECRET: randomBytes(32).toString('hex'),
  BCRYPT_COST: '10',
  LOGIN_MAX_ATTEMPTS_PER_CLIENT: '10000',
});

async function main(): Promise<void> {
  // First, alone on the machine: each hot path against its floor (bench/ratios.ts).
  const ratios = process.env.BENCH_RATIOS === '0' ? undefined : await benchRatios();
  if (ratios) console.log(ratioTable(ratios));
  // Then the app in this process (quotas lifted: one client doing thousands of requests).
  const { host, stop } = await startBenchHost(dataDir);

  const { db } = services();
  await migrateLatest(db);
  await seedDemoData(db);
  // Extra contracts with one unpaid invoice each, so that every payment has its own invoice.
  await seedUnpaidContracts(db, { count: PAYABLE, firstNumber: 20_000_000, invoicePrefix: 'B' });
  const now = new Date();

  const api = async (
    method: string,
    route: string,
    token?: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await fetch(host.url + route, {
      method,
      headers: {
        'Content-Type': 'application/json',
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as Record<string, any> }; // any: benchmark reads a few known fields
  };

  await api('POST', '/auth/register', undefined, {
    email: 'bench@example.com',
    password: 'una clave larga para medir',
    fullName: 'Cliente Benchmark',
    documentType: 'CC',
    documentNumber: '99887766',
    acceptTerms: true,
  });
  const token = (
    await api('POST', '/auth/login', undefined, { email: 'bench@example.com', password: 'una clave larga para medir' })
  ).body.accessToken as string;
  const rssBefore = process.memoryUsage().rss;

  // 1. Search (contract → invoices + coupon), sequential latency.
  const searchTimes: number[] = [];
  for (let i = 0; i < SEARCHES; i++) {
    const [, ms] = await timed(() =>
      api('POST', '/invoices/search', token, { contractNumber: String(10_000_001 + (i % 50)) }),
    );
    searchTimes.push(ms);
  }

  // 2. Payments: search the invoice's contract for its coupon, then pay; the same against the floor.
  const payable: PaymentKeys[] = [];
  await pool(
    Array.from({ length: PAYABLE }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      const found = await api('POST', '/invoices/search', token, { contractNumber: String(20_000_000 + i) });
      const coupon = found.body.coupons?.[0] as { invoiceId: string; code: string } | undefined;
      if (!coupon) throw new Error(`search failed: ${found.status} ${JSON.stringify(found.body)}`);
      const row = await db('coupons as k')
        .join('invoices as i', 'i.id', 'k.invoice_id')
        .where('k.code', coupon.code)
        .first('k.id', 'i.contract_id');
      payable.push({
        invoiceId: coupon.invoiceId,
        couponCode: coupon.code,
        couponId: row.id,
        contractId: row.contract_id,
      });
    },
  );
  const payApp = async (keys: PaymentKeys) =>
    api(
      'POST',
      `/invoices/${keys.invoiceId}/pay`,
      token,
      { couponCode: keys.couponCode, paymentMethod: 'PSE' },
      { 'Idempotency-Key': randomUUID() },
    );
  const captured = payable.shift() as PaymentKeys;
  let answer = '';
  const statements = await captureStatements(db, async () => {
    answer = JSON.stringify((await payApp(captured)).body);
  });
  const floor = await startPayFloor(path.join(dataDir, 'cuponeras.sqlite'), statements, captured, answer);
  /** A POST whose answer is read whole and only its status kept: the same client work for app and floor. */
  const postForStatus = async (url: string, body: string, headers: Record<string, string> = {}) => {
    const res = await fetch(url, { method: 'POST', headers, body });
    await res.text();
    return { status: res.status };
  };
  const payFloor = (keys: PaymentKeys) => postForStatus(floor.url, JSON.stringify(keys));
  /** `count` requests, `concurrency` at a time: throughput and latencies; a status other than `ok` is a failure. */
  const measured = async (
    count: number,
    concurrency: number,
    ok: number,
    once: (i: number) => Promise<{ status: number }>,
  ) => {
    // Each run starts once the consumers have sent the previous run's receipts: otherwise a floor
    // run shares the process with the app's leftover PDF rendering (RESULTS.md, "a floor that runs
    // alone": 99.9/s beside it, 298.5/s alone).
    await untilQuiet(db, 500, 120_000);
    const times: number[] = [];
    let failures = 0;
    const [, wallMs] = await timed(() =>
      pool(
        Array.from({ length: count }, (_, i) => i),
        concurrency,
        async (i) => {
          const [res, ms] = await timed(() => once(i));
          times.push(ms);
          if (res.status !== ok) failures++;
        },
      ),
    );
    return {
      requests: count,
      concurrency,
      failures,
      throughputPerSecond: +((count / wallMs) * 1000).toFixed(1),
      p50Ms: +percentile(times, 50).toFixed(1),
      p95Ms: +percentile(times, 95).toFixed(1),
      p99Ms: +percentile(times, 99).toFixed(1),
    };
  };
  const payRun = async (
    pay: (keys: PaymentKeys) => Promise<{ status: number }>,
    count: number,
    concurrency: number,
  ) => {
    const batch = payable.splice(0, count);
    return measured(count, concurrency, 201, (i) => pay(batch[i] as PaymentKeys));
  };
  const paySequential = await payRun(payApp, SEQUENTIAL_PAYMENTS, 1);
  const payConcurrent = await payRun(payApp, PAYMENTS, CONCURRENCY);
  const floorSequential = await payRun(payFloor, SEQUENTIAL_PAYMENTS, 1);
  const floorConcurrent = await payRun(payFloor, PAYMENTS, CONCURRENCY);
  await floor.stop();
  const versus = (app: typeof paySequential, bare: typeof paySequential) => {
    // A floor whose statements no longer replay answers fast with an error: a ratio against it means nothing.
    if (bare.failures > 0) throw new Error(`the floor failed ${bare.failures} of ${bare.requests} requests (above)`);
    return { app, floor: bare, ratio: +(app.throughputPerSecond / bare.throughputPerSecond).toFixed(3) };
  };

  // The search against its floor: a search whose coupon is reused (the common case: the same
  // customer looking again), its statements captured and replayed by a bare server.
  const searchBody = JSON.stringify({ contractNumber: '10000002' });
  const searchApp = () =>
    postForStatus(`${host.url}/invoices/search`, searchBody, {
      'Content-Type': 'application/json',
      Authorization: `Bearer ${token}`,
    });
  await searchApp(); // its coupon exists from now on
  let searchAnswer = '';
  const searchStatements = await captureStatements(db, async () => {
    searchAnswer = JSON.stringify((await api('POST', '/invoices/search', token, JSON.parse(searchBody))).body);
  });
  const searchFloor = await startSearchFloor(path.join(dataDir, 'cuponeras.sqlite'), searchStatements, searchAnswer);
  const searchBare = () => postForStatus(searchFloor.url, searchBody);
  const searchVersus = async (concurrency: number) =>
    versus(
      await measured(SEARCHES, concurrency, 200, searchApp),
      await measured(SEARCHES, concurrency, 200, searchBare),
    );
  const searchSequential = await searchVersus(1);
  const searchConcurrent = await searchVersus(CONCURRENCY);
  await searchFloor.stop();

  // 3. Expiry: EXPIRE ACTIVE coupons past their time, expired by the timer's set-based batches.
  const user = await db('users').where({ email: 'bench@example.com' }).first('id');
  const invoice = await db('invoices').first('id');
  const rows = Array.from({ length: EXPIRE }, (_, i) => ({
    id: randomUUID(),
    code: String(500_000_000_000 + i),
    user_id: user.id,
    invoice_id: invoice.id,
    amount: 1000,
    status: i % 2 === 0 ? 'EXPIRED' : 'ACTIVE',
    issued_at: new Date(now.getTime() - 7 * 86_400_000),
    expires_at: new Date(now.getTime() - 3600_000),
    // A closed coupon carries when it closed (ck_coupons_closed_at).
    closed_at: i % 2 === 0 ? new Date(now.getTime() - 3600_000) : null,
  }));
  // Half ACTIVE: the unique index allows one ACTIVE per user+invoice, so each ACTIVE gets its own user.
  for (let i = 0; i < rows.length; i += 500) {
    const batch = rows.slice(i, i + 500);
    const users = batch
      .filter((r) => r.status === 'ACTIVE')
      .map((r) => ({
        id: randomUUID(),
        email: `${r.id}@bench.example`,
        password_hash: 'x',
        full_name: 'Bench',
        document_type: 'CC',
        document_number: r.code.slice(-10),
        role: 'customer',
        failed_logins: 0,
        created_at: now,
        updated_at: now,
      }));
    await db.batchInsert('users', users, 250);
    users.forEach((u, k) => {
      const row = batch.filter((r) => r.status === 'ACTIVE')[k];
      if (row) row.user_id = u.id;
    });
    await db.batchInsert('coupons', batch, 250);
  }
  const expiredNotices = async () =>
    Number((await db('notifications').where({ kind: 'COUPON_EXPIRED' }).count({ n: '*' }).first())?.n ?? 0);
  const noticesBefore = await expiredNotices();
  const expiryStarted = performance.now();
  const [expiry, expireMs] = await timed(() => coupons.expireDue(services()));
  // Until the last owner has the notice in their inbox (the consumers run in this process), at most 60 s.
  let notified = 0;
  while (performance.now() - expiryStarted < 60_000) {
    notified = (await expiredNotices()) - noticesBefore;
    if (notified >= expiry.expired) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const notifiedMs = performance.now() - expiryStarted;
  const expiryOutboxRows = Number(
    (await db('outbox').where('body', 'like', '%COUPON_EXPIRED%').count({ n: '*' }).first())?.n ?? 0,
  );
  // The floor: the same coupons ACTIVE again, expired by one raw set-based UPDATE (no notices, no batches).
  const activeIds = rows.filter((r) => r.status === 'ACTIVE').map((r) => r.id);
  for (let i = 0; i < activeIds.length; i += 500) {
    await db('coupons')
      .whereIn('id', activeIds.slice(i, i + 500))
      .update({ status: 'ACTIVE', closed_at: null });
  }
  const [, rawExpireMs] = await timed(() =>
    db('coupons')
      .where({ status: 'ACTIVE' })
      .where('expires_at', '<=', now)
      .update({ status: 'EXPIRED', closed_at: now }),
  );
  const rssAfter = process.memoryUsage().rss;

  const results = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    search: {
      requests: SEARCHES,
      p50Ms: +percentile(searchTimes, 50).toFixed(1),
      p95Ms: +percentile(searchTimes, 95).toFixed(1),
      p99Ms: +percentile(searchTimes, 99).toFixed(1),
      statementsPerReusedSearch: searchStatements.length,
      statements: searchStatements.map((statement) => statement.sql.slice(0, 90)),
      sequential: searchSequential,
      concurrent: searchConcurrent,
    },
    pay: {
      statementsPerPayment: statements.length,
      statements: statements.map((statement) => statement.sql.slice(0, 90)),
      sequential: versus(paySequential, floorSequential),
      concurrent: versus(payConcurrent, floorConcurrent),
    },
    expire: {
      coupons: EXPIRE / 2,
      expired: expiry.expired,
      batches: expiry.batches,
      ms: Math.round(expireMs),
      writeMs: expiry.writeMs,
      perSecond: Math.round((expiry.expired / expireMs) * 1000),
      rawUpdateMs: Math.round(rawExpireMs),
      ratioToRawUpdate: +(expiry.writeMs / rawExpireMs).toFixed(2),
      /** Notifications stored, and when the last one was (from the start of the run; 60 s at most). */
      notified,
      notifiedMs: Math.round(notifiedMs),
      outboxRows: expiryOutboxRows,
    },
    memory: { rssBeforeMiB: Math.round(rssBefore / 2 ** 20), rssAfterMiB: Math.round(rssAfter / 2 ** 20) },
    imports: process.env.BENCH_IMPORTS === '0' ? undefined : await benchImports(dataDir),
    ratios,
    gateway: undefined as Awaited<ReturnType<typeof benchGateway>> | undefined,
    crash: undefined as CrashFigures | undefined,
    scale: undefined as Awaited<ReturnType<typeof benchScale>> | undefined,
    engines: undefined as Awaited<ReturnType<typeof benchEngines>> | undefined,
  };
  // The gateway path and the crash scenario bring up hosts of their own: this one goes first.
  await stop();
  await disposeServices();
  if (process.env.BENCH_GATEWAY !== '0') results.gateway = await withSettingsRestored(benchGateway);
  if (process.env.BENCH_CRASH !== '0') results.crash = benchCrash();
  if (process.env.BENCH_SCALE !== '0') results.scale = await withSettingsRestored(benchScale);
  if (process.env.MSSQL_TEST_CONNECTION && process.env.BENCH_ENGINES !== '0')
    results.engines = await withSettingsRestored(benchEngines);
  console.log(JSON.stringify(results, null, 2));
  const { imports, scale, engines } = results;
  const inProcess: Ratio[] = [
    ...[results.search.sequential, results.search.concurrent].map((run) => ({
      measure: `search, coupon reused (c=${run.app.concurrency}), in-process host`,
      app: `${run.app.throughputPerSecond}/s, p50 ${run.app.p50Ms} ms, p99 ${run.app.p99Ms} ms, ${run.app.failures} failed`,
      floor: `${run.floor.throughputPerSecond}/s (the same ${results.search.statementsPerReusedSearch} statements, bare node:http + better-sqlite3)`,
      ratio: run.ratio,
      target: '≥ 0.5',
    })),
    ...[results.pay.sequential, results.pay.concurrent].map((run) => ({
      measure: `pay (c=${run.app.concurrency}), in-process host`,
      app: `${run.app.throughputPerSecond}/s, p50 ${run.app.p50Ms} ms, p99 ${run.app.p99Ms} ms, ${run.app.failures} failed`,
      floor: `${run.floor.throughputPerSecond}/s (the same ${results.pay.statementsPerPayment} statements, bare node:http + better-sqlite3)`,
      ratio: run.ratio,
      target: run.app.concurrency === 1 ? '≥ 0.6' : '≥ 0.5',
    })),
    {
      measure: `expiry of ${results.expire.expired} due coupons (writes)`,
      app: `${results.expire.writeMs} ms in ${results.expire.batches} batches`,
      floor: `${results.expire.rawUpdateMs} ms (one raw set-based UPDATE)`,
      ratio: results.expire.writeMs / Math.max(1, results.expire.rawUpdateMs),
      target: '≤ 2 (ratio is app ÷ floor)',
    },
    {
      measure: `expiry of ${results.expire.expired} due coupons, until every owner has the notice`,
      app: `${results.expire.notified} notifications, the last after ${results.expire.notifiedMs} ms (${results.expire.outboxRows} outbox rows)`,
      floor: '—',
      ratio: Number.NaN,
      target: 'reported',
    },
    ...(imports
      ? [
          {
            measure: `invoice import, ${imports.invoiceImport.lines.toLocaleString('en')} lines (billing feed, SQLite)`,
            app: `${imports.invoiceImport.importLinesPerSecond} lines/s (${(imports.invoiceImport.importMs / 1000).toFixed(1)} s)`,
            floor: `${imports.invoiceImport.floorLinesPerSecond} lines/s (raw prepared inserts of the same rows)`,
            ratio: imports.invoiceImport.ratioToFloor,
            target: '≥ 0.5 at 1,000,000 lines',
          },
        ]
      : []),
    ...(scale
      ? [
          {
            measure: `expiry of ${scale.large.expiry.expired.toLocaleString('en')} due coupons among ${scale.large.invoices.toLocaleString('en')} invoices (writes)`,
            app: `${(scale.large.expiry.writeMs / 1000).toFixed(1)} s in ${scale.large.expiry.batches} batches`,
            floor: `${(scale.large.expiry.rawUpdateMs / 1000).toFixed(2)} s (one raw set-based UPDATE)`,
            ratio: scale.large.expiry.ratioToRawUpdate,
            target: '≤ 2 (ratio is app ÷ floor)',
          },
          {
            measure: `pay p99, one at a time, while those ${scale.large.expiry.expired.toLocaleString('en')} coupons expire`,
            app: `p99 ${scale.large.payDuringExpiry.p99} ms, p50 ${scale.large.payDuringExpiry.p50} ms (${scale.large.payDuringExpiry.count} payments)`,
            floor: `p99 ${scale.large.payIdle.p99} ms idle (p50 ${scale.large.payIdle.p50} ms)`,
            ratio: scale.large.payDuringExpiry.p99 / Math.max(1, scale.large.payIdle.p99),
            target: '≤ 2 (ratio is app ÷ floor)',
          },
        ]
      : []),
    // Pay on each engine through the same host and data (bench/engines.ts): the T-SQL engine reported beside SQLite.
    ...(engines ?? []).flatMap((engine) =>
      [engine.paySequential, engine.payConcurrent].map((run, i) => ({
        measure: `pay (c=${i === 0 ? 1 : engine.payConcurrent.concurrency}), ${engine.label}, bench/engines.ts`,
        app: `${run.perSecond}/s, p50 ${run.p50} ms, p99 ${run.p99} ms`,
        floor: '—',
        ratio: NaN,
        target: 'reported',
      })),
    ),
    ...(results.gateway ?? []).flatMap((engine) => [
      {
        measure: `gateway: signed events applied one at a time (${engine.label})`,
        app: `${engine.sequential.perSecond}/s, p50 ${engine.sequential.p50} ms, p99 ${engine.sequential.p99} ms`,
        floor: '—',
        ratio: NaN,
        target: 'reported',
      },
      {
        measure: `gateway: webhook while ${engine.burst.events} events arrive at once (${engine.label})`,
        app: `p99 ${engine.burst.p99} ms, p50 ${engine.burst.p50} ms, ${engine.burst.perSecond}/s, ${engine.approved} APPROVED`,
        floor: '—',
        ratio: NaN,
        target: 'reported',
      },
    ]),
    ...(results.crash
      ? [
          {
            measure: 'after kill -9: every receipt and notification delivered (fault suite crash scenario)',
            app: `${results.crash.redeliverySeconds} s after the restart, ${results.crash.figures['receipts doubled']} receipts and ${results.crash.figures['notifications doubled']} notifications doubled`,
            floor: '300 s (the delivery lease)',
            ratio: NaN,
            target: '≤ 60 s',
          },
        ]
      : []),
  ];
  console.log(`\nHow far from the floor (one run, this machine):\n${ratioTable([...(ratios ?? []), ...inProcess])}`);
  const outDir = path.join(
    __dirname.includes(`${path.sep}dist${path.sep}`) ? path.resolve(__dirname, '../../bench') : __dirname,
    'results',
  );
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(
    path.join(outDir, `${results.date.replace(/[:.]/g, '-')}.json`),
    JSON.stringify(results, null, 2) + '\n',
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1); // also ends Azurite's child process
});
