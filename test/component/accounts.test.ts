import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { simpleParser } from 'mailparser';

import { DEMO_OPERATOR } from '../../scripts/demoData';
import { call, logIn, searchCoupon, type SeededApp, startSeededApp, waitFor } from '../support/app';

/**
 * Accounts a person can live with (issue 15): consent at registration, the email proven by a
 * code sent to it, password change and reset, profile, export and deletion (Ley 1581 de 2012).
 */
let app: SeededApp;
let outboxDir: string;
beforeAll(async () => {
  app = await startSeededApp({ queues: true });
  outboxDir = app.services.config.email.outboxDir;
}, 60_000);
afterAll(async () => {
  await app.stop();
});

let counter = 0;
function person() {
  counter++;
  return {
    email: `titular${counter}@example.com`,
    password: 'la casa de los abuelos en Santa Elena',
    fullName: 'Paula Andrea Cardona Uribe',
    documentType: 'CC',
    documentNumber: String(32_100_000 + counter),
    acceptTerms: true,
  };
}
const client = () => ({ 'X-Forwarded-For': `203.0.113.${(counter % 200) + 1}` });

/** The account email of this kind sent to `email` after `since`, parsed from the outbox folder. */
async function accountEmail(email: string, kind: string, since = 0) {
  const row = await waitFor(async () => {
    const rows = await app.services
      .db('outbox')
      .where({ queue: 'account-emails' })
      .where('body', 'like', `%"kind":"${kind}"%`)
      .where('body', 'like', `%${email}%`)
      .select<{ id: string; created_at: unknown }[]>('id', 'created_at');
    return rows.filter((r) => new Date(r.created_at as string | Date).getTime() >= since).pop();
  });
  const file = await waitFor(
    () => fs.existsSync(outboxDir) && fs.readdirSync(outboxDir).find((f) => f.endsWith(`-${row.id}.eml`)),
  );
  const mail = await simpleParser(fs.readFileSync(path.join(outboxDir, file)));
  const code = /(?:Código de verificación|Código para restablecer): ([A-Za-z0-9_-]{43})/.exec(mail.text ?? '')?.[1];
  return { mail, code, messageId: row.id };
}

/** Waits until the consumer has settled a message (sent or, for an unknown address, skipped). */
const delivered = (messageId: string) =>
  waitFor(async () => {
    const row = await app.services
      .db('outbox')
      .where({ id: messageId })
      .first<{ delivered_at: unknown } | undefined>('delivered_at');
    return row !== undefined && row.delivered_at !== null;
  });

