import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';

import { simpleParser } from 'mailparser';

import { DEMO_CONTRACTS } from '../../scripts/demoData';
import * as collections from '../../shared/controllers/collection.controller';
import { purgeExpiredRecords } from '../../shared/controllers/maintenance.controller';
import { collectionFileText } from '../../shared/formats/asobancaria';
import { GUEST_PAYER_ID, sha256Hex } from '../../shared/models/guestPayment.model';
import {
  call,
  customerWithCoupon,
  decideAtCheckout,
  newCustomer,
  type SeededApp,
  startSeededApp,
  waitFor,
} from '../support/app';

/**
 * Paying without an account, over real HTTP through the embedded sandbox: the guest search, the
 * guest payment and its token, the checkout, the receipt at the payer's email, a printed guest
 * coupon paid by a bank file, the race with a customer, the quotas and the purge.
 */
let app: SeededApp;
let operator: { token: string; id: string };
let outboxDir: string;

beforeAll(async () => {
  app = await startSeededApp({ queues: true });
  operator = await app.operator();
  outboxDir = app.services.config.email.outboxDir;
}, 60_000);

afterAll(async () => {
  await app.stop();
});

let nextContract = DEMO_CONTRACTS.first;
const freshContract = () => String(nextContract++);
// Each test is its own client (address), so that one test's quota is not another's.
let nextClient = 1;
const newClient = () => ({ 'X-Forwarded-For': `198.51.100.${nextClient++}` });

const guestSearch = (contractNumber: string, client: Record<string, string>) =>
  call(app.url, 'POST', '/guest/invoices/search', { body: { contractNumber }, headers: client });

async function guestPay(
  contractNumber: string,
  invoiceNumbers: string[],
  client: Record<string, string>,
  options: { key?: string; email?: string; acceptTerms?: boolean } = {},
) {
  return call(app.url, 'POST', '/guest/payments', {
    body: {
      contractNumber,
      invoiceNumbers,
      payerEmail: options.email ?? 'maria.pagadora@example.com',
      paymentMethod: 'PSE',
      acceptTerms: options.acceptTerms ?? true,
    },
    headers: { ...client, 'Idempotency-Key': options.key ?? randomUUID() },
  });
}

const readGuestPayment = (id: string, token?: string) =>
  call(app.url, 'GET', `/guest/payments/${id}`, { headers: token === undefined ? {} : { 'X-Payment-Token': token } });

/** The receipt email of a transaction, parsed from the outbox folder once the consumer sent it. */
async function receiptOf(transactionId: string) {
  const row = await waitFor(async () =>
    app.services
      .db('outbox')
      .where({ queue: 'invoice-emails' })
      .where('body', 'like', `%"transactionId":"${transactionId}"%`)
      .first<{ id: string } | undefined>('id'),
  );
  const file = await waitFor(
    () => fs.existsSync(outboxDir) && fs.readdirSync(outboxDir).find((f) => f.endsWith(`-${row.id}.eml`)),
  );
  return simpleParser(fs.readFileSync(path.join(outboxDir, file)));
}

async function invoiceStatus(number: string): Promise<string> {
  const row = await app.services.db('invoices').where({ number }).first('status');
  return String(row?.status);
}

