import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import autocannon from 'autocannon';
import bcrypt from 'bcryptjs';

import { freePort } from '../local/azurite';
import { DEMO_CONTRACTS, DEMO_CUSTOMER } from '../scripts/demoData';

/**
 * How far each hot path is from its floor, measured in one run on this machine (issue #16):
 * the app runs as `npm start` runs it (its own process: the local host, SQLite, Azurite), the
 * floors beside it, the same load generator (autocannon) against both. Ratios, not absolute
 * numbers, are what compare across these noisy machines.
 *
 *   search          app req/s ÷ a bare node:http server answering the same body
 *   login           app logins/s ÷ a single-thread bcryptjs.compare loop at the same cost
 *   GET /me p99     during a login storm ÷ idle
 *   cold start      loading the package main dist/app.js (the bundle) ÷ `node -e 0` (median of pairs); per-file reported
 *   RSS             of the app's process after the runs
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const BCRYPT_COST = Number(process.env.BENCH_BCRYPT_COST ?? 12);
const dist = path.join(__dirname, '..');

export interface Ratio {
  measure: string;
  app: string;
  floor: string;
  ratio: number;
  target: string;
}

async function waitForUrl(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`the app exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer`);
}

function load(
  url: string,
  options: {
    method?: 'GET' | 'POST';
    body?: string;
    headers?: Record<string, string>;
    connections?: number;
    seconds?: number;
  },
): Promise<autocannon.Result> {
  return autocannon({
    url,
    method: options.method ?? 'GET',
    body: options.body,
    headers: { 'content-type': 'application/json', ...options.headers },
    connections: options.connections ?? CONNECTIONS,
    duration: options.seconds ?? SECONDS,
  });
}

const rps = (r: autocannon.Result) => r.requests.average;
const okShare = (r: autocannon.Result) => r['2xx'] / Math.max(1, r['2xx'] + r.non2xx + r.errors);

function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Whole-process wall time of loading the app (bench/loadFunctions.ts), paired A B A B against `node -e 0`; the median ratio. */
function coldStart(mode: 'bundle' | 'per-file', runs = 9): { app: number; floor: number; ratio: number } {
  const time = (args: string[]) => {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, {
      env: {
        ...process.env,
        AzureWebJobsStorage: 'UseDevelopmentStorage=true',
        JWT_SECRET: 'cold-start-secret-of-at-least-32-characters',
      },
      stdio: 'ignore',
    });
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${result.status}`);
    return performance.now() - started;
  };
  const load = [path.join(dist, 'bench/loadFunctions.js'), ...(mode === 'per-file' ? ['per-file'] : [])];
  time(load);
  const pairs = Array.from({ length: runs }, () => {
    const app = time(load);
    const floor = time(['-e', '0']);
    return { app, floor, ratio: app / floor };
  });
  const median = <T>(xs: T[], key: (x: T) => number) =>
    xs.map(key).sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  return {
    app: median(pairs, (p) => p.app),
    floor: median(pairs, (p) => p.floor),
    ratio: median(pairs, (p) => p.ratio),
  };
}

/** The app as `npm start` runs it, in its own process on a free port (its own Azurite, SQLite under dataDir). */
export async function startApp(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<{ base: string; pid: number | undefined; stop: () => Promise<void> }> {
  const port = await freePort();
  const lifted = '100000';
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    APP_ENV: 'test',
    DATA_DIR: dataDir,
    PORT: String(port),
    SEARCH_MAX_PER_USER_PER_MINUTE: lifted,
    SEARCH_MAX_CONTRACTS_PER_USER_PER_DAY: lifted,
    LOGIN_MAX_ATTEMPTS_PER_CLIENT: '10000',
    COUPON_LOOKUPS_MAX_PER_USER_PER_MINUTE: lifted,
    ...env,
  };
  delete childEnv.AzureWebJobsStorage; // its own Azurite, as npm start does
  const app = spawn(process.execPath, [path.join(dist, 'scripts/start.js')], {
    env: childEnv,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}/api`;
  const stop = async () => {
    if (app.exitCode !== null) return;
    app.kill('SIGTERM');
    await new Promise((r) => app.once('exit', r));
  };
  try {
    await waitForUrl(`${base}/health`, app);
  } catch (error) {
    await stop();
    throw error;
  }
  return { base, pid: app.pid, stop };
}

