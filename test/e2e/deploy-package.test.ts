import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { type AzuriteProcess, startAzurite } from '../../local/azurite';
import { DEMO_CONTRACTS, DEMO_CUSTOMER } from '../../scripts/demoData';
import { buildPackage } from '../../scripts/package-app';
import { projectRoot } from '../../shared/projectFiles';
import { ensureBuilt } from '../support/compiled';

/**
 * The deployment package azd uploads (`npm run package`, azure.yaml `dist: .deploy`): the app
 * bundled in one file (its main, scripts/bundle-app.ts) with production dependencies only; it
 * loads on its own and serves the API.
 */
const root = projectRoot();
let target: string;
beforeAll(async () => {
  await ensureBuilt();
  target = fs.mkdtempSync(path.join(os.tmpdir(), 'cuponeras-package-'));
  buildPackage(target);
}, 120_000);
afterAll(() => {
  fs.rmSync(target, { recursive: true, force: true });
});

test('when the package is built, then it holds every production dependency and none of the dev tree', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const modules = path.join(target, 'node_modules');
  for (const dep of Object.keys(manifest.dependencies))
    expect([dep, fs.existsSync(path.join(modules, dep))]).toEqual([dep, true]);
  // The dev tree (some dev packages, like @types/node, are also needed by production ones: not those).
  const devOnly = [
    'typescript',
    'jest',
    'azurite',
    'playwright-core',
    'eslint',
    'prettier',
    '@swc/core',
    'openapi-typescript',
    'mailparser',
  ];
  for (const dev of devOnly) {
    expect(dev in manifest.devDependencies).toBe(true);
    expect([dev, fs.existsSync(path.join(modules, dev))]).toEqual([dev, false]);
  }
  const packaged = JSON.parse(fs.readFileSync(path.join(target, 'package.json'), 'utf8')) as Record<string, unknown>;
  expect(packaged.devDependencies).toBeUndefined();
  expect(packaged.main).toBe('dist/app.js');
  for (const file of ['host.json', 'openapi.json', 'shared/data/common-passwords.txt']) {
    expect([file, fs.existsSync(path.join(target, file))]).toEqual([file, true]);
  }
  for (const left of [
    'test',
    'bench',
    'infra',
    'functions',
    'local',
    'dist/functions',
    'dist/shared',
    'dist/test',
    'dist/local',
    'dist/bench',
    'local.settings.json',
  ]) {
    expect([left, fs.existsSync(path.join(target, left))]).toEqual([left, false]);
  }
});

test('when the package main loads from the package alone, then every function registers and the lazy modules resolve there', () => {
  // A child process with the package as its only tree: nothing can come from this checkout's node_modules.
  // The worker's registry is this project's stand-in for it (local/functionsCore.ts, which needs nothing else).
  const functionsCore = path.join(root, 'dist/local/functionsCore.js');
  const script = `
    const Module = require('module'), path = require('path');
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      return resolve.call(this, request === '@azure/functions-core' ? ${JSON.stringify(functionsCore)} : request, ...rest);
    };
    require(path.join(process.cwd(), require('./package.json').main));
    const loaded = require(${JSON.stringify(functionsCore)}).registry().functions.size;
    const heavy = ['pdfkit', 'bwip-js', 'nodemailer/lib/mail-composer', '@azure/communication-email', '@azure/identity',
      '@azure/storage-blob', '@azure/storage-queue', 'tedious', 'knex', 'better-sqlite3', 'jsonwebtoken', 'swagger-ui-dist'];
    const early = heavy.filter((m) => Object.keys(require.cache).some((k) => k.includes('/node_modules/' + m.split('/').slice(0, m.startsWith('@') ? 2 : 1).join('/') + '/')));
    for (const m of heavy) require.resolve(m, { paths: [process.cwd()] });
    console.log(JSON.stringify({ loaded, early }));`;
  const out = execFileSync(process.execPath, ['-e', script], {
    cwd: target,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      JWT_SECRET: 'package-test-secret-of-at-least-32-chars',
    },
  });
  const result = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { loaded: number; early: string[] };
  expect(result.loaded).toBe(fs.readdirSync(path.join(root, 'functions')).length);
  // Cold start: none of the heavy modules is loaded just by loading the functions.
  expect(result.early).toEqual([]);
});

function pick(env: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => (env[name] === undefined ? [] : [[name, env[name]]])));
}