describe('POST /guest/invoices/search', () => {
  test('when anyone asks for a contract, then its unpaid invoices come back with the holder masked, and nothing else', async () => {
    const contract = freshContract();
    const res = await guestSearch(contract, newClient());
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['contract', 'invoices']);
    expect(Object.keys(res.body.contract).sort()).toEqual(['city', 'holderName', 'number']);
    expect(res.body.contract.number).toBe(contract);
    expect(res.body.contract.holderName).toMatch(/^(\p{Lu}\*+ ?)+$/u);
    expect(res.body.invoices.length).toBeGreaterThan(0);
    for (const invoice of res.body.invoices) {
      expect(Object.keys(invoice).sort()).toEqual(['amount', 'dueDate', 'number', 'overdue', 'period']);
      expect(await invoiceStatus(invoice.number)).toBe('UNPAID');
    }
    // A guest's search gives no coupon to anyone and follows no contract.
    expect(await app.services.db('user_contracts').where({ user_id: GUEST_PAYER_ID }).count({ n: '*' })).toEqual([
      { n: 0 },
    ]);
  });

  test("when the contract doesn't exist or owes nothing, then both answers are the same 404", async () => {
    const unknown = await guestSearch('99999999', newClient());
    const allPaid = await guestSearch(String(DEMO_CONTRACTS.allPaid), newClient());
    expect(unknown.status).toBe(404);
    expect(allPaid.status).toBe(404);
    expect(unknown.body.code).toBe('CONTRACT_NOT_FOUND');
    expect(allPaid.body.code).toBe('CONTRACT_NOT_FOUND');
    expect(allPaid.body.title).toBe(unknown.body.title);
  });

  test('when one client searches past its per-minute quota, then it gets 429 with Retry-After, and another client does not', async () => {
    const client = newClient();
    const contract = freshContract();
    const perMinute = app.services.config.quotas.guestSearchesPerClientPerMinute;
    for (let i = 0; i < perMinute; i++) expect((await guestSearch(contract, client)).status).toBe(200);
    const refused = await guestSearch(contract, client);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await guestSearch(contract, newClient())).status).toBe(200);
  });

  test('when one client asks for more distinct contracts in a day than its quota, known or not, then the next new one is 429', async () => {
    const client = newClient();
    const perDay = app.services.config.quotas.guestContractsPerClientPerDay;
    // Unknown numbers count too: probing for contracts spends the same budget.
    const perMinute = app.services.config.quotas.guestSearchesPerClientPerMinute;
    for (let i = 0; i < perDay; i++) {
      if (i % perMinute === 0) app.clock.advance(61_000); // a fresh per-minute window: only the day's budget counts
      expect((await guestSearch(String(90_000_000 + i), client)).status).toBe(404);
    }
    app.clock.advance(61_000);
    expect((await guestSearch(freshContract(), client)).status).toBe(429);
    expect((await guestSearch(String(90_000_000), client)).status).toBe(404); // one it already asked for
  });
});

