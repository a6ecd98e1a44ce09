import { randomUUID } from 'node:crypto';

import fc from 'fast-check';
import jwt from 'jsonwebtoken';

import openapi from '../../openapi.json';
import { DEMO_CUSTOMER, DEMO_OPERATOR } from '../../scripts/demoData';
import { call, logIn } from '../support/app';
import type { CompiledApp } from '../support/compiled';
import { report, startApp } from './support';

/**
 * 5,000 requests generated from the committed OpenAPI document (fast-check): every operation,
 * with parameters and bodies that follow the schema, break it, or are hostile (injection, path
 * tricks, broken percent-encoding, wrong types, deep nesting, forged tokens, wrong methods).
 * Whatever comes in, the app answers below 500, and every error it gives is problem+json with a
 * stable code. The seed is printed; FUZZ_SEED=<seed> replays a run.
 */
const RUNS = 5_000;
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: Schema;
}
interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  schema?: Schema;
}
interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body?: Schema;
}

const operations: Operation[] = Object.entries(openapi.paths as Record<string, Record<string, unknown>>).flatMap(
  ([route, item]) =>
    Object.entries(item)
      .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
      .map(([method, raw]) => {
        const op = raw as {
          parameters?: Parameter[];
          requestBody?: { content: Record<string, { schema: Schema }> };
        };
        return {
          method: method.toUpperCase(),
          path: route,
          parameters: op.parameters ?? [],
          body: op.requestBody ? Object.values(op.requestBody.content)[0]?.schema : undefined,
        };
      }),
);

const HOSTILE = [
  "' OR '1'='1",
  '1; DROP TABLE users;--',
  '../../../../etc/passwd',
  '..',
  '%00',
  '\u0000',
  'constructor',
  '__proto__',
  'toString',
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  '00000000-0000-0000-0000-000000000000',
  '9'.repeat(400),
  'ñandú-Medellín-😀',
  '',
  ' ',
  'null',
  '-1',
  '1e309',
];
/** Path segments sent as they are, not encoded: broken percent-encoding and dot segments. */
const RAW_SEGMENTS = ['%zz', '%', '%E0%A4%A', '%2e%2e', '..%2f..%2f', '%C0%AF', '%FF'];

const hostileString = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ minLength: 300, maxLength: 3000 }),
);

const day = fc
  .date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

/** Addresses the app accepts (fast-check's RFC 5322 ones are mostly refused, as intended, by the stricter rule). */
const plainEmail = fc.stringMatching(/^[a-z][a-z0-9]{2,12}$/).map((local) => `${local}@example.com`);

/** Fields whose meaning the schema doesn't carry: real-looking values reach past validation. */
const NAMED: Record<string, fc.Arbitrary<unknown>> = {
  email: fc.oneof(plainEmail, fc.emailAddress(), fc.constantFrom(DEMO_CUSTOMER.email, DEMO_OPERATOR.email)),
  password: fc.oneof(fc.string({ minLength: 8, maxLength: 30 }), fc.constantFrom(DEMO_CUSTOMER.password)),
  documentNumber: fc.stringMatching(/^\d{6,10}$/),
  contractNumber: fc.integer({ min: 10_000_000, max: 10_000_060 }).map(String),
};

/** Whole bodies that pass every rule (several fields at once are too unlikely to come out right by chance). */
const VALID_BODIES: Record<string, fc.Arbitrary<unknown>> = {
  '/auth/register': fc.record({
    email: plainEmail,
    password: fc.constant('una clave larga de Medellín'),
    fullName: fc.constantFrom('Ana Gómez', 'Juan Pablo Restrepo'),
    documentType: fc.constant('CC'),
    documentNumber: fc.stringMatching(/^[1-9]\d{7}$/),
    acceptTerms: fc.constant(true),
  }),
};

