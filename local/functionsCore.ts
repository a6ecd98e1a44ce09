/**
 * This project's stand-in for `@azure/functions-core`, the module that the Functions host's Node
 * worker provides. `@azure/functions` registers every `app.http` / `app.storageQueue` /
 * `app.timer` call through it, so the local host learns the app's functions (bindings, routes,
 * schedules) from the app's own registrations, never from a second list.
 */

import { asyncStdout } from './logWriter';

/** One binding as the library describes it (type, direction and the trigger's own options). */
export interface BindingInfo {
  type: string;
  direction: 'in' | 'out' | 'inout';
  [option: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  bindings: Record<string, BindingInfo>;
}

export type FunctionCallback = (...args: unknown[]) => unknown;

/** The slice of the library's ProgrammingModel / InvocationModel the host drives. */
export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], handler: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<InvocationResponse>;
}
export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreContext: CoreInvocationContext): InvocationModel;
}

/** Data as the worker protocol carries it. */
export interface TypedData {
  string?: string;
  json?: string;
  bytes?: Uint8Array;
  int?: number;
  http?: {
    method?: string;
    url?: string;
    headers?: Record<string, string>;
    query?: Record<string, string>;
    params?: Record<string, string>;
    body?: TypedData;
    statusCode?: string;
  };
}

export interface InvocationResponse {
  invocationId: string;
  returnValue?: TypedData | null;
  outputData?: { name: string; data: TypedData }[];
}

export interface CoreInvocationContext {
  invocationId: string;
  request: {
    invocationId: string;
    functionId: string;
    inputData: { name: string; data: TypedData }[];
    triggerMetadata: Record<string, TypedData>;
    retryContext?: { retryCount: number; maxRetryCount: number };
  };
  metadata: FunctionMetadata;
  state?: string;
  log(level: string, category: string, message: string): void;
}

export interface RegisteredFunction {
  metadata: FunctionMetadata;
  callback: FunctionCallback;
}

export type HookCallback = (coreContext: { hookData: Record<string, unknown> }) => unknown;

interface Registry {
  programmingModel?: ProgrammingModel;
  functions: Map<string, RegisteredFunction>;
  /** appStart / appTerminate hooks (app.hook.*), run by the host as the Functions worker runs them. */
  hooks: Map<string, HookCallback[]>;
  log: (level: string, category: string, message: string) => void;
}

// Kept on globalThis so that the host and the library share one registry even if this module is
// loaded twice (compiled and transpiled copies, jest's per-file module registry).
const REGISTRY_KEY = Symbol.for('cuponeras-epm.functions-core');
type GlobalWithRegistry = typeof globalThis & { [REGISTRY_KEY]?: Registry };

export function registry(): Registry {
  const holder = globalThis as GlobalWithRegistry;
  holder[REGISTRY_KEY] ??= {
    functions: new Map(),
    hooks: new Map(),
    log: (level, category, message) => {
      if (level === 'error' || level === 'warning' || category === 'user') asyncStdout().write(`[${level}] ${message}`);
    },
  };
  return holder[REGISTRY_KEY];
}

export function setProgrammingModel(model: ProgrammingModel): void {
  registry().programmingModel = model;
}

export function getProgrammingModel(): ProgrammingModel {
  const model = registry().programmingModel;
  if (!model) throw new Error('No programming model registered: no function module has been loaded');
  return model;
}

export function registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): { dispose(): void } {
  const functions = registry().functions;
  if (functions.has(metadata.name)) throw new Error(`Function "${metadata.name}" is registered twice`);
  functions.set(metadata.name, { metadata, callback });
  return { dispose: () => functions.delete(metadata.name) };
}

export function registerHook(hookName: string, callback: HookCallback): { dispose(): void } {
  const hooks = registry().hooks;
  hooks.set(hookName, [...(hooks.get(hookName) ?? []), callback]);
  return {
    dispose: () =>
      hooks.set(
        hookName,
        (hooks.get(hookName) ?? []).filter((c) => c !== callback),
      ),
  };
}

/** Runs the hooks registered under a name, in registration order (appStart before the first invocation). */
export async function runHooks(hookName: string): Promise<void> {
  for (const callback of registry().hooks.get(hookName) ?? []) await callback({ hookData: {} });
}

export function log(level: string, category: string, message: string): void {
  registry().log(level, category, message);
}
