import http from 'node:http';

import { EmailClient } from '@azure/communication-email';

import { AcsEmailSender, type EmailMessage } from '../../shared/clients/email.client';

/**
 * A local stand-in for the ACS Email REST endpoint (not a mock of the SDK): it records what the
 * real SDK sends and answers like the service — 202 with an operation, then Succeeded. Like ACS,
 * a repeated Operation-Id is the same operation, not a second email.
 */
interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let server: http.Server;
let endpoint: string;
const requests: Recorded[] = [];
const operations = new Map<string, number>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const url = new URL(req.url ?? '/', endpoint);
      if (req.method === 'POST' && url.pathname === '/emails:send') {
        const id = String(req.headers['operation-id']);
        operations.set(id, (operations.get(id) ?? 0) + 1);
        res.writeHead(202, {
          'Content-Type': 'application/json',
          'Operation-Location': `${endpoint}emails/operations/${id}?api-version=2023-03-31`,
          'Retry-After': '0',
        });
        res.end(JSON.stringify({ id, status: 'Running' }));
        return;
      }
      const match = /^\/emails\/operations\/([\w-]+)$/.exec(url.pathname);
      if (req.method === 'GET' && match) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ id: match[1], status: 'Succeeded' }));
        return;
      }
      res.writeHead(404);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const message: EmailMessage = {
  messageId: '6f1c1d9e-4d57-4a8f-9a39-0f7f3b1b2c55',
  to: { address: 'lucia@example.com', displayName: 'Lucía Zapata' },
  subject: 'Recibimos su pago de $ 142.980 – factura F10000007202611',
  html: '<p>Hola</p>',
  text: 'Hola',
  attachments: [{ filename: 'factura.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.7 fake') }],
};

function sender(): AcsEmailSender {
  const key = Buffer.from('a-local-test-key-not-a-secret').toString('base64');
  const client = new EmailClient(`endpoint=${endpoint};accesskey=${key}`, {
    allowInsecureConnection: true,
    retryOptions: { maxRetries: 0 },
  });
  return new AcsEmailSender(client, 'DoNotReply@cuponeras.epm.com.co', 10);
}

describe('the Azure Communication Services email adapter', () => {
  test('when an email is sent, then the SDK posts the documented request and waits for the operation to succeed', async () => {
    const result = await sender().send(message);
    expect(result.providerId).toBe(message.messageId);
    const post = requests.find((r) => r.method === 'POST');
    expect(post?.url).toMatch(/^\/emails:send\?api-version=\d{4}-\d{2}-\d{2}/);
    expect(post?.headers['operation-id']).toBe(message.messageId);
    expect(String(post?.headers.authorization)).toMatch(
      /^HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=/,
    );
    expect(JSON.parse(post?.body ?? '{}')).toEqual({
      senderAddress: 'DoNotReply@cuponeras.epm.com.co',
      recipients: { to: [{ address: 'lucia@example.com', displayName: 'Lucía Zapata' }] },
      content: { subject: message.subject, plainText: 'Hola', html: '<p>Hola</p>' },
      attachments: [
        {
          name: 'factura.pdf',
          contentType: 'application/pdf',
          contentInBase64: Buffer.from('%PDF-1.7 fake').toString('base64'),
        },
      ],
    });
    expect(
      requests.some((r) => r.method === 'GET' && r.url.startsWith(`/emails/operations/${message.messageId}`)),
    ).toBe(true);
  });

  test('when the same message is sent again (a retried queue message), then it carries the same Operation-Id: one operation', async () => {
    await sender().send(message);
    expect([...operations.keys()]).toEqual([message.messageId]);
  });
});
