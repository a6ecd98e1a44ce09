import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { freePort } from '../../local/azurite';
import { projectRoot } from '../../shared/projectFiles';

const SOURCE_DIRS = ['functions', 'shared', 'sql', 'scripts', 'local', 'bench'];
// The build's last step is the bundle (npm run build: tsc, then scripts/bundle-app.ts).
const BUILT_MARK = path.join(projectRoot(), 'dist', 'app.js');
const LOCK = path.join(projectRoot(), '.build-lock');

function newestSourceMs(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMs(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  if (!fs.existsSync(BUILT_MARK)) return false;
  const built = fs.statSync(BUILT_MARK).mtimeMs;
  return SOURCE_DIRS.every(
    (dir) => !fs.existsSync(path.join(projectRoot(), dir)) || newestSourceMs(path.join(projectRoot(), dir)) <= built,
  );
}

/**
 * The compiled app (dist/), as `npm start` runs it, built at most once however many test files
 * need it at the same time: `npm test` has just built it, and a lone test file builds it itself.
 */
export async function ensureBuilt(): Promise<void> {
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      break;
    } catch {
      // Another test file is building; a lock older than any build is a leftover of a killed run.
      const lock = fs.statSync(LOCK, { throwIfNoEntry: false });
      if (lock && Date.now() - lock.mtimeMs > 180_000) fs.rmSync(LOCK, { recursive: true, force: true });
      await sleep(200);
    }
  }
  try {
    if (!isFresh()) {
      execFileSync(
        process.execPath,
        [path.join(projectRoot(), 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'],
        { cwd: projectRoot(), stdio: 'pipe' },
      );
      execFileSync(process.execPath, [path.join(projectRoot(), 'dist/scripts/bundle-app.js')], {
        cwd: projectRoot(),
        stdio: 'pipe',
      });
    }
  } finally {
    fs.rmdirSync(LOCK);
  }
}

export interface CompiledApp {
  child: ChildProcess;
  base: string;
  output(): string;
  kill(signal?: NodeJS.Signals): void;
  /** Ctrl-C, as a person stops it (the app stops its Azurite too); SIGKILL if it hangs. */
  stop(): Promise<void>;
}

/** `npm start` itself (dist/scripts/start.js) on a free port with the given settings; resolves once it serves. */
export async function startCompiledApp(env: NodeJS.ProcessEnv, timeoutMs = 45_000): Promise<CompiledApp> {
  await ensureBuilt();
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/scripts/start.js'], {
    cwd: projectRoot(),
    env: { ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + timeoutMs;
  while (!output.includes('Press Ctrl-C to stop.')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`npm start did not come up:\n${output}`);
    }
    await sleep(100);
  }
  return {
    child,
    base: `http://127.0.0.1:${port}/api`,
    output: () => output,
    kill: (signal = 'SIGKILL') => {
      if (child.exitCode === null) child.kill(signal);
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs one compiled script (dist/scripts/NAME.js, as its npm script does) and returns what it printed. */
export async function runCompiledScript(name: string, env: NodeJS.ProcessEnv): Promise<string> {
  await ensureBuilt();
  return execFileSync(process.execPath, [`dist/scripts/${name}.js`], {
    cwd: projectRoot(),
    env,
    encoding: 'utf8',
    stdio: 'pipe',
  });
}
