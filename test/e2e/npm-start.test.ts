import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../local/azurite';
import { PROJECT_ROOT } from '../../local/host';
import { call } from '../support/app';

// The quick start itself: the compiled app started the way `npm start` starts it, on a fresh data dir.
let child: ChildProcess;
let output = '';
let base: string;

beforeAll(async () => {
  execFileSync(process.execPath, [path.join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: PROJECT_ROOT, stdio: 'pipe' });
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cuponeras-start-'));
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir, APP_ENV: 'development', BCRYPT_COST: '10' };
  delete env.AzureWebJobsStorage;
  delete env.JWT_SECRET;
  delete env.CORS_ORIGINS;
  child = spawn(process.execPath, ['dist/scripts/start.js'], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 45_000;
  while (!output.includes('Press Ctrl-C to stop.')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  base = `http://127.0.0.1:${port}/api`;
}, 60_000);

afterAll(async () => {
  if (child?.exitCode === null) child.kill('SIGKILL');
});

test('when started on an empty data dir, then it migrates, seeds and serves /api/health with both checks up', async () => {
  expect(output).toContain('Database migrated (0001_initial)');
  expect(output).toMatch(/Demo data: 51 contracts/);
  const res = await call(base, 'GET', '/health');
  expect(res.status).toBe(200);
  expect(res.body.checks).toMatchObject({ database: { status: 'up' }, queues: { status: 'up' } });
});

test('when a new user registers, logs in, calls /me, refreshes and logs out, then each step answers as documented', async () => {
  const email = 'lucia.zapata@example.com';
  const password = 'montañas verdes de Antioquia';
  const registered = await call(base, 'POST', '/auth/register', {
    body: { email, password, fullName: 'Lucía Zapata Mejía', documentType: 'CC', documentNumber: '1017234567', phone: '300 123 4567' },
  });
  expect(registered.status).toBe(201);
  const login = await call(base, 'POST', '/auth/login', { body: { email, password } });
  expect(login.status).toBe(200);
  const me = await call(base, 'GET', '/me', { token: login.body.accessToken });
  expect(me.body).toMatchObject({ email, phone: '+573001234567', role: 'customer' });
  const refreshed = await call(base, 'POST', '/auth/refresh', { body: { refreshToken: login.body.refreshToken } });
  expect(refreshed.status).toBe(200);
  const logout = await call(base, 'POST', '/auth/logout', { body: { refreshToken: refreshed.body.refreshToken } });
  expect(logout.status).toBe(204);
  expect((await call(base, 'GET', '/me', { token: refreshed.body.accessToken })).status).toBe(401);
});

test('when a frontend dev server (Vite, localhost:5173) sends a preflight, then npm start admits it by default', async () => {
  const res = await fetch(`${base}/invoices/search`, { method: 'OPTIONS', headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'POST' } });
  expect(res.status).toBe(204);
  expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
});

test('when Ctrl-C is pressed, then the host and Azurite stop and the process exits 0', async () => {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(output).toContain('SIGINT received, stopping');
});
