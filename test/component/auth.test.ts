import jwt from 'jsonwebtoken';

import { call, startTestApp, type TestApp } from '../support/app';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ queues: false });
});
afterAll(async () => {
  await app.stop();
});

let counter = 0;
/** A valid registration with a unique email and document. */
function registrationBody(overrides: Record<string, unknown> = {}) {
  counter++;
  return {
    email: `cliente${counter}@example.com`,
    password: 'un café en el parque Berrío',
    fullName: 'María Camila Ospina Vélez',
    documentType: 'CC',
    documentNumber: String(43_000_000 + counter),
    acceptTerms: true,
    ...overrides,
  };
}

async function registered(overrides: Record<string, unknown> = {}) {
  const customer = registrationBody(overrides);
  const res = await call(app.url, 'POST', '/auth/register', { body: customer });
  expect(res.status).toBe(201);
  return customer;
}

async function loggedIn(overrides: Record<string, unknown> = {}) {
  const customer = await registered(overrides);
  const res = await call(app.url, 'POST', '/auth/login', {
    body: { email: customer.email, password: customer.password },
  });
  expect(res.status).toBe(200);
  return { customer, tokens: res.body as { accessToken: string; refreshToken: string } };
}

const withoutRequestIds = (body: Record<string, unknown>) => ({ ...body, requestId: undefined });

