import { percentile } from '../../bench/stats';
import { DEMO_CUSTOMER, DEMO_OPERATOR } from '../../scripts/demoData';
import { newCouponCode } from '../../shared/models/coupon.model';
import { call, newCustomer } from '../support/app';
import type { CompiledApp } from '../support/compiled';
import { report, startApp } from './support';

/**
 * The attacks of issue #12 against the app as `npm start` runs it, behind one trusted proxy hop
 * (TRUSTED_PROXY_HOPS=1: the proxy appends the address it saw to X-Forwarded-For): spoofed
 * address headers, account enumeration by answers and by timing, locking an owner out, and the
 * quotas of the costly routes with their real defaults.
 */
let app: CompiledApp | undefined;
let base = '';
beforeAll(async () => {
  app = await startApp(process.env.DATA_DIR ?? '', {
    TRUSTED_PROXY_HOPS: '1',
    REGISTER_MAX_PER_CLIENT_PER_HOUR: '10',
    SEARCH_MAX_PER_USER_PER_MINUTE: '30',
    COUPON_LOOKUPS_MAX_PER_USER_PER_MINUTE: '60',
  });
  base = app.base;
}, 120_000);
afterAll(async () => {
  await app?.stop();
});

/** What the proxy would forward for a client at `address` that wrote `spoofed` itself. */
const forwarded = (address: string, spoofed?: string) => (spoofed ? `${spoofed}, ${address}` : address);

async function login(email: string, password: string, address: string, extra: Record<string, string> = {}) {
  const started = performance.now();
  const res = await call(base, 'POST', '/auth/login', {
    body: { email, password },
    headers: { 'X-Forwarded-For': forwarded(address, extra.spoofed), ...extra },
  });
  return { status: res.status, code: res.body?.code as string | undefined, ms: performance.now() - started, res };
}

const figures: Record<string, string | number> = {};
afterAll(() => report('throttling', figures));

test('when a throttled client writes its own address headers, then it gets no fresh budget', async () => {
  const address = '198.51.100.20';
  for (let i = 0; i < 5; i++) await login(DEMO_CUSTOMER.email, 'clave equivocada', address);
  const spoofs = ['X-Client-IP', 'X-Real-IP', 'CF-Connecting-IP', 'True-Client-IP', 'X-Forwarded-For'];
  const answers = [];
  for (const [i, header] of spoofs.entries()) {
    const fake = `10.1.2.${i + 1}`;
    const extra: Record<string, string> = header === 'X-Forwarded-For' ? { spoofed: fake } : { [header]: fake };
    answers.push(await login(DEMO_CUSTOMER.email, 'clave equivocada', address, extra));
  }
  figures['spoofed address headers that got a fresh budget'] =
    `${answers.filter((a) => a.status !== 429).length} of ${answers.length}`;
  expect(answers.map((a) => a.status)).toEqual(spoofs.map(() => 429));
});

