import { couponExpiry } from '../../shared/controllers/coupon.controller';
import { buildBarcode, GS } from '../../shared/formats/barcode';
import { gs1CheckDigit, isValidGln } from '../../shared/gs1';

describe('GS1 check digits and the biller GLN', () => {
  test('the GS1 mod-10 check digit matches published numbers', () => {
    expect(gs1CheckDigit('400638133393')).toBe(1); // EAN-13 4006381333931
    expect(gs1CheckDigit('770718101001')).toBe(1); // the default biller GLN 7707181010011
    expect(gs1CheckDigit('629104150021')).toBe(3); // GS1's example GLN 6291041500213
  });

  test('a GLN with a wrong check digit or length is refused', () => {
    expect(isValidGln('7707181010011')).toBe(true);
    expect(isValidGln('7707181010012')).toBe(false);
    expect(isValidGln('770718101001')).toBe(false);
  });
});

describe('the payment barcode data', () => {
  const barcode = buildBarcode({
    gln: '7707181010011',
    reference: '241439797539',
    amount: 142980,
    dueDate: '2026-12-03',
  });

  test('the AIs come in the bank-collection order: 415, 8020, 3900, 96', () => {
    expect(barcode.elements).toEqual([
      { ai: '415', value: '7707181010011' },
      { ai: '8020', value: '241439797539' },
      { ai: '3900', value: '142980' },
      { ai: '96', value: '20261203' },
    ]);
    expect(barcode.humanReadable).toBe('(415)7707181010011(8020)241439797539(3900)142980(96)20261203');
  });

  test('FNC1 (GS) follows each variable-length element except the last, never the fixed-length 415', () => {
    expect(barcode.gs1).toBe(`4157707181010011` + `8020241439797539${GS}` + `3900142980${GS}` + `9620261203`);
  });

  test('the amount is whole pesos with no decimals (3900) and the data is refused when malformed', () => {
    expect(() => buildBarcode({ gln: '7707181010011', reference: 'X', amount: 10.5, dueDate: '2026-12-03' })).toThrow();
    expect(() => buildBarcode({ gln: '7707181010012', reference: 'X', amount: 10, dueDate: '2026-12-03' })).toThrow(
      /GLN/,
    );
    expect(() =>
      buildBarcode({ gln: '7707181010011', reference: 'x'.repeat(26), amount: 10, dueDate: '2026-12-03' }),
    ).toThrow(/8020/);
  });
});

describe('coupon validity', () => {
  const settings = { validityHours: 72, overdueValidityHours: 4, billerGln: '7707181010011' };

  test('when the invoice is due well after the validity, then the coupon lives the configured hours', () => {
    const now = new Date('2026-11-30T15:00:00Z');
    expect(couponExpiry({ dueDate: '2026-12-20' }, now, settings).toISOString()).toBe('2026-12-03T15:00:00.000Z');
  });

  test('when the due day comes sooner, then the coupon ends at the end of that day in Colombia (04:59:59.999Z next day)', () => {
    const now = new Date('2026-11-30T15:00:00Z');
    expect(couponExpiry({ dueDate: '2026-12-01' }, now, settings).toISOString()).toBe('2026-12-02T04:59:59.999Z');
  });

  test('when the invoice is already overdue, then the coupon is short-lived', () => {
    const now = new Date('2026-11-30T15:00:00Z');
    expect(couponExpiry({ dueDate: '2026-11-20' }, now, settings).toISOString()).toBe('2026-11-30T19:00:00.000Z');
  });

  test('at 23:00 in Medellín (04:00Z) the Colombian day is still the earlier one', () => {
    const now = new Date('2026-12-02T04:00:00Z'); // 2026-12-01 23:00 in Bogotá
    expect(couponExpiry({ dueDate: '2026-12-01' }, now, settings).toISOString()).toBe('2026-12-02T04:59:59.999Z');
  });
});