describe('the packaged bundle, served by the local host', () => {
  let azurite: AzuriteProcess;
  let child: ChildProcess;
  let base: string;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cuponeras-bundle-'));
    azurite = await startAzurite({ location: path.join(dataDir, 'azurite'), quiet: true });
    // Migrated and seeded as npm start does, with this checkout's scripts; then the host loads only the package's main.
    const dist = path.join(root, 'dist');
    const script = `
      const path = require('path');
      const { loadConfig } = require(${JSON.stringify(path.join(dist, 'shared/config'))});
      const { createSqlClient } = require(${JSON.stringify(path.join(dist, 'shared/clients/sql.client'))});
      const { migrateLatest } = require(${JSON.stringify(path.join(dist, 'sql/migrator'))});
      const { seedDemoData } = require(${JSON.stringify(path.join(dist, 'scripts/demoData'))});
      const { startHost } = require(${JSON.stringify(path.join(dist, 'local/host'))});
      (async () => {
        const config = loadConfig(process.env);
        const db = createSqlClient(config.database);
        await migrateLatest(db);
        await seedDemoData(db, { bcryptCost: config.auth.bcryptCost });
        await db.destroy();
        const host = await startHost({ port: 0, timers: false, log: () => {},
          functionFiles: [path.join(process.cwd(), require('./package.json').main)] });
        console.log('URL ' + host.url);
      })().catch((error) => { console.error(error); process.exit(1); });`;
    child = spawn(process.execPath, ['-e', script], {
      cwd: target,
      env: {
        PATH: process.env.PATH ?? '',
        // Under scripts/node22.sh the preload that gives better-sqlite3 its Node 22 build.
        ...pick(process.env, ['NODE_OPTIONS', 'NODE22_BETTER_SQLITE3']),
        APP_ENV: 'test',
        DATA_DIR: dataDir,
        BCRYPT_COST: '10',
        AzureWebJobsStorage: azurite.connectionString,
        JWT_SECRET: 'package-test-secret-of-at-least-32-chars',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    base = await new Promise<string>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const url = /URL (\S+)/.exec(output)?.[1];
        if (url) resolve(url);
      });
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`the bundle's host exited (${code}): ${output}`)));
    });
  }, 120_000);
  afterAll(async () => {
    child?.kill('SIGKILL');
    await azurite?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('when its health is asked, then the database and the queues answer up', async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ checks: { database: { status: 'up' }, queues: { status: 'up' } } });
  });

  test('when the API documents are asked, then the files the bundle reads at run time are found from dist/', async () => {
    // openapi.json through projectRoot() (the folder above dist/app.js), Swagger UI through require.resolve.
    const spec = await fetch(`${base}/openapi.json`);
    expect(spec.status).toBe(200);
    expect(((await spec.json()) as { openapi: string }).openapi).toMatch(/^3\./);
    const page = await fetch(`${base}/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger-ui');
    const asset = await fetch(`${base}/docs/assets/swagger-ui-bundle.js`);
    expect(asset.status).toBe(200);
  });

  test('when a customer logs in and searches a contract, then the bundle answers as the per-file build does', async () => {
    const login = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: DEMO_CUSTOMER.email, password: DEMO_CUSTOMER.password }),
    });
    expect(login.status).toBe(200);
    const { accessToken } = (await login.json()) as { accessToken: string };
    const search = await fetch(`${base}/invoices/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ contractNumber: String(DEMO_CONTRACTS.first) }),
    });
    expect(search.status).toBe(200);
    const found = (await search.json()) as { invoices: unknown[]; coupons: { barcode: { humanReadable: string } }[] };
    expect(found.invoices.length).toBeGreaterThan(0);
    // The coupon the search issued, with its GS1-128 payment code (the bundle wrote it through SQLite).
    expect(found.coupons[0]?.barcode.humanReadable).toMatch(/^\(415\)7707181010011\(8020\)/);
  });

  test('when a body breaks the rules, then the problem names each field in Spanish (zod and appStart are in the bundle)', async () => {
    const res = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'no-es-un-correo', password: 5 }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await res.json()) as { code: string; errors?: { path: string; message: string }[] };
    expect(problem.code).toBe('VALIDATION_FAILED');
    expect(problem.errors?.map((e) => e.path).sort()).toEqual(['body.email', 'body.password']);
    // The app's own Spanish messages, set on zod by the appStart hook when the host started the bundle.
    expect(problem.errors?.map((e) => e.message)).toEqual(['Ingrese un correo electrónico válido.', 'Debe ser texto.']);
  });
});