export async function benchRatios(): Promise<Ratio[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cuponeras-ratios-'));
  const app = await startApp(dataDir, { BCRYPT_COST: String(BCRYPT_COST) });
  const results: Ratio[] = [];
  try {
    const { base } = app;
    const credentials = JSON.stringify({ email: DEMO_CUSTOMER.email, password: DEMO_CUSTOMER.password });
    const login = await fetch(`${base}/auth/login`, {
      method: 'POST',
      body: credentials,
      headers: { 'content-type': 'application/json' },
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const auth = { authorization: `Bearer ${accessToken}` };
    const searchBody = JSON.stringify({ contractNumber: String(DEMO_CONTRACTS.first) });
    const first = await fetch(`${base}/invoices/search`, {
      method: 'POST',
      body: searchBody,
      headers: { ...auth, 'content-type': 'application/json' },
    });
    const answer = await first.text();

    // The floor: the same body from a bare node:http server, in its own process like the app.
    const floorScript = `require('http').createServer((q, s) => { q.resume(); q.on('end', () => { s.writeHead(200, { 'content-type': 'application/json' }); s.end(${JSON.stringify(answer)}); }); }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
    const floor = spawn(process.execPath, ['-e', floorScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    const floorPort = await new Promise<number>((resolve) =>
      floor.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
    );
    try {
      const floorRun = await load(`http://127.0.0.1:${floorPort}/`, { method: 'POST', body: searchBody });
      const searchRun = await load(`${base}/invoices/search`, { method: 'POST', body: searchBody, headers: auth });
      results.push({
        measure: `POST /invoices/search (c=${CONNECTIONS}, coupon reused)`,
        app: `${rps(searchRun).toFixed(0)} req/s, p50 ${searchRun.latency.p50} ms, p99 ${searchRun.latency.p99} ms, ${(okShare(searchRun) * 100).toFixed(1)} % 2xx`,
        floor: `${rps(floorRun).toFixed(0)} req/s (bare node:http)`,
        ratio: rps(searchRun) / rps(floorRun),
        target: `≥ 0.1; p99/p50 ${(searchRun.latency.p99 / Math.max(1, searchRun.latency.p50)).toFixed(1)} (≤ 3)`,
      });
    } finally {
      floor.kill();
    }

    // Login: a raw single-thread compare loop at the same cost, then the app under 16 logins at once.
    const hash = bcrypt.hashSync('raw-loop-password', BCRYPT_COST);
    const rawStarted = performance.now();
    let raw = 0;
    while (performance.now() - rawStarted < 4000) {
      bcrypt.compareSync('raw-loop-password', hash);
      raw++;
    }
    const rawRate = raw / ((performance.now() - rawStarted) / 1000);
    const idleMe = await load(`${base}/me`, { headers: auth, connections: 4, seconds: 4 });
    const [storm, stormMe] = await Promise.all([
      load(`${base}/auth/login`, { method: 'POST', body: credentials, connections: CONNECTIONS }),
      load(`${base}/me`, { headers: auth, connections: 4 }),
    ]);
    results.push({
      measure: `login at bcrypt cost ${BCRYPT_COST} (c=${CONNECTIONS})`,
      app: `${rps(storm).toFixed(2)} logins/s, ${(okShare(storm) * 100).toFixed(1)} % 2xx`,
      floor: `${rawRate.toFixed(2)}/s (raw bcryptjs.compare, one thread)`,
      ratio: rps(storm) / rawRate,
      target: '≥ 1.2',
    });
    results.push({
      measure: 'GET /me p99 during the login storm',
      app: `${stormMe.latency.p99} ms (p50 ${stormMe.latency.p50} ms)`,
      floor: `${idleMe.latency.p99} ms idle (p50 ${idleMe.latency.p50} ms)`,
      ratio: stormMe.latency.p99 / Math.max(1, idleMe.latency.p99),
      target: '≤ 3',
    });

    const coldStarts = [
      { mode: 'bundle', measure: "cold start: load the package's main, dist/app.js (one bundle)", target: '≤ 3' },
      {
        mode: 'per-file',
        measure: 'cold start, per-file build: every dist/functions/*/index.js (the local host)',
        target: 'reported',
      },
    ] as const;
    for (const { mode, measure, target } of coldStarts) {
      const cold = coldStart(mode);
      results.push({
        measure,
        app: `${cold.app.toFixed(0)} ms`,
        floor: `${cold.floor.toFixed(0)} ms (node -e 0)`,
        ratio: cold.ratio,
        target,
      });
    }
    const rss = app.pid ? rssMiB(app.pid) : 0;
    results.push({
      measure: 'RSS of the app process after the runs',
      app: `${rss.toFixed(0)} MiB`,
      floor: '—',
      ratio: NaN,
      target: '—',
    });
  } finally {
    await app.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return results;
}

export function ratioTable(rows: Ratio[]): string {
  return [
    '| measure | app | floor | ratio | target |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.measure} | ${r.app} | ${r.floor} | ${Number.isNaN(r.ratio) ? '—' : r.ratio.toFixed(3)} | ${r.target} |`,
    ),
  ].join('\n');
}

if (require.main === module) {
  benchRatios()
    .then((rows) => console.log(ratioTable(rows)))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
