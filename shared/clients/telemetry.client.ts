import type * as AzureMonitor from '@azure/monitor-opentelemetry';
import type * as Api from '@opentelemetry/api';
import type * as ApiLogs from '@opentelemetry/api-logs';
import type * as SdkNode from '@opentelemetry/sdk-node';

import type { TelemetryChoice } from '../config';
import { azureCredential } from './credential.client';
import { onFirstUse } from './lazy';

/**
 * Telemetry through the OpenTelemetry API: spans, the app's metrics and the W3C trace context that
 * messages carry. Off (no exporter configured), the API is not even loaded (it costs a quarter of
 * a cold start): no span is made, no traceparent exists, the instruments do nothing. Once
 * startTelemetry registers an SDK, the same calls record and export.
 *
 * What goes in: ids, route and queue names, outcomes, durations. Never an email address, a
 * document number, a token or an error's message (it may quote any of them).
 */
const SCOPE = 'cuponeras-epm';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when telemetry is on (cold start)
const api = onFirstUse(() => require('@opentelemetry/api') as typeof Api);
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when telemetry is on (cold start)
const apiLogs = onFirstUse(() => require('@opentelemetry/api-logs') as typeof ApiLogs);

/** The API's span kinds, by value, so that naming one does not load the API. */
export const SpanKind = { INTERNAL: 0, SERVER: 1, CLIENT: 2, PRODUCER: 3, CONSUMER: 4 } as const satisfies Record<
  keyof typeof Api.SpanKind,
  Api.SpanKind
>;
type Kind = (typeof SpanKind)[keyof typeof SpanKind];

/** What a span's work may do with its span: the parts that mean something when nothing is recorded. */
export type TelemetrySpan = Pick<Api.Span, 'setAttribute' | 'isRecording' | 'spanContext'>;
const NO_SPAN: TelemetrySpan = {
  setAttribute() {
    return this as Api.Span;
  },
  isRecording: () => false,
  spanContext: () => ({ traceId: '', spanId: '', traceFlags: 0 }),
};

/** The active span's W3C traceparent, to store with an outbox row and carry in its message. */
export function activeTraceparent(): string | undefined {
  if (!running) return undefined;
  const carrier: Record<string, string> = {};
  api().propagation.inject(api().context.active(), carrier);
  return carrier.traceparent;
}

/** The context a traceparent names (a message's producer, an HTTP caller), or the active one. */
export function contextOf(traceparent: unknown, tracestate?: unknown): Api.Context | undefined {
  if (!running) return undefined;
  const { context, propagation } = api();
  if (typeof traceparent !== 'string' || traceparent.length > 100) return context.active();
  const carrier: Record<string, string> = { traceparent };
  if (typeof tracestate === 'string' && tracestate.length <= 512) carrier.tracestate = tracestate;
  return propagation.extract(context.active(), carrier);
}

