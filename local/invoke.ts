import { randomUUID } from 'node:crypto';

import { activeTraceId, emitLog } from '../shared/clients/telemetry.client';
import {
  type CoreInvocationContext,
  getProgrammingModel,
  type InvocationResponse,
  type RegisteredFunction,
  type TypedData,
} from './functionsCore';

export type HostLog = (line: string) => void;

/** A binding option that should be text (route, queue name, connection), or the fallback. */
export function optionText(value: unknown, fallback: string): string {
  return typeof value === 'string' && value.length > 0 ? value : fallback;
}

/** The trigger binding of a function: its name in the bindings map and its options. */
export function triggerOf(fn: RegisteredFunction): { name: string; type: string; options: Record<string, unknown> } {
  for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
    if (binding.direction === 'in' && binding.type.endsWith('Trigger'))
      return { name, type: binding.type, options: binding };
  }
  throw new Error(`Function ${fn.metadata.name} has no trigger binding`);
}

export interface InvocationOutcome {
  response: InvocationResponse;
  durationMs: number;
}

/**
 * Runs one invocation the way the Node worker does: the library's invocation model turns the
 * trigger data into handler arguments, calls the handler, and converts its result and outputs.
 * Logs one line per invocation (name, id, duration, outcome), like the Functions host.
 */
export async function invoke(
  fn: RegisteredFunction,
  triggerData: TypedData,
  triggerMetadata: Record<string, TypedData>,
  log: HostLog,
): Promise<InvocationOutcome> {
  const invocationId = randomUUID();
  const name = fn.metadata.name;
  const coreContext: CoreInvocationContext = {
    invocationId,
    request: {
      invocationId,
      functionId: name,
      inputData: [{ name: triggerOf(fn).name, data: triggerData }],
      triggerMetadata,
    },
    metadata: fn.metadata,
    log: (level, category, message) => {
      if (category === 'user' || level === 'error' || level === 'warning') {
        // Called within the invocation's active span: the line names its trace, when one is recorded.
        const traceId = activeTraceId();
        log(
          `[${name}] ${traceId && !message.includes(traceId) ? `(trace ${traceId}) ` : ''}${level === 'information' ? '' : `${level}: `}${message}`,
        );
        emitLog(level === 'error' ? 'ERROR' : level === 'warning' ? 'WARN' : 'INFO', `[${name}] ${message}`);
      }
    },
  };
  const started = performance.now();
  try {
    const model = getProgrammingModel().getInvocationModel(coreContext);
    const { context, inputs } = await model.getArguments();
    const result = await model.invokeFunction(context, inputs, fn.callback);
    const response = await model.getResponse(context, result);
    const durationMs = performance.now() - started;
    // An HTTP request already has the app's own one-line log; other triggers get the host's line.
    if (triggerOf(fn).type !== 'httpTrigger')
      log(`Executed 'Functions.${name}' (Succeeded, Id=${invocationId}, Duration=${durationMs.toFixed(0)}ms)`);
    return { response, durationMs };
  } catch (error) {
    const durationMs = performance.now() - started;
    const reason = error instanceof Error ? error.message : String(error);
    log(`Executed 'Functions.${name}' (Failed, Id=${invocationId}, Duration=${durationMs.toFixed(0)}ms): ${reason}`);
    throw error;
  }
}

/** Output data of a response as a string to enqueue (JSON for objects), per the library's typed data. */
export function typedDataToText(data: TypedData): string | undefined {
  if (data.string !== undefined) return data.string;
  if (data.json !== undefined) return data.json;
  if (data.bytes !== undefined) return Buffer.from(data.bytes).toString('utf8');
  if (data.int !== undefined) return String(data.int);
  return undefined;
}