/** Values that follow the schema (as far as it says), so requests get past validation into the logic. */
function fromSchema(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return fc.jsonValue({ maxDepth: 2 });
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'object': {
      const properties = Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([key, value]) => [
          key,
          NAMED[key] ? fc.oneof(NAMED[key], valueFor(value, depth + 1)) : valueFor(value, depth + 1),
        ]),
      );
      return fc.record(properties, { requiredKeys: schema.required ?? [] });
    }
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({ noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(valueFor(schema.items, depth + 1), { maxLength: 5 });
    case 'string':
      if (schema.format === 'email') return fc.emailAddress();
      if (schema.format === 'date') return day;
      if (schema.format === 'uuid') return fc.uuid();
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern, 'u')).filter((s) => s.length < 400);
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 60, 200) });
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Mostly the schema's own values, sometimes anything at all. */
function valueFor(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: fromSchema(schema, depth) },
    { weight: 1, arbitrary: hostileString },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
}

interface Known {
  ids: string[];
  tokens: string[];
  forged: string[];
}

function requestFor(op: Operation, known: Known) {
  const pathValue = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known.ids).map(encodeURIComponent) },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 3, arbitrary: hostileString.map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
  );
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const queryValue = (p: Parameter) =>
    fc.oneof(
      fromSchema(p.schema).map(String),
      fc.constantFrom(...known.ids),
      hostileString.map((s) => String(s)),
    );
  const body = fc.oneof(
    { weight: 6, arbitrary: valueFor(op.body).map((value) => ({ json: value })) },
    {
      weight: VALID_BODIES[op.path] ? 2 : 0,
      arbitrary: (VALID_BODIES[op.path] ?? fc.constant(null)).map((json) => ({ json })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('{"email":', '[]', 'null', '"x"', '{}{}', '['.repeat(5000) + ']'.repeat(5000), '\uFEFF{}')
        .map((raw) => ({ raw })),
    },
    { weight: 1, arbitrary: fc.constant({}) },
  );
  return fc.record({
    method: fc.oneof(
      { weight: 12, arbitrary: fc.constant(op.method) },
      fc.constantFrom('PUT', 'DELETE', 'PATCH', 'GET', 'POST'),
    ),
    path: fc
      .tuple(...pathParams.map(() => pathValue))
      .map((values) => pathParams.reduce((route, p, i) => route.replace(`{${p.name}}`, values[i] ?? ''), op.path)),
    query: fc.array(
      fc.oneof(
        ...queryParams.map((p) => queryValue(p).map((value) => [p.name, value] as const)),
        fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 })),
      ),
      { maxLength: 4 },
    ),
    body: op.body ? body : fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, body),
    token: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...known.tokens) },
      { weight: 2, arbitrary: fc.constantFrom(...known.forged) },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
    contentType: fc.oneof(
      { weight: 8, arbitrary: fc.constant('application/json') },
      fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1'),
    ),
    idempotencyKey: fc.oneof(fc.uuid(), hostileString, fc.constant(undefined)),
    forwardedFor: fc.oneof(
      { weight: 3, arbitrary: fc.constant('192.0.2.77') },
      fc.ipV4(),
      fc.ipV6(),
      hostileString,
      fc.constant(undefined),
    ),
  });
}

let app: CompiledApp | undefined;
afterAll(async () => {
  await app?.stop();
});