describe('POST /guest/payments', () => {
  test('when a guest pays an invoice through the sandbox checkout, then it is PAID, the token reads the payment, and the receipt reaches the email given', async () => {
    const client = newClient();
    const contract = freshContract();
    const found = await guestSearch(contract, client);
    const invoice = found.body.invoices[0];
    const created = await guestPay(contract, [invoice.number], client, { email: 'Hijo.Del.Titular@example.com' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'PENDING', amount: invoice.amount, currency: 'COP' });
    expect(created.body.invoices).toEqual([
      expect.objectContaining({ number: invoice.number, contractNumber: contract }),
    ]);
    const token: string = created.body.paymentToken;
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(16); // ≥ 128 bits
    // Only the token's hash is stored.
    const stored = await app.services.db('guest_payments').where({ payment_id: created.body.id }).first();
    expect(stored.token_hash).toBe(sha256Hex(token));
    expect(JSON.stringify(stored)).not.toContain(token);

    const back = await decideAtCheckout(created.body.checkoutUrl, 'APPROVED');
    expect(back.status).toBe(303);
    const paid = await waitFor(async () => {
      const res = await readGuestPayment(created.body.id, token);
      return res.body.status === 'APPROVED' ? res : undefined;
    });
    expect(paid.status).toBe(200);
    expect(paid.body).not.toHaveProperty('paymentToken');
    expect(paid.body.transactionIds).toHaveLength(1);
    expect(await invoiceStatus(invoice.number)).toBe('PAID');

    const mail = await receiptOf(paid.body.transactionIds[0]);
    expect(mail.to && 'text' in mail.to ? mail.to.text : '').toBe('hijo.del.titular@example.com');
    expect(mail.subject).toMatch(/^Recibimos su pago/);
    expect(mail.attachments.map((a) => a.filename)).toEqual([`comprobante-${invoice.number}.pdf`]);

    // Operators find it by the payer's email, marked as a guest payment.
    const searched = await call(
      app.url,
      'GET',
      `/operator/transactions?email=${encodeURIComponent('hijo.del.titular@example.com')}`,
      { token: operator.token },
    );
    expect(searched.status).toBe(200);
    expect(searched.body.items).toEqual([
      expect.objectContaining({
        invoiceNumber: invoice.number,
        guest: true,
        payerEmail: 'hijo.del.titular@example.com',
      }),
    ]);
  });

  test('when the payment is read without its token, with a wrong one, or with another payment’s, then it is not found', async () => {
    const client = newClient();
    const first = freshContract();
    const second = freshContract();
    const a = await guestPay(first, [(await guestSearch(first, client)).body.invoices[0].number], client);
    const b = await guestPay(second, [(await guestSearch(second, client)).body.invoices[0].number], client);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    const missing = await readGuestPayment(a.body.id);
    expect(missing.status).toBe(401);
    expect((await readGuestPayment(a.body.id, 'x'.repeat(43))).status).toBe(404);
    const crossed = await readGuestPayment(a.body.id, b.body.paymentToken);
    expect(crossed.status).toBe(404);
    expect(crossed.body.code).toBe('PAYMENT_NOT_FOUND');
    expect((await readGuestPayment(randomUUID(), a.body.paymentToken)).body.code).toBe('PAYMENT_NOT_FOUND');
    const pdf = await call(app.url, 'GET', `/guest/payments/${a.body.id}/coupons/${b.body.couponCodes[0]}/pdf`, {
      headers: { 'X-Payment-Token': b.body.paymentToken },
    });
    expect(pdf.status).toBe(404);
    // Nor through the customer routes: a customer can't read a guest payment.
    const customer = await newCustomer(app.url);
    expect((await call(app.url, 'GET', `/payments/${a.body.id}`, { token: customer.token })).status).toBe(404);
  });

  test('when the same Idempotency-Key is sent again, then the same payment comes back with a new token that replaces the old one', async () => {
    const client = newClient();
    const contract = freshContract();
    const number = (await guestSearch(contract, client)).body.invoices[0].number;
    const key = randomUUID();
    const [first, second] = await Promise.all([
      guestPay(contract, [number], client, { key }),
      guestPay(contract, [number], client, { key }),
    ]);
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.body.id).toBe(first.body.id);
    const again = await guestPay(contract, [number], client, { key });
    expect(again.body.id).toBe(first.body.id);
    expect((await readGuestPayment(first.body.id, again.body.paymentToken)).status).toBe(200);
    expect((await readGuestPayment(first.body.id, first.body.paymentToken)).status).toBe(404);
    const other = await guestPay(contract, [number], client, { key, email: 'otra@example.com' });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  test('when the terms are not accepted or an invoice is not the contract’s, then nothing is created', async () => {
    const client = newClient();
    const contract = freshContract();
    const number = (await guestSearch(contract, client)).body.invoices[0].number;
    const refused = await guestPay(contract, [number], client, { acceptTerms: false });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('TERMS_NOT_ACCEPTED');
    const foreign = await guestPay(freshContract(), [number], client);
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe('INVOICE_NOT_FOUND');
    const noKey = await call(app.url, 'POST', '/guest/payments', {
      body: {
        contractNumber: contract,
        invoiceNumbers: [number],
        payerEmail: 'a@example.com',
        paymentMethod: 'PSE',
        acceptTerms: true,
      },
      headers: client,
    });
    expect(noKey.body.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
    const invoiceRow = await app.services.db('invoices').where({ number }).first('id');
    expect(await app.services.db('payment_items').where({ invoice_id: invoiceRow.id }).count({ n: '*' })).toEqual([
      { n: 0 },
    ]);
  });

  test('when a guest and the customer who follows the contract pay one invoice at once, then exactly one payment holds it and the follower hears of the guest’s', async () => {
    const contract = freshContract();
    const { customer, found, coupon } = await customerWithCoupon(app.url, contract);
    const number = found.body.invoices.find((i: { id: string }) => i.id === coupon.invoiceId).number;
    const client = newClient();
    const [guest, own] = await Promise.all([
      guestPay(contract, [number], client),
      call(app.url, 'POST', '/payments', {
        token: customer.token,
        body: { couponCodes: [coupon.code], paymentMethod: 'PSE' },
        headers: { 'Idempotency-Key': randomUUID() },
      }),
    ]);
    const statuses = [guest.status, own.status].sort();
    expect(statuses).toEqual([201, 409]);
    const loser = guest.status === 409 ? guest : own;
    expect(loser.body.code).toBe('PAYMENT_IN_PROGRESS');
    // Whoever won, the guest's payment then goes through: after the customer's is declined, if it won.
    let guestPayment = guest;
    if (own.status === 201) {
      await decideAtCheckout(own.body.checkoutUrl, 'DECLINED');
      await waitFor(
        async () =>
          (await call(app.url, 'GET', `/payments/${own.body.id}`, { token: customer.token })).body.status ===
          'DECLINED',
      );
      guestPayment = await guestPay(contract, [number], client);
      expect(guestPayment.status).toBe(201);
    }
    await decideAtCheckout(guestPayment.body.checkoutUrl, 'APPROVED');
    const notice = await waitFor(async () => {
      const res = await call(app.url, 'GET', '/notifications', { token: customer.token });
      return res.body.items.find((n: { kind: string }) => n.kind === 'INVOICE_PAID_BY_GUEST');
    });
    expect(notice.body).toContain(number);
    // The customer's own coupon of that invoice was cancelled by the guest's payment.
    const mine = await call(app.url, 'GET', `/coupons/${coupon.code}`, { token: customer.token });
    expect(mine.body.status).toBe('CANCELLED');
  });

  test('when a guest prints the coupon and a bank file pays it, then the invoice is PAID by the bank and the receipt goes to the guest’s email', async () => {
    const client = newClient();
    const contract = freshContract();
    const invoice = (await guestSearch(contract, client)).body.invoices[0];
    const created = await guestPay(contract, [invoice.number], client, { email: 'imprime@example.com' });
    const code = created.body.couponCodes[0].replace(/\s/g, '');
    const pdf = await call(app.url, 'GET', `/guest/payments/${created.body.id}/coupons/${code}/pdf`, {
      headers: { 'X-Payment-Token': created.body.paymentToken },
    });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    // The payer leaves the checkout without paying online; the link expires, the coupon does not.
    await decideAtCheckout(created.body.checkoutUrl, 'DECLINED');
    await waitFor(
      async () => (await readGuestPayment(created.body.id, created.body.paymentToken)).body.status === 'DECLINED',
    );

    const file = collectionFileText({
      header: { collectionDate: '2026-12-02', bankCode: '007' },
      batches: [{ details: [{ reference: code, amountCents: invoice.amount * 100, authorization: '731904' }] }],
    });
    const report = await collections.importCollection(
      app.services,
      () => Readable.from([Buffer.from(file, 'latin1')]),
      { source: 'CLI', fileName: 'recaudo-invitado.txt' },
    );
    expect(report).toMatchObject({ status: 'COMPLETED' });
    expect(report.counts).toMatchObject({ records: 1, applied: 1 });
    expect(await invoiceStatus(invoice.number)).toBe('PAID');
    const payment = await app.services
      .db('transactions as t')
      .join('invoices as i', 'i.id', 't.invoice_id')
      .where('i.number', invoice.number)
      .first('t.id', 't.payment_method');
    expect(payment.payment_method).toBe('BANK');
    const mail = await receiptOf(String(payment.id).toLowerCase());
    expect(mail.to && 'text' in mail.to ? mail.to.text : '').toBe('imprime@example.com');
  });
});

describe('habeas data', () => {
  test('when GUEST_DATA_RETENTION_DAYS have passed, then the purge erases the payer’s email and keeps the payment', async () => {
    const client = newClient();
    const contract = freshContract();
    const number = (await guestSearch(contract, client)).body.invoices[0].number;
    const created = await guestPay(contract, [number], client, { email: 'borrar@example.com' });
    const days = app.services.config.guests.dataRetentionDays;
    const early = await purgeExpiredRecords(app.services);
    expect(
      (await app.services.db('guest_payments').where({ payment_id: created.body.id }).first('payer_email')).payer_email,
    ).toBe('borrar@example.com');
    expect(early.guestEmails).toBe(0);
    app.clock.advance((days + 1) * 86_400_000);
    const run = await purgeExpiredRecords(app.services);
    expect(run.guestEmails).toBeGreaterThanOrEqual(1);
    const row = await app.services.db('guest_payments').where({ payment_id: created.body.id }).first();
    expect(row.payer_email).toBeNull();
    expect(row.email_erased_at).not.toBeNull();
    expect(row.policy_version).toBeTruthy();
    expect(await app.services.db('payments').where({ id: created.body.id }).first('id')).toBeDefined();
  });
});