test('the privacy policy is served with its version, and registering without accepting it is refused with its own code', async () => {
  const policy = await call(app.url, 'GET', '/privacy-policy');
  expect(policy.status).toBe(200);
  expect(policy.body.version).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  expect(policy.body.text).toContain('Ley 1581');

  for (const acceptTerms of [undefined, false]) {
    const res = await call(app.url, 'POST', '/auth/register', { body: { ...person(), acceptTerms } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('TERMS_NOT_ACCEPTED');
    expect(res.body.errors[0].path).toBe('body.acceptTerms');
  }
});

test('a person walks the whole account: consent, verification, password change and reset, profile, export, deletion', async () => {
  const lucia = person();
  const policy = (await call(app.url, 'GET', '/privacy-policy')).body;

  // Register: consent recorded, not yet verified, a verification email with a code.
  const registered = await call(app.url, 'POST', '/auth/register', { body: lucia, headers: client() });
  expect(registered.status).toBe(201);
  expect(registered.body.emailVerified).toBe(false);
  const userId = registered.body.id as string;
  const consents = await app.services.db('consents').where({ user_id: userId }).select('policy_version');
  expect(consents).toEqual([{ policy_version: policy.version }]);

  const verification = await accountEmail(lucia.email, 'verify-email');
  expect(verification.mail.subject).toBe('Confirme su correo para Cuponeras EPM');
  expect(verification.mail.html).toContain(`/cuenta/verificar-correo#token=${verification.code}`);
  const verified = await call(app.url, 'POST', '/auth/verify-email', { body: { token: verification.code } });
  expect(verified.status).toBe(200);
  expect(verified.body.emailVerified).toBe(true);
  const again = await call(app.url, 'POST', '/auth/verify-email', { body: { token: verification.code } });
  expect(again.body.code).toBe('INVALID_ACCOUNT_TOKEN');
  // Only the hash is stored.
  const stored = await app.services.db('account_tokens').where({ user_id: userId }).first('token_hash');
  expect(stored.token_hash).toMatch(/^[0-9a-f]{64}$/);
  expect(stored.token_hash).not.toContain(verification.code);

  // A payment to find later in the export and, after deletion, under the pseudonym.
  const first = await logIn(app.url, lucia.email, lucia.password);
  const { coupon } = await searchCoupon(app.url, first.token, '10000031');
  const paid = await call(app.url, 'POST', `/invoices/${coupon.invoiceId}/pay`, {
    token: first.token,
    body: { couponCode: coupon.code, paymentMethod: 'PSE' },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  expect(paid.status).toBe(201);
  const transactionId = paid.body.transaction.id as string;

  // Change the password from one session: the other session ends at once, this one stays.
  const other = await logIn(app.url, lucia.email, lucia.password);
  const wrong = await call(app.url, 'POST', '/auth/password', {
    token: first.token,
    body: { currentPassword: 'no es mi clave de siempre', newPassword: 'un paseo en metrocable' },
  });
  expect(wrong.status).toBe(400);
  expect(wrong.body.code).toBe('INVALID_CURRENT_PASSWORD');
  const weak = await call(app.url, 'POST', '/auth/password', {
    token: first.token,
    body: { currentPassword: lucia.password, newPassword: 'password123' },
  });
  expect(weak.body.code).toBe('WEAK_PASSWORD');
  const secondPassword = 'un paseo en metrocable hasta Arví';
  const changed = await call(app.url, 'POST', '/auth/password', {
    token: first.token,
    body: { currentPassword: lucia.password, newPassword: secondPassword },
  });
  expect(changed.status).toBe(204);
  expect((await call(app.url, 'GET', '/me', { token: other.token })).status).toBe(401);
  expect((await call(app.url, 'GET', '/me', { token: first.token })).status).toBe(200);
  expect(
    (await call(app.url, 'POST', '/auth/login', { body: { email: lucia.email, password: lucia.password } })).status,
  ).toBe(401);
  const changedMail = await accountEmail(lucia.email, 'password-changed');
  expect(changedMail.mail.subject).toBe('Su contraseña de Cuponeras EPM cambió');
  expect(changedMail.mail.text).toContain('Se cerraron todas sus otras sesiones');
  const notice = await waitFor(async () => {
    const list = await call(app.url, 'GET', '/notifications', { token: first.token });
    return list.body.items.find((n: { kind: string }) => n.kind === 'PASSWORD_CHANGED');
  });
  expect(notice.title).toBe('Contraseña cambiada');

  // Forgot it: the emailed code sets a new one and ends every session, this one too.
  const asked = app.clock.now().getTime() - 1000;
  const reset = await call(app.url, 'POST', '/auth/password-reset', {
    body: { email: lucia.email },
    headers: client(),
  });
  expect(reset.status).toBe(202);
  const resetMail = await accountEmail(lucia.email, 'password-reset', asked);
  expect(resetMail.mail.subject).toBe('Restablezca su contraseña de Cuponeras EPM');
  const thirdPassword = 'las fondas de la feria de las flores';
  const confirmed = await call(app.url, 'POST', '/auth/password-reset/confirm', {
    body: { token: resetMail.code, newPassword: thirdPassword },
    headers: client(),
  });
  expect(confirmed.status).toBe(204);
  expect((await call(app.url, 'GET', '/me', { token: first.token })).status).toBe(401);
  const reused = await call(app.url, 'POST', '/auth/password-reset/confirm', {
    body: { token: resetMail.code, newPassword: 'otra frase larga cualquiera' },
    headers: client(),
  });
  expect(reused.body.code).toBe('INVALID_ACCOUNT_TOKEN');
  expect(
    (await call(app.url, 'POST', '/auth/login', { body: { email: lucia.email, password: secondPassword } })).status,
  ).toBe(401);
  const session = await logIn(app.url, lucia.email, thirdPassword);

  // Profile: name and phone with registration's rules; the email is not changed here.
  const patched = await call(app.url, 'PATCH', '/me', {
    token: session.token,
    body: { fullName: 'Paula Andrea Cardona de Uribe', phone: '604 444 4115' },
  });
  expect(patched.status).toBe(200);
  expect(patched.body).toMatchObject({
    fullName: 'Paula Andrea Cardona de Uribe',
    phone: '+576044444115',
    email: lucia.email,
  });
  const badPhone = await call(app.url, 'PATCH', '/me', { token: session.token, body: { phone: '12' } });
  expect(badPhone.body.errors[0].path).toBe('body.phone');
  const emailChange = await call(app.url, 'PATCH', '/me', {
    token: session.token,
    body: { email: 'otra@example.com' },
  });
  expect(emailChange.status).toBe(400);
  const phoneRemoved = await call(app.url, 'PATCH', '/me', { token: session.token, body: { phone: null } });
  expect(phoneRemoved.body.phone).toBeNull();

  // Export: everything held, as a download, with the payment made earlier.
  await waitFor(
    async () => (await app.services.db('email_deliveries').where({ user_id: userId, status: 'SENT' })).length >= 4,
  );
  const exported = await call(app.url, 'GET', '/me/export', { token: session.token });
  expect(exported.status).toBe(200);
  expect(exported.headers.get('content-disposition')).toMatch(
    /^attachment; filename="mis-datos-epm-\d{4}-\d{2}-\d{2}\.json"$/,
  );
  expect(exported.body.user).toMatchObject({ id: userId, email: lucia.email, emailVerified: true });
  expect(exported.body.consents).toEqual([{ policyVersion: policy.version, acceptedAt: expect.any(String) }]);
  expect(exported.body.contracts.map((c: { contractNumber: string }) => c.contractNumber)).toEqual(['10000031']);
  expect(exported.body.coupons.map((c: { code: string }) => c.code)).toContain(coupon.code);
  expect(exported.body.transactions.map((t: { id: string }) => t.id)).toContain(transactionId);
  expect(exported.body.notifications.map((n: { kind: string }) => n.kind)).toContain('PASSWORD_CHANGED');
  expect(exported.body.emailDeliveries.map((d: { kind: string }) => d.kind)).toEqual(
    expect.arrayContaining(['verify-email', 'receipt', 'password-changed', 'password-reset']),
  );

  // Delete: the password confirms it; then the person is gone and the money is not.
  const refused = await call(app.url, 'DELETE', '/me', { token: session.token, body: { password: secondPassword } });
  expect(refused.body.code).toBe('INVALID_CURRENT_PASSWORD');
  const deleted = await call(app.url, 'DELETE', '/me', { token: session.token, body: { password: thirdPassword } });
  expect(deleted.status).toBe(204);
  expect((await call(app.url, 'GET', '/me', { token: session.token })).status).toBe(401);
  const login = await call(app.url, 'POST', '/auth/login', { body: { email: lucia.email, password: thirdPassword } });
  expect(login.body.code).toBe('INVALID_CREDENTIALS');

  const operator = await logIn(app.url, DEMO_OPERATOR.email, DEMO_OPERATOR.password);
  const seen = await call(app.url, 'GET', `/operator/contracts/10000031`, { token: operator.token });
  const kept = seen.body.transactions.find((t: { id: string }) => t.id === transactionId);
  const pseudonym = await app.services
    .db('users')
    .where({ id: userId })
    .first('email', 'full_name', 'document_number', 'phone', 'deleted_at');
  expect(kept).toMatchObject({ amount: paid.body.transaction.amount, userEmail: pseudonym.email });
  expect(pseudonym).toMatchObject({ full_name: 'Titular eliminado', phone: null });
  expect(pseudonym.email).toMatch(/@anonimizado\.invalid$/);
  expect(JSON.stringify(pseudonym)).not.toContain(lucia.documentNumber);
  expect(await app.services.db('notifications').where({ user_id: userId })).toEqual([]);
  const audit = await call(app.url, 'GET', '/operator/audit', { token: operator.token });
  expect(
    audit.body.items.find(
      (e: { action: string; subjectId: string }) => e.action === 'ACCOUNT_DELETED' && e.subjectId === userId,
    ),
  ).toBeDefined();

  // The same email and document can register again, as a new person.
  const again2 = await call(app.url, 'POST', '/auth/register', { body: lucia, headers: client() });
  expect(again2.status).toBe(201);
  expect(again2.body.id).not.toBe(userId);
});

test('password reset answers a known and an unknown email identically, and only the known one gets an email', async () => {
  const known = person();
  expect((await call(app.url, 'POST', '/auth/register', { body: known, headers: client() })).status).toBe(201);
  const unknown = `nadie.${counter}@example.com`;
  const answer = async (email: string) => {
    const res = await call(app.url, 'POST', '/auth/password-reset', { body: { email }, headers: client() });
    const headers = [...res.headers.keys()].filter((h) => !['date', 'x-request-id'].includes(h)).sort();
    return { status: res.status, text: res.text, headers };
  };
  const [a, b] = [await answer(known.email), await answer(unknown)];
  expect(a).toEqual(b);
  expect(a.status).toBe(202);

  const sent = await accountEmail(known.email, 'password-reset');
  expect(sent.code).toBeDefined();
  const unknownRow = await app.services.db('outbox').where('body', 'like', `%${unknown}%`).first('id');
  await delivered(unknownRow.id);
  expect(fs.readdirSync(outboxDir).some((f) => f.endsWith(`-${unknownRow.id}.eml`))).toBe(false);
  expect(await app.services.db('email_deliveries').where({ message_id: unknownRow.id })).toEqual([]);

  // The per-email quota applies to both alike (3 an hour), so it tells nothing either.
  const more = [];
  for (const email of [known.email, known.email, known.email, unknown, unknown, unknown])
    more.push((await answer(email)).status);
  expect(more).toEqual([202, 202, 429, 202, 202, 429]);
});

test('codes expire: a reset code 31 minutes old and a verification code 49 hours old are refused (manual clock)', async () => {
  const paula = person();
  await call(app.url, 'POST', '/auth/register', { body: paula, headers: client() });
  const verification = await accountEmail(paula.email, 'verify-email');
  await call(app.url, 'POST', '/auth/password-reset', { body: { email: paula.email }, headers: client() });
  const reset = await accountEmail(paula.email, 'password-reset');

  app.clock.advance(31 * 60_000);
  const late = await call(app.url, 'POST', '/auth/password-reset/confirm', {
    body: { token: reset.code, newPassword: 'una frase nueva y larga' },
    headers: client(),
  });
  expect(late.body.code).toBe('INVALID_ACCOUNT_TOKEN');
  const stillWorks = await call(app.url, 'POST', '/auth/verify-email', { body: { token: verification.code } });
  expect(stillWorks.status).toBe(200);

  const other = person();
  await call(app.url, 'POST', '/auth/register', { body: other, headers: client() });
  const code = (await accountEmail(other.email, 'verify-email')).code;
  app.clock.advance(49 * 3600_000);
  expect((await call(app.url, 'POST', '/auth/verify-email', { body: { token: code } })).body.code).toBe(
    'INVALID_ACCOUNT_TOKEN',
  );
  // A new one can be asked for, within its quota; once verified, there is nothing to resend.
  const session = await logIn(app.url, other.email, other.password);
  expect((await call(app.url, 'POST', '/auth/verify-email/resend', { token: session.token })).status).toBe(202);
  const fresh = await accountEmail(other.email, 'verify-email', app.clock.now().getTime() - 1000);
  expect((await call(app.url, 'POST', '/auth/verify-email', { body: { token: fresh.code } })).status).toBe(200);
  expect((await call(app.url, 'POST', '/auth/verify-email/resend', { token: session.token })).body.code).toBe(
    'EMAIL_ALREADY_VERIFIED',
  );
});

test('two uses of one reset code at once: exactly one sets the password', async () => {
  const ana = person();
  await call(app.url, 'POST', '/auth/register', { body: ana, headers: client() });
  const since = app.clock.now().getTime() - 1000;
  await call(app.url, 'POST', '/auth/password-reset', { body: { email: ana.email }, headers: client() });
  const { code } = await accountEmail(ana.email, 'password-reset', since);
  const tries = await Promise.all(
    ['primera frase larga de prueba', 'segunda frase larga de prueba'].map((newPassword) =>
      call(app.url, 'POST', '/auth/password-reset/confirm', { body: { token: code, newPassword }, headers: client() }),
    ),
  );
  expect(tries.map((t) => t.status).sort()).toEqual([204, 400]);
});

test('an operator cannot delete their account through DELETE /me', async () => {
  const operator = await logIn(app.url, DEMO_OPERATOR.email, DEMO_OPERATOR.password);
  const res = await call(app.url, 'DELETE', '/me', {
    token: operator.token,
    body: { password: DEMO_OPERATOR.password },
  });
  expect(res.status).toBe(403);
  expect(res.body.code).toBe('ACCOUNT_NOT_DELETABLE');
});
