import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function azuriteConnectionString(port: number, host = '127.0.0.1', blobPort?: number): string {
  const blob = blobPort ? `BlobEndpoint=http://${host}:${blobPort}/${AZURITE_ACCOUNT};` : '';
  return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};QueueEndpoint=http://${host}:${port}/${AZURITE_ACCOUNT};${blob}`;
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Azurite exited early with code ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(100);
  }
  throw new Error(`Azurite did not listen on port ${port} within ${timeoutMs} ms`);
}

export interface AzuriteProcess {
  port: number;
  /** The blob service's port, when it was asked for. */
  blobPort?: number;
  connectionString: string;
  stop(): Promise<void>;
}

/** One Azurite service (queue or blob) as a child process, listening on `port`. */
async function startService(
  service: 'queue' | 'blob',
  port: number,
  location: string,
  quiet: boolean | undefined,
): Promise<ChildProcess> {
  const main = require.resolve(`azurite/dist/src/${service}/main.js`);
  const child = spawn(
    process.execPath,
    [
      main,
      `--${service}Host`,
      '127.0.0.1',
      `--${service}Port`,
      String(port),
      '--location',
      location,
      '--silent',
      '--skipApiVersionCheck',
      '--loose',
      '--disableTelemetry',
    ],
    { stdio: quiet === false ? 'inherit' : 'ignore', env: azuriteEnv() },
  );
  try {
    await waitForPort(port, child, 20_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return child;
}

/** Azurite's metadata stays in its own files under --location, never in a database AZURITE_DB might name. */
function azuriteEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.AZURITE_DB;
  return env;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(5000, undefined, { ref: false }).then(() => child.kill('SIGKILL'))]);
}

/**
 * Starts the Azurite queue service (and, with `blob`, the blob service) from the npm package (no
 * global install, telemetry off), keeping its data under `location`. Port 0 picks a free one.
 */
export async function startAzurite(options: {
  location: string;
  port?: number;
  /** Also the blob service (the import blob triggers): on `blobPort`, or a free port. */
  blob?: boolean;
  blobPort?: number;
  quiet?: boolean;
}): Promise<AzuriteProcess> {
  fs.mkdirSync(options.location, { recursive: true });
  const port = options.port && options.port > 0 ? options.port : await freePort();
  const children = [await startService('queue', port, options.location, options.quiet)];
  let blobPort: number | undefined;
  if (options.blob) {
    blobPort = options.blobPort && options.blobPort > 0 ? options.blobPort : await freePort();
    try {
      children.push(await startService('blob', blobPort, options.location, options.quiet));
    } catch (error) {
      await stopChild(children[0] as ChildProcess);
      throw error;
    }
  }
  return {
    port,
    blobPort,
    connectionString: azuriteConnectionString(port, '127.0.0.1', blobPort),
    stop: async () => {
      await Promise.all(children.map(stopChild));
    },
  };
}

export function azuriteLocation(dataDir: string): string {
  return path.join(dataDir, 'azurite');
}
