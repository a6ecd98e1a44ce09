import fs from 'node:fs';
import type http from 'node:http';
import Module from 'node:module';
import path from 'node:path';

import { startBlobTrigger } from './blobTrigger';
import { type RegisteredFunction, registry, runHooks } from './functionsCore';
import { type BodyPolicy, createHttpServer } from './httpServer';
import { type HostLog, optionText, triggerOf } from './invoke';
import { asyncStdout } from './logWriter';
import { type QueueSettings, startQueueTrigger } from './queueTrigger';
import { startTimerTrigger } from './timerTrigger';

export const PROJECT_ROOT = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../..' : '..');

/**
 * Makes `require('@azure/functions-core')` resolve to this host's registry, as the Node worker
 * does inside the Functions host. Must run before the first function module is loaded.
 */
export function installFunctionsCore(): void {
  const moduleWithResolver = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = moduleWithResolver._resolveFilename;
  if ((original as { cuponeras?: boolean }).cuponeras) return;
  const target = require.resolve('./functionsCore');
  const patched = (request: string, ...rest: unknown[]) =>
    request === '@azure/functions-core' ? target : original.call(Module, request, ...rest);
  (patched as { cuponeras?: boolean }).cuponeras = true;
  moduleWithResolver._resolveFilename = patched;
}

/** An HTTP function as the app registered it (app.http): its name, route, methods and handler. */
export interface RegisteredHttpFunction {
  name: string;
  route: string;
  methods: string[];
  handler: unknown;
}

/** The HTTP functions registered so far (the function modules loaded after installFunctionsCore). */
export function registeredHttpFunctions(): RegisteredHttpFunction[] {
  return [...registry().functions.values()].flatMap((fn) => {
    const trigger = Object.values(fn.metadata.bindings).find((b) => b.type === 'httpTrigger');
    if (!trigger) return [];
    return [
      {
        name: fn.metadata.name,
        route: optionText(trigger.route, fn.metadata.name),
        methods: (trigger.methods as string[] | undefined) ?? ['GET'],
        handler: fn.callback,
      },
    ];
  });
}

/** The files named by package.json "main" (one `*` segment allowed), as the host finds them. */
export function functionFilesFromMain(root = PROJECT_ROOT): string[] {
  const main = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { main: string }).main;
  const [before, after] = main.split('*');
  if (after === undefined) return [path.join(root, main)];
  const dir = path.join(root, before ?? '');
  if (!fs.existsSync(dir)) throw new Error(`${dir} does not exist: run "npm run build" first`);
  return fs
    .readdirSync(dir)
    .map((entry) => path.join(dir, entry + after))
    .filter((file) => fs.existsSync(file))
    .sort();
}

function timespanMs(value: unknown, fallbackMs: number): number {
  if (typeof value !== 'string') return fallbackMs;
  const match = /^(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(value);
  return match ? (Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3])) * 1000 : fallbackMs;
}

interface HostJson {
  extensions?: { http?: { routePrefix?: string }; queues?: Record<string, unknown> };
}

export function readHostJson(root = PROJECT_ROOT): { routePrefix: string; queues: QueueSettings } {
  const hostJson = JSON.parse(fs.readFileSync(path.join(root, 'host.json'), 'utf8')) as HostJson;
  const queues = hostJson.extensions?.queues ?? {};
  return {
    routePrefix: hostJson.extensions?.http?.routePrefix ?? 'api',
    queues: {
      maxDequeueCount: typeof queues.maxDequeueCount === 'number' ? queues.maxDequeueCount : 5,
      maxPollingIntervalMs: Math.min(timespanMs(queues.maxPollingInterval, 2000), 2000),
      visibilityTimeoutSeconds: timespanMs(queues.visibilityTimeout, 0) / 1000,
      batchSize: typeof queues.batchSize === 'number' ? queues.batchSize : 16,
    },
  };
}

export interface HostOptions {
  port?: number;
  functionFiles?: string[];
  env?: NodeJS.ProcessEnv;
  log?: HostLog;
  queueSettings?: Partial<QueueSettings>;
  /** Leave timers off (tests drive them with runTimer). */
  timers?: boolean;
  queues?: boolean;
  /** Blob triggers scan their containers this often (the host's scan is about every 10 s). */
  blobPollIntervalMs?: number;
  /** How many body bytes each request may send, asked before reading it (see BodyPolicy). */
  bodyPolicy?: BodyPolicy;
}

