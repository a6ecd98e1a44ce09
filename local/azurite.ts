import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function azuriteConnectionString(port: number, host = '127.0.0.1'): string {
  return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};QueueEndpoint=http://${host}:${port}/${AZURITE_ACCOUNT};`;
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
  connectionString: string;
  stop(): Promise<void>;
}

/**
 * Starts the Azurite queue service from the npm package (no global install, telemetry off),
 * keeping its data under `location`. Port 0 picks a free one.
 */
export async function startAzurite(options: {
  location: string;
  port?: number;
  quiet?: boolean;
}): Promise<AzuriteProcess> {
  fs.mkdirSync(options.location, { recursive: true });
  const port = options.port && options.port > 0 ? options.port : await freePort();
  const main = require.resolve('azurite/dist/src/queue/main.js');
  const child = spawn(
    process.execPath,
    [
      main,
      '--queueHost',
      '127.0.0.1',
      '--queuePort',
      String(port),
      '--location',
      options.location,
      '--silent',
      '--skipApiVersionCheck',
      '--loose',
      '--disableTelemetry',
    ],
    { stdio: options.quiet === false ? 'inherit' : 'ignore', env: { ...process.env, AZURITE_DB: '' } },
  );
  await waitForPort(port, child, 20_000);
  return {
    port,
    connectionString: azuriteConnectionString(port),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000, undefined, { ref: false }).then(() => child.kill('SIGKILL'))]);
    },
  };
}

export function azuriteLocation(dataDir: string): string {
  return path.join(dataDir, 'azurite');
}