test('when the operator’s password is guessed 5 times from one client, then that client waits and the operator still logs in from elsewhere', async () => {
  for (let i = 0; i < 5; i++) await login(DEMO_OPERATOR.email, 'adivinanza', '198.51.100.30');
  const attacker = await login(DEMO_OPERATOR.email, DEMO_OPERATOR.password, '198.51.100.30');
  const owner = await login(DEMO_OPERATOR.email, DEMO_OPERATOR.password, '198.51.100.31');
  figures['attacker after 5 guesses (even with the right password)'] =
    `${attacker.status} Retry-After ${attacker.res.headers.get('retry-after')}`;
  figures['operator from another client'] = owner.status;
  expect(attacker.status).toBe(429);
  expect(Number(attacker.res.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(owner.status).toBe(200);
});

test('when a known and an unknown email are tried with wrong passwords, then the answers, codes and timing are the same', async () => {
  type Attempt = Awaited<ReturnType<typeof login>>;
  const known: Attempt[] = [];
  const unknown: Attempt[] = [];
  // Interleaved, so that load on the machine touches both alike.
  for (let i = 0; i < 7; i++) {
    known.push(await login(DEMO_CUSTOMER.email, `equivocada-${i}`, '198.51.100.40'));
    unknown.push(await login('nadie.registrado@example.com', `equivocada-${i}`, '198.51.100.41'));
  }
  const answers = (list: Attempt[]) => list.map((a) => `${a.status} ${a.code}`);
  // Timing of the attempts that reach the password check (before the pair is throttled).
  const median = (list: Attempt[]) =>
    percentile(
      list.filter((a) => a.status === 401).map((a) => a.ms),
      50,
    );
  const ratio = median(unknown) / median(known);
  figures['wrong-password answers, known email'] = answers(known).join(', ');
  figures['wrong-password answers, unknown email'] = answers(unknown).join(', ');
  figures['login median ms known / unknown (ratio)'] =
    `${median(known).toFixed(0)} / ${median(unknown).toFixed(0)} (${ratio.toFixed(2)})`;
  expect(answers(unknown)).toEqual(answers(known));
  expect(ratio).toBeGreaterThan(0.5);
  expect(ratio).toBeLessThan(2);
});

test('when an email already registered signs up again, then it takes as long as a new one', async () => {
  const existing: { status: number; ms: number }[] = [];
  const fresh: { status: number; ms: number }[] = [];
  for (let i = 0; i < 4; i++) {
    for (const [list, email] of [
      [existing, DEMO_CUSTOMER.email],
      [fresh, `nuevo.${Date.now()}.${i}@example.com`],
    ] as const) {
      const started = performance.now();
      const res = await call(base, 'POST', '/auth/register', {
        body: {
          email,
          password: 'una clave larga de Medellín',
          fullName: 'Ana Gómez',
          documentType: 'CC',
          documentNumber: String(81_000_000 + i * 2 + list.length),
          acceptTerms: true,
        },
        headers: { 'X-Forwarded-For': `198.51.100.${50 + i}` },
      });
      list.push({ status: res.status, ms: performance.now() - started });
    }
  }
  const median = (list: { ms: number }[]) =>
    percentile(
      list.map((a) => a.ms),
      50,
    );
  const ratio = median(existing) / median(fresh);
  figures['register median ms existing / new email (ratio)'] =
    `${median(existing).toFixed(0)} / ${median(fresh).toFixed(0)} (${ratio.toFixed(2)})`;
  expect(existing.map((a) => a.status)).toEqual([409, 409, 409, 409]);
  expect(fresh.map((a) => a.status)).toEqual([201, 201, 201, 201]);
  expect(ratio).toBeGreaterThan(0.5);
  expect(ratio).toBeLessThan(2);
});

test('when one client registers, one user searches and one user guesses coupon codes beyond the quotas, then 429 with Retry-After', async () => {
  const registrations = [];
  for (let i = 0; i < 12; i++) {
    const res = await call(base, 'POST', '/auth/register', {
      body: {
        email: `cuota.${Date.now()}.${i}@example.com`,
        password: 'una clave larga de Medellín',
        fullName: 'Ana Gómez',
        documentType: 'CC',
        documentNumber: String(82_000_000 + i),
        acceptTerms: true,
      },
      headers: { 'X-Forwarded-For': '198.51.100.60' },
    });
    registrations.push(res.status);
  }
  const customer = await newCustomer(base);
  const searches = [];
  for (let i = 0; i < 32; i++) {
    const res = await call(base, 'POST', '/invoices/search', {
      token: customer.token,
      body: { contractNumber: String(10_000_001 + (i % 10)) },
    });
    searches.push(res);
  }
  const guesses = [];
  for (let i = 0; i < 62; i++) {
    const res = await call(base, 'GET', `/coupons/${newCouponCode()}`, { token: customer.token });
    guesses.push(res);
  }
  const firstRefused = (statuses: number[]) => statuses.indexOf(429) + 1;
  figures['registrations from one client: first 429 at'] = firstRefused(registrations);
  figures['searches by one user in a minute: first 429 at'] = firstRefused(searches.map((r) => r.status));
  figures['coupon look-ups by one user in a minute: first 429 at'] = firstRefused(guesses.map((r) => r.status));
  expect(registrations.slice(0, 10).every((status) => status === 201)).toBe(true);
  expect(registrations.slice(10)).toEqual([429, 429]);
  expect(searches.slice(30).map((r) => r.status)).toEqual([429, 429]);
  expect(searches.slice(30).every((r) => Number(r.headers.get('retry-after')) > 0)).toBe(true);
  expect(guesses.slice(0, 60).every((r) => r.status === 404)).toBe(true);
  expect(guesses.slice(60).map((r) => [r.status, r.body.code])).toEqual([
    [429, 'TOO_MANY_REQUESTS'],
    [429, 'TOO_MANY_REQUESTS'],
  ]);
});

test('when a guest asks for contracts that exist and ones that don’t, then the answers take the same time, and a client stops at its quota', async () => {
  const timed = async (contractNumber: string, address: string) => {
    const started = performance.now();
    const res = await call(base, 'POST', '/guest/invoices/search', {
      body: { contractNumber },
      headers: { 'X-Forwarded-For': address },
    });
    return { status: res.status, ms: performance.now() - started, res };
  };
  const known: { status: number; ms: number }[] = [];
  const unknown: { status: number; ms: number }[] = [];
  // Alternating, each from an address of its own (one search each: no quota in the way).
  for (let i = 0; i < 8; i++) {
    known.push(await timed(String(10_000_011 + i), `203.0.113.${10 + i}`));
    unknown.push(await timed(String(80_000_001 + i), `203.0.113.${30 + i}`));
  }
  const median = (list: { ms: number }[]) =>
    percentile(
      list.map((a) => a.ms),
      50,
    );
  const ratio = median(unknown) / median(known);
  figures['guest search median ms known / unknown contract (ratio)'] =
    `${median(known).toFixed(0)} / ${median(unknown).toFixed(0)} (${ratio.toFixed(2)})`;
  expect(known.map((a) => a.status)).toEqual(known.map(() => 200));
  expect(unknown.map((a) => a.status)).toEqual(unknown.map(() => 404));
  expect(ratio).toBeGreaterThan(0.5);
  expect(ratio).toBeLessThan(2);

  const statuses = [];
  for (let i = 0; i < 12; i++) statuses.push((await timed('10000011', '203.0.113.90')).status);
  figures['guest searches by one client in a minute: first 429 at'] = statuses.indexOf(429) + 1;
  expect(statuses.slice(0, 10).every((status) => status === 200)).toBe(true);
  expect(statuses.slice(10)).toEqual([429, 429]);
});