/** The active trace's id (32 hex), for log lines; undefined when nothing is being traced. */
export function activeTraceId(): string | undefined {
  if (!running) return undefined;
  const { trace } = api();
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/**
 * Runs `work` in a new active span (child of `parent`, else of the active span). A failure marks
 * the span ERROR with the error's class only; its message stays out.
 */
export function inSpan<T>(
  name: string,
  options: { kind?: Kind; attributes?: Api.Attributes; parent?: Api.Context },
  work: (span: TelemetrySpan) => Promise<T>,
): Promise<T> {
  if (!running) return work(NO_SPAN);
  const { context, trace, SpanStatusCode } = api();
  return trace
    .getTracer(SCOPE)
    .startActiveSpan(
      name,
      { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
      options.parent ?? context.active(),
      async (span) => {
        try {
          return await work(span);
        } catch (error) {
          const kind = error instanceof Error ? error.name : typeof error;
          span.setStatus({ code: SpanStatusCode.ERROR, message: kind });
          span.setAttribute('error.type', kind);
          throw error;
        } finally {
          span.end();
        }
      },
    );
}

/** The app's own instruments (README, "Telemetry", lists them with their attributes). */
export interface AppMetrics {
  /** Payments by `channel` (gateway, guest, one-step, bank) and `outcome` (PENDING, APPROVED, DECLINED…). */
  payments: Pick<Api.Counter, 'add'>;
  /** Gateway events received, by `valid` (true: signature checked; false: refused). */
  gatewayEvents: Pick<Api.Counter, 'add'>;
  /** Bank collection records by `outcome` (APPLIED, DUPLICATE, UNKNOWN_REFERENCE…). */
  collectionRecords: Pick<Api.Counter, 'add'>;
  /** Emails by `kind` and `outcome` (sent, failed). */
  emails: Pick<Api.Counter, 'add'>;
  /** A pay request's duration in seconds, by `function` and `status`. */
  payDuration: Pick<Api.Histogram, 'record'>;
}

const nothing = () => undefined;
const NO_METRICS: AppMetrics = {
  payments: { add: nothing },
  gatewayEvents: { add: nothing },
  collectionRecords: { add: nothing },
  emails: { add: nothing },
  payDuration: { record: nothing },
};

let instruments: AppMetrics | undefined;

/** The instruments of the SDK registered now (ones that do nothing while telemetry is off). */
export function appMetrics(): AppMetrics {
  if (!running) return NO_METRICS;
  if (instruments) return instruments;
  const meter = appMeter();
  instruments = {
    payments: meter.createCounter('cuponeras.payments', { description: 'Payments by channel and outcome' }),
    gatewayEvents: meter.createCounter('cuponeras.gateway.events', {
      description: 'Gateway events received, valid or refused',
    }),
    collectionRecords: meter.createCounter('cuponeras.collection.records', {
      description: 'Bank collection records by outcome',
    }),
    emails: meter.createCounter('cuponeras.emails', { description: 'Emails by kind and outcome' }),
    payDuration: meter.createHistogram('cuponeras.pay.duration', {
      description: 'Duration of the pay requests',
      unit: 's',
      advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
    }),
  };
  return instruments;
}

/** The meter the system's gauges are made on (only once telemetry runs: see observeSystem's caller). */
export function appMeter(): Api.Meter {
  return api().metrics.getMeter(SCOPE);
}

/** The API's meter is fixed when an instrument is made: a new SDK gets new instruments. */
function forgetInstruments(): void {
  instruments = undefined;
}

// ---- Starting and stopping an SDK ----

/** Exporters a test reads back (the SDK's in-memory ones), in place of the configured ones. */
export interface TelemetryTestExporters {
  spanExporter: SdkNode.tracing.SpanExporter;
  metricReader?: SdkNode.metrics.MetricReader;
  logExporter?: SdkNode.logs.LogRecordExporter;
}

interface RunningTelemetry {
  exporter: TelemetryChoice['exporter'] | 'test';
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

let running: RunningTelemetry | undefined;

/**
 * Registers an OpenTelemetry SDK for the process, once: Azure Monitor's distro for Application
 * Insights, or the Node SDK with its OTLP exporters (which read the standard OTEL_* settings), or
 * a test's in-memory exporters. Off, nothing is loaded: the SDKs are required only here.
 */
export function startTelemetry(choice: TelemetryChoice, test?: TelemetryTestExporters): RunningTelemetry['exporter'] {
  if (running) return running.exporter;
  if (!test && choice.exporter === 'off') return 'off';
  forgetInstruments();
  if (!test && choice.exporter === 'azure-monitor') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when telemetry is on (cold start)
    const distro = require('@azure/monitor-opentelemetry') as typeof AzureMonitor;
    distro.useAzureMonitor({
      azureMonitorExporterOptions: {
        connectionString: choice.connectionString,
        ...(choice.entra ? { credential: azureCredential({ kind: 'managed-identity', ...choice.entra }) } : {}),
      },
      // The app's own spans say what happens; of the distro's instrumentations only outgoing HTTP
      // (the Azure SDKs' calls: storage, ACS, the gateway) applies here.
      instrumentationOptions: {
        mongoDb: { enabled: false },
        mySql: { enabled: false },
        postgreSql: { enabled: false },
        redis: { enabled: false },
        redis4: { enabled: false },
      },
    });
    running = {
      exporter: 'azure-monitor',
      flush: async () => undefined,
      shutdown: () => distro.shutdownAzureMonitor(),
    };
    return running.exporter;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when telemetry is on (cold start)
  const sdkNode = require('@opentelemetry/sdk-node') as typeof SdkNode;
  const sdk = new sdkNode.NodeSDK({
    serviceName: SCOPE,
    // The process detector would export the command line; the environment's OTEL_RESOURCE_ATTRIBUTES suffices.
    resourceDetectors: [sdkNode.resources.envDetector],
    instrumentations: [],
    ...(test
      ? {
          spanProcessors: [new sdkNode.tracing.SimpleSpanProcessor(test.spanExporter)],
          metricReaders: test.metricReader ? [test.metricReader] : [],
          logRecordProcessors: test.logExporter
            ? [new sdkNode.logs.SimpleLogRecordProcessor({ exporter: test.logExporter })]
            : [],
        }
      : {}),
  });
  sdk.start();
  running = {
    exporter: test ? 'test' : 'otlp',
    flush: async () => {
      await Promise.all([
        (api().trace.getTracerProvider() as Partial<{ forceFlush(): Promise<void> }>).forceFlush?.(),
        (api().metrics.getMeterProvider() as Partial<{ forceFlush(): Promise<void> }>).forceFlush?.(),
        (apiLogs().logs.getLoggerProvider() as Partial<{ forceFlush(): Promise<void> }>).forceFlush?.(),
      ]);
    },
    shutdown: () => sdk.shutdown(),
  };
  return running.exporter;
}

/** Sends what is buffered (a test reading its collector; a host about to stop). */
export async function flushTelemetry(): Promise<void> {
  await running?.flush();
}

/** Flushes and unregisters the SDK: the API is back to its no-ops. */
export async function stopTelemetry(): Promise<void> {
  const stopping = running;
  running = undefined;
  if (!stopping) return;
  try {
    await stopping.shutdown();
  } finally {
    const { trace, metrics, propagation, context } = api();
    trace.disable();
    metrics.disable();
    propagation.disable();
    context.disable();
    apiLogs().logs.disable();
    forgetInstruments();
  }
}

export function telemetryExporter(): RunningTelemetry['exporter'] | 'off' {
  return running?.exporter ?? 'off';
}

/** A log line as an OpenTelemetry log record of the active context (its trace and span ids). */
export function emitLog(severity: 'INFO' | 'WARN' | 'ERROR', body: string): void {
  if (!running) return;
  const { SeverityNumber, logs } = apiLogs();
  logs.getLogger(SCOPE).emit({
    severityText: severity,
    severityNumber:
      severity === 'ERROR' ? SeverityNumber.ERROR : severity === 'WARN' ? SeverityNumber.WARN : SeverityNumber.INFO,
    body,
    context: api().context.active(),
  });
}
