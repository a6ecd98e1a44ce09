import { createHash } from 'node:crypto';

import {
  checkoutUrl,
  eventChecksum,
  hasValidChecksum,
  integritySignature,
  readCheckoutQuery,
  sameHex,
  signedEvent,
  wompiEventSchema,
} from '../../shared/formats/wompi';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

// Against the formula, not the documentation's example checksum (which is not the hash of its own example).
test("an event's checksum is SHA-256 of its properties' values, the timestamp and the secret", () => {
  const event = {
    data: { transaction: { id: '1234-1610641025-49201', status: 'APPROVED', amount_in_cents: 4490000 } },
    signature: { properties: ['transaction.id', 'transaction.status', 'transaction.amount_in_cents'] },
    timestamp: 1530291411,
  };
  expect(eventChecksum(event, 'prod_events_OcHnIzeBl5socpwByQ4hA52Em3USQ93Z')).toBe(
    sha256('1234-1610641025-49201APPROVED44900001530291411prod_events_OcHnIzeBl5socpwByQ4hA52Em3USQ93Z'),
  );
});

test('a signed event verifies in any case, and fails when a value, the timestamp or the secret differs', () => {
  const event = signedEvent(
    { id: 'sbx-1', reference: 'CUP1', amount_in_cents: 100_00, currency: 'COP', status: 'APPROVED' },
    'secret',
    new Date('2026-12-03T10:00:00Z'),
  );
  expect(wompiEventSchema.parse(event)).toBeTruthy();
  expect(event.signature.checksum).toMatch(/^[0-9A-F]{64}$/);
  expect(hasValidChecksum(event, 'secret')).toBe(true);
  expect(
    hasValidChecksum(
      { ...event, signature: { ...event.signature, checksum: event.signature.checksum.toLowerCase() } },
      'secret',
    ),
  ).toBe(true);
  expect(hasValidChecksum(event, 'other')).toBe(false);
  expect(hasValidChecksum({ ...event, timestamp: event.timestamp + 1 }, 'secret')).toBe(false);
  const altered = structuredClone(event);
  altered.data.transaction.amount_in_cents = 1;
  expect(hasValidChecksum(altered, 'secret')).toBe(false);
  expect(sameHex('abc', 'abcd')).toBe(false);
});

test('the checkout link carries the integrity signature of reference, amount, currency and expiry, and reads back only unaltered and unexpired', () => {
  const fields = {
    publicKey: 'pub_test_x',
    reference: 'CUPABC',
    amountInCents: 2_490_000,
    currency: 'COP' as const,
    redirectUrl: 'https://example.com/pagos/resultado',
    expirationTime: '2026-12-03T10:30:00.000Z',
  };
  expect(integritySignature(fields, 'integ')).toBe(sha256('CUPABC2490000COP2026-12-03T10:30:00.000Zinteg'));
  const url = new URL(checkoutUrl('https://checkout.wompi.co/p/', fields, 'integ'));
  expect(url.searchParams.get('signature:integrity')).toBe(integritySignature(fields, 'integ'));
  const before = new Date('2026-12-03T10:00:00Z');
  expect(readCheckoutQuery(url.searchParams, 'integ', before)).toEqual({ fields });
  const tampered = new URLSearchParams(url.searchParams);
  tampered.set('amount-in-cents', '100');
  expect(readCheckoutQuery(tampered, 'integ', before)).toHaveProperty('refused');
  expect(readCheckoutQuery(url.searchParams, 'integ', new Date('2026-12-03T11:00:00Z'))).toHaveProperty('refused');
});