describe('register', () => {
  test('when the data is valid, then 201 with the user and never a password hash', async () => {
    const customer = registrationBody({ email: '  Nueva.Clienta@Example.COM ', phone: '+57 300 555 1234' });
    const res = await call(app.url, 'POST', '/auth/register', { body: customer });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      email: 'nueva.clienta@example.com',
      fullName: customer.fullName,
      documentType: 'CC',
      documentNumber: customer.documentNumber,
      phone: '+573005551234',
      emailVerified: false,
      role: 'customer',
      createdAt: expect.any(String),
    });
    expect(res.text).not.toMatch(/\$2[aby]\$/);
  });

  test.each([
    ['body.email', { email: 'no-es-un-correo' }],
    ['body.password', { password: 'corta' }],
    ['body.password', { password: 'x'.repeat(129) }],
    ['body.fullName', { fullName: '' }],
    ['body.documentType', { documentType: 'RUT' }],
    ['body.documentNumber', { documentType: 'CC', documentNumber: '12a45' }],
    ['body.documentNumber', { documentType: 'TI', documentNumber: '123' }],
    ['body.documentNumber', { documentType: 'NIT', documentNumber: '900123456-1' }],
    ['body.phone', { phone: '12345' }],
  ])('when %s is invalid, then 400 VALIDATION_FAILED names that field', async (field, overrides) => {
    const res = await call(app.url, 'POST', '/auth/register', { body: registrationBody(overrides) });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(field);
  });

  test('when the password is 8 characters, then the error text recommends 15', async () => {
    const res = await call(app.url, 'POST', '/auth/register', { body: registrationBody({ password: 'abc' }) });
    expect(res.body.errors[0].message).toContain('15');
  });

  test('when the password is 64 characters of any kind, then it is accepted (no composition rules)', async () => {
    await registered({ password: 'ñ'.repeat(40) + ' espacio y emoji 😀 ok' });
  });

  test('when a valid NIT with its check digit is given, then it is accepted and normalised', async () => {
    const res = await call(app.url, 'POST', '/auth/register', {
      body: registrationBody({ documentType: 'NIT', documentNumber: '890.904.996-1' }),
    });
    expect(res.status).toBe(201);
    expect(res.body.documentNumber).toBe('890904996-1');
  });

  test('when the password is a common one, then 400 WEAK_PASSWORD', async () => {
    const res = await call(app.url, 'POST', '/auth/register', { body: registrationBody({ password: 'password123' }) });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('WEAK_PASSWORD');
    expect(res.body.errors[0].path).toBe('body.password');
  });

  test('when the password contains the email, then 400 WEAK_PASSWORD', async () => {
    const res = await call(app.url, 'POST', '/auth/register', {
      body: registrationBody({ email: 'santiago.arango@example.com', password: 'Santiago.Arango1990' }),
    });
    expect(res.body.code).toBe('WEAK_PASSWORD');
  });

  test('when the email is already registered in another case, then 409 EMAIL_ALREADY_REGISTERED', async () => {
    const first = await registered();
    const res = await call(app.url, 'POST', '/auth/register', {
      body: registrationBody({ email: first.email.toUpperCase() }),
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('EMAIL_ALREADY_REGISTERED');
  });

  test('when the document is already registered, then 409 DOCUMENT_ALREADY_REGISTERED without naming the other account', async () => {
    const first = await registered();
    const res = await call(app.url, 'POST', '/auth/register', {
      body: registrationBody({ documentNumber: first.documentNumber }),
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('DOCUMENT_ALREADY_REGISTERED');
    expect(res.text).not.toContain(first.email);
  });

  test('when the same registration arrives twice at once, then exactly one succeeds', async () => {
    const customer = registrationBody();
    const results = await Promise.all([1, 2, 3].map(() => call(app.url, 'POST', '/auth/register', { body: customer })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
  });
});

describe('login', () => {
  test('when the credentials are right, then an access token (HS256, iss, aud, sub, exp ≤ 15 min, jti) and a refresh token', async () => {
    const { customer, tokens } = await loggedIn();
    const decoded = jwt.decode(tokens.accessToken, { complete: true });
    expect(decoded?.header.alg).toBe('HS256');
    const claims = decoded?.payload as jwt.JwtPayload;
    expect(claims).toMatchObject({ iss: 'https://cuponeras.epm.com.co', aud: 'cuponeras-epm-api', role: 'customer' });
    expect(claims.jti).toBeTruthy();
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBeLessThanOrEqual(900);
    const me = await call(app.url, 'GET', '/me', { token: tokens.accessToken });
    expect(me.body.email).toBe(customer.email);
    expect(claims.sub).toBe(me.body.id);
  });

  test('when the password is wrong or the email unknown, then the same 401 INVALID_CREDENTIALS', async () => {
    const customer = await registered();
    const wrong = await call(app.url, 'POST', '/auth/login', {
      body: { email: customer.email, password: 'otra contraseña larga' },
    });
    const unknown = await call(app.url, 'POST', '/auth/login', {
      body: { email: 'nadie@example.com', password: 'otra contraseña larga' },
    });
    expect(wrong.status).toBe(401);
    expect(withoutRequestIds(wrong.body)).toEqual(withoutRequestIds(unknown.body));
    expect(wrong.body.code).toBe('INVALID_CREDENTIALS');
  });

  test('when one client gets an account wrong 5 times, then that (account, client) pair waits with 429 and a growing Retry-After, and the owner elsewhere is not locked out', async () => {
    const customer = await registered();
    const attempt = (password: string, client = '10.9.8.7', email = customer.email) =>
      call(app.url, 'POST', '/auth/login', { body: { email, password }, headers: { 'X-Forwarded-For': client } });
    for (let i = 0; i < 5; i++) expect((await attempt('no es la clave')).status).toBe(401);
    const waiting = await attempt(customer.password);
    expect(waiting.status).toBe(429);
    expect(waiting.body.code).toBe('TOO_MANY_REQUESTS');
    expect(Number(waiting.headers.get('retry-after'))).toBe(30);

    // The owner, from anywhere else, is not locked out.
    expect((await attempt(customer.password, '10.9.8.8')).status).toBe(200);

    // After the wait, each further failure doubles it.
    app.clock.advance(31_000);
    expect((await attempt('no es la clave')).status).toBe(401);
    expect(Number((await attempt(customer.password)).headers.get('retry-after'))).toBe(60);
    app.clock.advance(61_000);
    expect((await attempt(customer.password)).status).toBe(200); // and success clears the pair
    expect((await attempt('no es la clave')).status).toBe(401);
  });

  test('when an unknown email is tried the same way, then it gets exactly the answers of a known one (no enumeration)', async () => {
    const customer = await registered();
    const answers = async (email: string, client: string) => {
      const seen = [];
      for (let i = 0; i < 6; i++) {
        const res = await call(app.url, 'POST', '/auth/login', {
          body: { email, password: 'no es la clave' },
          headers: { 'X-Forwarded-For': client },
        });
        seen.push({
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          body: withoutRequestIds(res.body),
        });
      }
      return seen;
    };
    const known = await answers(customer.email, '10.9.7.1');
    const unknown = await answers('nadie.registrado@example.com', '10.9.7.2');
    expect(unknown).toEqual(known);
    expect(known.map((a) => a.status)).toEqual([401, 401, 401, 401, 401, 429]);
  });

  test('when failures are spread beyond the window, then the count restarts and nothing is locked', async () => {
    const customer = await registered();
    for (let i = 0; i < 4; i++)
      await call(app.url, 'POST', '/auth/login', { body: { email: customer.email, password: 'no es la clave' } });
    app.clock.advance(16 * 60_000);
    for (let i = 0; i < 4; i++)
      await call(app.url, 'POST', '/auth/login', { body: { email: customer.email, password: 'no es la clave' } });
    expect(
      (await call(app.url, 'POST', '/auth/login', { body: { email: customer.email, password: customer.password } }))
        .status,
    ).toBe(200);
  });

  test('when the client writes its own X-Client-IP and X-Forwarded-For entries, then it still counts as the address our proxy saw (no fresh budget)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 32; i++) {
      const forged = `198.18.0.${i}`;
      const res = await call(app.url, 'POST', '/auth/login', {
        body: { email: `nadie${i}@example.com`, password: 'Verano2026!' },
        // The client wrote the first entry; our trusted proxy appended the address it saw.
        headers: { 'X-Client-IP': forged, 'X-Forwarded-For': `${forged}, 203.0.113.60` },
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(30)).toEqual([429, 429]);
  });

  test('when one client sprays many accounts, then it is throttled with 429 and Retry-After', async () => {
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 32; i++) {
      last = await call(app.url, 'POST', '/auth/login', {
        body: { email: `victima${i}@example.com`, password: 'Verano2026!' },
        headers: { 'X-Forwarded-For': '203.0.113.50' },
      });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(30)).toEqual([429, 429]);
    expect(last?.body.code).toBe('TOO_MANY_REQUESTS');
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('sessions', () => {
  test('when a refresh token is used, then a new pair comes back and the old refresh token stops working', async () => {
    const { tokens } = await loggedIn();
    const first = await call(app.url, 'POST', '/auth/refresh', { body: { refreshToken: tokens.refreshToken } });
    expect(first.status).toBe(200);
    expect(first.body.refreshToken).not.toBe(tokens.refreshToken);
    const me = await call(app.url, 'GET', '/me', { token: first.body.accessToken });
    expect(me.status).toBe(200);
  });

  test('when a rotated refresh token is presented again, then 401 REFRESH_TOKEN_REUSED and the whole family is revoked', async () => {
    const { tokens } = await loggedIn();
    const rotated = await call(app.url, 'POST', '/auth/refresh', { body: { refreshToken: tokens.refreshToken } });
    const replay = await call(app.url, 'POST', '/auth/refresh', { body: { refreshToken: tokens.refreshToken } });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('REFRESH_TOKEN_REUSED');
    const next = await call(app.url, 'POST', '/auth/refresh', { body: { refreshToken: rotated.body.refreshToken } });
    expect(next.status).toBe(401);
    expect((await call(app.url, 'GET', '/me', { token: rotated.body.accessToken })).status).toBe(401);
  });

  test('when the session passes its absolute expiry, then refresh fails even with a fresh token', async () => {
    const { tokens } = await loggedIn();
    app.clock.advance(15 * 86_400_000);
    const res = await call(app.url, 'POST', '/auth/refresh', { body: { refreshToken: tokens.refreshToken } });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('INVALID_REFRESH_TOKEN');
  });

  test('when the user logs out, then both the refresh token and the access token stop working', async () => {
    const { tokens } = await loggedIn();
    expect((await call(app.url, 'POST', '/auth/logout', { body: { refreshToken: tokens.refreshToken } })).status).toBe(
      204,
    );
    expect((await call(app.url, 'POST', '/auth/refresh', { body: { refreshToken: tokens.refreshToken } })).status).toBe(
      401,
    );
    const me = await call(app.url, 'GET', '/me', { token: tokens.accessToken });
    expect(me.status).toBe(401);
    expect(me.body.code).toBe('INVALID_TOKEN');
  });

  test('when logout is called with an unknown token, then 204 all the same', async () => {
    expect((await call(app.url, 'POST', '/auth/logout', { body: { refreshToken: 'x'.repeat(43) } })).status).toBe(204);
  });
});

describe('the auth guard', () => {
  test('when no token is sent, then 401 UNAUTHENTICATED with WWW-Authenticate', async () => {
    const res = await call(app.url, 'GET', '/me');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('UNAUTHENTICATED');
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
  });

  async function claimsOfFreshToken() {
    const { tokens } = await loggedIn();
    return { tokens, claims: jwt.decode(tokens.accessToken) as jwt.JwtPayload };
  }

  test('when the token says alg none, then 401 INVALID_TOKEN', async () => {
    const { claims } = await claimsOfFreshToken();
    const unsigned = jwt.sign(claims, '', { algorithm: 'none' });
    const res = await call(app.url, 'GET', '/me', { token: unsigned });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('INVALID_TOKEN');
  });

  test('when the token is signed with another key, then 401', async () => {
    const { claims } = await claimsOfFreshToken();
    const forged = jwt.sign(claims, 'another-secret-of-at-least-thirty-two-chars', { algorithm: 'HS256' });
    expect((await call(app.url, 'GET', '/me', { token: forged })).status).toBe(401);
  });

  test('when the token has expired, then 401 saying it expired', async () => {
    const { tokens } = await claimsOfFreshToken();
    app.clock.advance(16 * 60_000);
    const res = await call(app.url, 'GET', '/me', { token: tokens.accessToken });
    expect(res.status).toBe(401);
    expect(res.body.detail).toContain('expiró');
  });

  test('when the audience is wrong, then 401', async () => {
    const { claims } = await claimsOfFreshToken();
    const other = jwt.sign({ ...claims, aud: 'another-api' }, process.env.JWT_SECRET ?? '', { algorithm: 'HS256' });
    expect((await call(app.url, 'GET', '/me', { token: other })).status).toBe(401);
  });

  test('when the payload is tampered with (role raised to operator), then 401', async () => {
    const { tokens } = await claimsOfFreshToken();
    const [header, payload, signature] = tokens.accessToken.split('.');
    const raised = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()), role: 'operator' }),
    ).toString('base64url');
    expect((await call(app.url, 'GET', '/me', { token: `${header}.${raised}.${signature}` })).status).toBe(401);
  });

  test('when logs are captured for all of the above, then no password, hash or token appears in them', async () => {
    const { customer, tokens } = await loggedIn();
    await call(app.url, 'POST', '/auth/refresh', { body: { refreshToken: tokens.refreshToken } });
    const logs = app.logs.join('\n');
    expect(logs).not.toContain(customer.password);
    expect(logs).not.toContain(tokens.accessToken);
    expect(logs).not.toContain(tokens.refreshToken);
    expect(logs).not.toMatch(/\$2[aby]\$\d\d\$/);
    expect(logs).not.toMatch(/eyJ[\w-]+\.eyJ/);
  });
});