export interface RunningHost {
  url: string;
  port: number;
  functions: RegisteredFunction[];
  runTimer(name: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * As the Functions host does: a function whose `AzureWebJobs.<name>.Disabled` setting is true (or
 * 1) is not triggered at all (an HTTP one's route falls to the app's catch-all, which answers 405
 * with Allow for a route the app declares; a queue is not read; a timer does not fire).
 */
export function enabledFunctions<T extends { metadata: { name: string } }>(
  functions: T[],
  env: NodeJS.ProcessEnv,
): T[] {
  // The host reads its settings without regard to case, so AzureWebJobs.emailinvoice.Disabled counts too.
  const disabled = new Set(
    Object.entries(env)
      .filter(([key, value]) => /^azurewebjobs\..+\.disabled$/i.test(key) && /^\s*(true|1)\s*$/i.test(value ?? ''))
      .map(([key]) => key.slice('AzureWebJobs.'.length, -'.Disabled'.length).toLowerCase()),
  );
  return functions.filter((fn) => !disabled.has(fn.metadata.name.toLowerCase()));
}

/** Loads the app's function modules, then serves HTTP triggers and runs queue and timer triggers. */
export async function startHost(options: HostOptions = {}): Promise<RunningHost> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => asyncStdout().write(`[${new Date().toISOString()}] ${line}`));
  installFunctionsCore();
  // The app's own modules register their functions as they load, as under the Functions host.
  for (const file of options.functionFiles ?? functionFilesFromMain()) require(file); // eslint-disable-line @typescript-eslint/no-require-imports -- files known only at run time
  const registered = [...registry().functions.values()];
  const functions = enabledFunctions(registered, env);
  await runHooks('appStart');
  const hostJson = readHostJson();
  const queueSettings = { ...hostJson.queues, ...options.queueSettings };

  const server: http.Server = createHttpServer(functions, hostJson.routePrefix, log, options.bodyPolicy);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7071, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const pollers =
    options.queues === false
      ? []
      : functions
          .filter((fn) => triggerOf(fn).type === 'queueTrigger')
          .map((fn) => startQueueTrigger(fn, queueSettings, env, log));
  const blobScanners =
    options.queues === false
      ? []
      : functions
          .filter((fn) => triggerOf(fn).type === 'blobTrigger')
          .map((fn) => startBlobTrigger(fn, env, log, { pollIntervalMs: options.blobPollIntervalMs ?? 2000 }))
          .filter((scanner) => scanner !== undefined);
  const timerFunctions = functions.filter((fn) => triggerOf(fn).type === 'timerTrigger');
  const timers = new Map(
    timerFunctions.map((fn) => [fn.metadata.name, startTimerTrigger(fn, env, log, options.timers !== false)]),
  );

  for (const fn of functions) {
    const trigger = triggerOf(fn);
    const what =
      trigger.type === 'httpTrigger'
        ? `${((trigger.options.methods as string[] | undefined) ?? ['*']).join(',')} http://127.0.0.1:${port}/${hostJson.routePrefix}/${optionText(trigger.options.route, fn.metadata.name)}`
        : trigger.type === 'queueTrigger'
          ? `queue ${optionText(trigger.options.queueName, '?')}`
          : trigger.type === 'blobTrigger'
            ? `blob ${optionText(trigger.options.path, '?')}`
            : `timer ${optionText(trigger.options.schedule, '?')}`;
    log(`  ${fn.metadata.name}: ${what}`);
  }
  for (const fn of registered)
    if (!functions.includes(fn)) log(`  ${fn.metadata.name}: disabled (AzureWebJobs.${fn.metadata.name}.Disabled)`);

  return {
    url: `http://127.0.0.1:${port}/${hostJson.routePrefix}`,
    port,
    functions,
    runTimer: async (name) => {
      const timer = timers.get(name);
      if (!timer) throw new Error(`No timer function named ${name}`);
      await timer.runNow();
    },
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.all([
        ...pollers.map((p) => p.stop()),
        ...blobScanners.map((b) => b.stop()),
        ...[...timers.values()].map((t) => t.stop()),
      ]);
      await runHooks('appTerminate');
    },
  };
}
