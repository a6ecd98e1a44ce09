import type http from 'node:http';
import net, { type AddressInfo } from 'node:net';

import { app, type InvocationContext } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';

import { startAzurite } from '../../local/azurite';
import { createHttpServer } from '../../local/httpServer';
import { call, startTestApp, type TestApp, waitFor } from '../support/app';

// Test-only functions, registered beside the app's own before the host starts.
const handled: string[] = [];
app.storageQueue('testEcho', {
  queueName: 'test-echo',
  connection: 'AzureWebJobsStorage',
  handler: (message: unknown, context: InvocationContext) => {
    handled.push(JSON.stringify({ message, dequeueCount: context.triggerMetadata?.dequeueCount }));
  },
});
let failures = 0;
app.storageQueue('testAlwaysFails', {
  queueName: 'test-fails',
  connection: 'AzureWebJobsStorage',
  handler: () => {
    failures++;
    throw new Error('this handler always fails');
  },
});

let testApp: TestApp;
beforeAll(async () => {
  testApp = await startTestApp();
});
afterAll(async () => {
  await testApp.stop();
});

function queue(name: string): QueueClient {
  return new QueueClient(testApp.azurite.connectionString, name);
}

describe('the local host', () => {
  test('when GET /api/health is called with the database and Azurite up, then 200 with both checks up', async () => {
    const res = await call(testApp.url, 'GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', checks: { database: { status: 'up' }, queues: { status: 'up' } } });
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  test('when a request is served, then it is logged as one JSON line with its request id, status and time', async () => {
    const res = await call(testApp.url, 'GET', '/health', { headers: { 'X-Request-Id': 'prueba-log-123' } });
    expect(res.status).toBe(200);
    const line = await waitFor(() => testApp.logs.find((l) => l.includes('prueba-log-123')));
    const entry = JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>;
    expect(entry).toEqual({
      request: 'prueba-log-123',
      method: 'GET',
      path: '/api/health',
      status: 200,
      ms: expect.any(Number),
    });
    expect(testApp.logs.filter((l) => l.includes('prueba-log-123'))).toHaveLength(1);
  });

  test('when a route does not exist, then 404 problem+json ROUTE_NOT_FOUND', async () => {
    const res = await call(testApp.url, 'GET', '/no-such-route');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({
      status: 404,
      code: 'ROUTE_NOT_FOUND',
      type: expect.stringContaining('route-not-found'),
    });
  });

  test('when a route is called with a wrong method, then 405 METHOD_NOT_ALLOWED with Allow', async () => {
    const res = await call(testApp.url, 'DELETE', '/health');
    expect(res.status).toBe(405);
    expect(res.body.code).toBe('METHOD_NOT_ALLOWED');
    expect(res.headers.get('allow')).toContain('GET');
  });

  test('when a docs asset is named like a property of every object, then 404, never a 500', async () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const res = await call(testApp.url, 'GET', `/docs/assets/${name}`);
      expect({ name, status: res.status, code: res.body?.code }).toEqual({
        name,
        status: 404,
        code: 'ROUTE_NOT_FOUND',
      });
    }
  });

  test('when the body is not JSON, then 400 MALFORMED_JSON', async () => {
    const res = await call(testApp.url, 'POST', '/auth/login', {
      raw: '{"email": ',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('MALFORMED_JSON');
  });

  test('when the body is larger than MAX_BODY_BYTES, then 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await call(testApp.url, 'POST', '/auth/login', {
      body: { email: 'a@b.co', password: 'x'.repeat(70_000) },
    });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  test('when the body is sent as text/plain, then 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await call(testApp.url, 'POST', '/auth/login', {
      raw: '{}',
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  test('when a browser sends a CORS preflight from an allowed origin, then 204 with the allowed headers', async () => {
    const res = await call(testApp.url, 'OPTIONS', '/auth/login', {
      headers: {
        Origin: 'http://localhost:5173',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,idempotency-key',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(res.headers.get('access-control-allow-headers')).toContain('Idempotency-Key');
    expect(res.headers.get('access-control-allow-headers')).toContain('Authorization');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  test('when an allowed origin calls a route, then the answer exposes Retry-After and X-Request-Id to the browser', async () => {
    const res = await call(testApp.url, 'POST', '/auth/login', {
      body: { email: 'a@b.co', password: 'x' },
      headers: { Origin: 'http://localhost:5173' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(res.headers.get('access-control-expose-headers')).toEqual(expect.stringContaining('Retry-After'));
    expect(res.headers.get('access-control-expose-headers')).toEqual(expect.stringContaining('X-Request-Id'));
    expect(res.headers.get('vary')).toBe('Origin');
  });

  test('when a preflight comes from an unknown origin, then no CORS headers are granted', async () => {
    const res = await call(testApp.url, 'OPTIONS', '/health', {
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('when a message is queued base64-encoded, then the queue trigger gets it decoded with its dequeue count', async () => {
    await queue('test-echo').createIfNotExists();
    await queue('test-echo').sendMessage(Buffer.from(JSON.stringify({ hello: 'Medellín' })).toString('base64'));
    const seen = await waitFor(() => handled.find((h) => h.includes('Medellín')));
    expect(JSON.parse(seen)).toEqual({ message: { hello: 'Medellín' }, dequeueCount: 1 });
    expect(
      testApp.logs.some((line) => /Executed 'Functions.testEcho' \(Succeeded, Id=.+, Duration=\d+ms\)/.test(line)),
    ).toBe(true);
  });

  test('when a handler always fails, then the message is tried maxDequeueCount times and lands in <queue>-poison', async () => {
    await queue('test-fails').createIfNotExists();
    await queue('test-fails').sendMessage(Buffer.from('{"n":1}').toString('base64'));
    const poisoned = await waitFor(async () => {
      const peeked = await queue('test-fails-poison')
        .peekMessages()
        .catch(() => undefined);
      return peeked?.peekedMessageItems[0];
    }, 25000);
    expect(Buffer.from(poisoned.messageText, 'base64').toString()).toBe('{"n":1}');
    expect(failures).toBe(5); // host.json maxDequeueCount
    // The host logs the move once the original is deleted, a moment after the poison copy is visible.
    await waitFor(() => testApp.logs.some((line) => line.includes("moved to 'test-fails-poison'")));
  });

  test('when a message is not base64, then it goes straight to poison with the reason logged', async () => {
    await queue('test-echo').sendMessage('not base64 at all!');
    await waitFor(
      async () =>
        (
          await queue('test-echo-poison')
            .peekMessages()
            .catch(() => undefined)
        )?.peekedMessageItems[0],
    );
    expect(testApp.logs.some((line) => line.includes('not base64-encoded'))).toBe(true);
  });

  test('when Azurite stops, then /api/health answers 503 within seconds, and 200 again once it is back', async () => {
    const port = testApp.azurite.port;
    await testApp.azurite.stop();
    const started = Date.now();
    const down = await call(testApp.url, 'GET', '/health');
    expect(down.status).toBe(503);
    expect(down.body.checks.queues.status).toBe('down');
    expect(down.body.checks.database.status).toBe('up');
    expect(Date.now() - started).toBeLessThan(5000);

    testApp.azurite = await startAzurite({ location: `${process.env.DATA_DIR}/azurite`, port });
    const up = await waitFor(async () => {
      const res = await call(testApp.url, 'GET', '/health');
      return res.status === 200 ? res : undefined;
    });
    expect(up.body.status).toBe('ok');
  });
});

describe('the host itself (what the Functions host answers before any function runs)', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    // The app's functions without its catch-all: what is left is the host's own behaviour.
    const functions = testApp.host.functions.filter((fn) => fn.metadata.name !== 'notFound');
    server = createHttpServer(functions, 'api', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('when no function takes a route or its method, then a bare 404 with an empty body, as the Functions host gives', async () => {
    for (const [method, route] of [
      ['GET', '/api/no-such-route'],
      ['DELETE', '/api/health'],
      ['GET', '/outside-the-prefix'],
    ]) {
      const res = await fetch(base + route, { method });
      expect({ method, route, status: res.status, body: await res.text() }).toEqual({
        method,
        route,
        status: 404,
        body: '',
      });
    }
  });

  test('when the app is there, then its catch-all answers the same requests with problem+json (404 ROUTE_NOT_FOUND, 405 with Allow)', async () => {
    expect((await call(testApp.url, 'GET', '/no-such-route')).body.code).toBe('ROUTE_NOT_FOUND');
    const wrongMethod = await call(testApp.url, 'DELETE', '/invoices/3f0e7c2a-8b1d-4c55-9a57-2f4b8e1d6c90/pay');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST, OPTIONS');
  });

  test('when the request line or headers are malformed or too large, then the host answers 400 / 431 problem+json itself', async () => {
    const raw = (request: string) =>
      new Promise<string>((resolve) => {
        const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1', () => socket.write(request));
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk.toString()));
        socket.on('close', () => resolve(answer));
      });
    const malformed = await raw('GARBAGE\r\n\r\n');
    expect(malformed).toMatch(/^HTTP\/1\.1 400 /);
    expect(malformed).toContain('application/problem+json');
    const huge = await raw(`GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    expect(huge.split('\r\n\r\n')[1]).toBe(
      JSON.stringify({ type: 'about:blank', title: 'Request Header Fields Too Large', status: 431 }),
    );
  });
});
