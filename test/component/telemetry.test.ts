import { randomUUID } from 'node:crypto';
import fs from 'node:fs';

import { SpanKind } from '@opentelemetry/api';
import { logs, metrics, tracing } from '@opentelemetry/sdk-node';

import { startTelemetry, stopTelemetry } from '../../shared/clients/telemetry.client';
import { call, customerWithCoupon, type SeededApp, startSeededApp, waitFor } from '../support/app';

/**
 * Telemetry with the SDK's in-memory exporters, on a real Azurite and each engine: one trace from
 * the pay request through the outbox row and the queue to the email send, the app's metrics, log
 * lines that name their trace, and nothing personal in any of it.
 */
class ManualReader extends metrics.MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const spans = new tracing.InMemorySpanExporter();
const logRecords = new logs.InMemoryLogRecordExporter();
const reader = new ManualReader();
let app: SeededApp;

beforeAll(async () => {
  startTelemetry({ exporter: 'off' }, { spanExporter: spans, metricReader: reader, logExporter: logRecords });
  app = await startSeededApp({ queues: true });
}, 60_000);
afterAll(async () => {
  await app.stop();
  await stopTelemetry();
});

type Exported = tracing.ReadableSpan;
const traceOf = (span: Exported) => span.spanContext().traceId;
const named = (name: string) => spans.getFinishedSpans().filter((s) => s.name === name);

async function metricPoints(name: string): Promise<{ attributes: Record<string, unknown>; value: unknown }[]> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === name)
    .flatMap((metric) => metric.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })));
}

test('when a customer pays, then one trace runs from the pay request through the transaction, the outbox row and the queue to the email send', async () => {
  const { customer, coupon } = await customerWithCoupon(app.url, '10000031');
  const paid = await call(app.url, 'POST', `/invoices/${coupon.invoiceId}/pay`, {
    token: customer.token,
    body: { couponCode: coupon.code, paymentMethod: 'CARD' },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  expect(paid.status).toBe(201);
  const request = named('POST payInvoice').at(-1);
  expect(request).toBeDefined();
  const traceId = request ? traceOf(request) : '';

  const receipt = await app.services
    .db('outbox')
    .where({ queue: 'invoice-emails' })
    .where('body', 'like', `%${paid.body.transaction.id}%`)
    .first<{ id: string; body: string; traceparent: string | null }>('id', 'body', 'traceparent');
  // The row and its message carry the request's trace.
  expect(receipt.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  expect((JSON.parse(receipt.body) as { traceparent?: string }).traceparent).toBe(receipt.traceparent);

  const sent = await waitFor(() =>
    named('email.send').find((s) => traceOf(s) === traceId && s.attributes['messaging.message.id'] === receipt.id),
  );
  // The email's send is a child of the consumer's span, which the message's traceparent put in this
  // trace; the consumer's span ends a little after the send's (it confirms the row first).
  const consumer = await waitFor(() =>
    named('process invoice-emails').find(
      (s) => traceOf(s) === traceId && s.spanContext().spanId === sent.parentSpanContext?.spanId,
    ),
  );
  // Each span is listed once it has ended: the producer's may end after the consumer's began.
  const expected = ['POST payInvoice', 'db.transaction', 'send invoice-emails', 'process invoice-emails'];
  const inTrace = await waitFor(() => {
    const finished = spans.getFinishedSpans().filter((s) => traceOf(s) === traceId);
    return expected.every((name) => finished.some((s) => s.name === name)) && finished;
  });
  expect(inTrace.map((s) => s.name)).toEqual(expect.arrayContaining(expected));
  expect(consumer).toBeDefined();
  expect(consumer?.kind).toBe(SpanKind.CONSUMER);

  // Every line the host wrote for the request names its trace.
  expect(app.logs.some((line) => line.includes(`(trace ${traceId})`) && line.includes('"status":201'))).toBe(true);
  // The log records carry the trace as OpenTelemetry's log data model does.
  expect(logRecords.getFinishedLogRecords().some((r) => r.spanContext?.traceId === traceId)).toBe(true);

  // Nothing personal went out: no email address, document number, token or password.
  const exported = JSON.stringify([
    spans
      .getFinishedSpans()
      .map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })),
    logRecords.getFinishedLogRecords().map((r) => ({ body: r.body, attributes: r.attributes })),
    (await reader.collect()).resourceMetrics,
  ]);
  for (const secret of [customer.email, customer.documentNumber, customer.token, customer.password, coupon.code])
    expect(exported).not.toContain(secret);
});

test('when payments, gateway events and emails happen, then their counters, the pay latency histogram and the system gauges report them', async () => {
  const { customer, coupon } = await customerWithCoupon(app.url, '10000032');
  await call(app.url, 'POST', `/invoices/${coupon.invoiceId}/pay`, {
    token: customer.token,
    body: { couponCode: coupon.code, paymentMethod: 'PSE' },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  const forged = await call(app.url, 'POST', '/payments/events', {
    body: {
      event: 'transaction.updated',
      data: { transaction: { id: 'x', reference: 'CUPx', status: 'APPROVED', amount_in_cents: 100, currency: 'COP' } },
      sent_at: new Date().toISOString(),
      timestamp: Math.floor(Date.now() / 1000),
      signature: { properties: ['transaction.id'], checksum: 'f'.repeat(64) },
      environment: 'test',
    },
  });
  expect(forged.status).toBe(401);
  await waitFor(async () =>
    (await metricPoints('cuponeras.emails')).some(
      (p) => p.attributes.outcome === 'sent' && p.attributes.kind === 'receipt',
    ),
  );

  expect(await metricPoints('cuponeras.payments')).toContainEqual({
    attributes: { channel: 'one-step', outcome: 'APPROVED' },
    value: expect.any(Number),
  });
  expect(await metricPoints('cuponeras.gateway.events')).toContainEqual({ attributes: { valid: false }, value: 1 });
  const latency = await metricPoints('cuponeras.pay.duration');
  expect(latency).toContainEqual({
    attributes: { function: 'payInvoice', status: 201 },
    value: expect.objectContaining({ count: expect.any(Number) }),
  });
  const [backlog] = await metricPoints('cuponeras.outbox.undelivered');
  expect(typeof backlog?.value).toBe('number');
  const poison = await metricPoints('cuponeras.queue.poison_messages');
  expect(poison.map((p) => p.attributes.queue).sort()).toEqual(['account-emails', 'invoice-emails', 'notifications']);
});

test('when telemetry is off, then no span is recorded and outbox rows carry no traceparent', async () => {
  await stopTelemetry();
  const before = spans.getFinishedSpans().length;
  const { customer, coupon } = await customerWithCoupon(app.url, '10000033');
  const paid = await call(app.url, 'POST', `/invoices/${coupon.invoiceId}/pay`, {
    token: customer.token,
    body: { couponCode: coupon.code, paymentMethod: 'CARD' },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  expect(paid.status).toBe(201);
  const row = await app.services
    .db('outbox')
    .where('body', 'like', `%${paid.body.transaction.id}%`)
    .first<{ body: string; traceparent: string | null }>('body', 'traceparent');
  expect(row.traceparent).toBeNull();
  expect(row.body).not.toContain('traceparent');
  expect(spans.getFinishedSpans().length).toBe(before);
  expect(fs.existsSync(app.services.config.email.outboxDir)).toBe(true);
});
