import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { buildPackage } from '../../scripts/package-app';
import { projectRoot } from '../../shared/projectFiles';
import { ensureBuilt } from '../support/compiled';

/**
 * The deployment package azd uploads (`npm run package`, azure.yaml `dist: .deploy`): the
 * compiled functions with production dependencies only, and it loads on its own.
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
  expect(packaged.main).toBe('dist/functions/*/index.js');
  for (const file of ['host.json', 'openapi.json', 'shared/data/common-passwords.txt']) {
    expect([file, fs.existsSync(path.join(target, file))]).toEqual([file, true]);
  }
  for (const left of [
    'test',
    'bench',
    'infra',
    'functions',
    'local',
    'dist/test',
    'dist/local',
    'dist/bench',
    'local.settings.json',
  ]) {
    expect([left, fs.existsSync(path.join(target, left))]).toEqual([left, false]);
  }
});

test('when the packaged functions load from the package alone, then every one registers and the lazy modules resolve there', () => {
  // A child process with the package as its only tree: nothing can come from this checkout's node_modules.
  const script = `
    const fs = require('fs'), path = require('path');
    const dir = path.join(process.cwd(), 'dist/functions');
    let loaded = 0;
    for (const name of fs.readdirSync(dir)) { const f = path.join(dir, name, 'index.js'); if (fs.existsSync(f)) { require(f); loaded++; } }
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