test('when 5,000 requests generated from the OpenAPI document hit the app, then none gets a 5xx and every error is problem+json', async () => {
  const dataDir = process.env.DATA_DIR ?? '';
  // The real quotas: the fuzzer meets them as an attacker would.
  app = await startApp(dataDir, {
    REGISTER_MAX_PER_CLIENT_PER_HOUR: '10',
    SEARCH_MAX_PER_USER_PER_MINUTE: '30',
    SEARCH_MAX_CONTRACTS_PER_USER_PER_DAY: '200',
    COUPON_LOOKUPS_MAX_PER_USER_PER_MINUTE: '60',
  });
  const base = app.base;

  // Real ids and tokens, so that generated requests also reach the logic behind validation.
  const customer = await logIn(base, DEMO_CUSTOMER.email, DEMO_CUSTOMER.password);
  const operator = await logIn(base, DEMO_OPERATOR.email, DEMO_OPERATOR.password);
  const found = await call(base, 'POST', '/invoices/search', {
    token: customer.token,
    body: { contractNumber: '10000007' },
  });
  const [first, second] = found.body.coupons as { code: string; invoiceId: string }[];
  const paid = await call(base, 'POST', `/invoices/${first!.invoiceId}/pay`, {
    token: customer.token,
    body: { couponCode: first!.code, paymentMethod: 'PSE' },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  const forged = [
    jwt.sign({ sub: customer.id, role: 'operator' }, 'not-the-secret-but-long-enough-0123456789', {
      algorithm: 'HS256',
    }),
    `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: operator.id, role: 'operator' })).toString('base64url')}.`,
    'x.y.z',
    'Bearer',
  ];
  const known: Known = {
    ids: [
      first!.code,
      second?.code ?? first!.code,
      first!.invoiceId,
      paid.body.transaction.id,
      customer.id,
      'swagger-ui.css',
    ],
    tokens: [customer.token, customer.token, operator.token],
    forged,
  };

  const statuses = new Map<number, number>();
  const byRoute = new Map<string, number>();
  const failures: string[] = [];
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...operations).chain((op) => requestFor(op, known).map((request) => ({ op, request }))),
      async ({ op, request }) => {
        const query = new URLSearchParams(
          request.query.map(([key, value]): [string, string] => [String(key), String(value)]),
        );
        const url = `${base}${request.path}${query.size > 0 ? `?${query.toString()}` : ''}`;
        const headers: Record<string, string> = {};
        if (request.token)
          headers.Authorization = request.token.startsWith('Bearer') ? request.token : `Bearer ${request.token}`;
        if (request.idempotencyKey !== undefined)
          headers['Idempotency-Key'] = String(request.idempotencyKey).replace(/[^\x20-\x7e]/g, '?');
        if (request.forwardedFor !== undefined)
          headers['X-Forwarded-For'] = String(request.forwardedFor).replace(/[^\x20-\x7e]/g, '?');
        let body: string | undefined;
        if (request.method !== 'GET' && 'json' in request.body) body = JSON.stringify(request.body.json);
        if (request.method !== 'GET' && 'raw' in request.body) body = request.body.raw;
        if (body !== undefined) headers['Content-Type'] = request.contentType;
        const res = await fetch(url, { method: request.method, headers, body });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        byRoute.set(`${op.method} ${op.path}`, (byRoute.get(`${op.method} ${op.path}`) ?? 0) + 1);
        const what = `${request.method} ${request.path} → ${res.status}`;
        if (res.status >= 500) failures.push(`${what}: ${text.slice(0, 200)}`);
        if (res.status >= 400) {
          const isProblem = (res.headers.get('content-type') ?? '').startsWith('application/problem+json');
          const problem = isProblem ? (JSON.parse(text) as { code?: unknown; status?: unknown }) : {};
          if (!isProblem || typeof problem.code !== 'string' || problem.status !== res.status)
            failures.push(`${what}: not problem+json with a code: ${text.slice(0, 200)}`);
        }
        return res.status < 500;
      },
    ),
    { numRuns: RUNS, seed: SEED, endOnFailure: true },
  );

  const count = (test: (status: number) => boolean) =>
    [...statuses].filter(([status]) => test(status)).reduce((sum, [, n]) => sum + n, 0);
  report('fuzz', {
    requests: RUNS,
    seed: SEED,
    operations: `${byRoute.size} of ${operations.length}`,
    '2xx': count((s) => s < 300),
    '4xx': count((s) => s >= 400 && s < 500),
    'by status': [...statuses]
      .sort(([a], [b]) => a - b)
      .map(([status, n]) => `${status}×${n}`)
      .join(' '),
    '5xx': count((s) => s >= 500),
    'errors not problem+json': failures.filter((f) => f.includes('not problem+json')).length,
    seconds: ((Date.now() - started) / 1000).toFixed(1),
  });
  expect(failures).toEqual([]);
  expect(byRoute.size).toBe(operations.length);
}, 240_000);
