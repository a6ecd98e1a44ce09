import {
  couponCodeSchema,
  dammCheckDigit,
  formatCouponCode,
  isValidCouponCode,
  newCouponCode,
} from '../../shared/models/coupon.model';

describe('coupon codes', () => {
  const codes = Array.from({ length: 200 }, () => newCouponCode());

  test('a new code is 12 digits whose Damm check digit holds', () => {
    for (const code of codes) {
      expect(code).toMatch(/^\d{12}$/);
      expect(isValidCouponCode(code)).toBe(true);
    }
    expect(new Set(codes).size).toBe(codes.length);
  });

  test('the check digit catches every single-digit typo', () => {
    for (const code of codes.slice(0, 50)) {
      for (let position = 0; position < code.length; position++) {
        for (let digit = 0; digit <= 9; digit++) {
          if (String(digit) === code[position]) continue;
          const typo = code.slice(0, position) + digit + code.slice(position + 1);
          expect(isValidCouponCode(typo)).toBe(false);
        }
      }
    }
  });

  test('the check digit catches every swap of two adjacent different digits', () => {
    for (const code of codes.slice(0, 50)) {
      for (let i = 0; i < code.length - 1; i++) {
        if (code[i] === code[i + 1]) continue;
        const swapped = code.slice(0, i) + code[i + 1] + code[i] + code.slice(i + 2);
        expect(isValidCouponCode(swapped)).toBe(false);
      }
    }
  });

  test('Damm of a known number: 572 → 4 (the published example)', () => {
    expect(dammCheckDigit('572')).toBe(4);
    expect(dammCheckDigit('5724')).toBe(0);
  });

  test('codes are printed in groups of four and accepted as printed', () => {
    const code = codes[0] ?? '';
    expect(formatCouponCode('123456789012')).toBe('1234 5678 9012');
    expect(couponCodeSchema.parse(formatCouponCode(code))).toBe(code);
    expect(couponCodeSchema.parse(code.replace(/(\d{4})/g, '$1-').slice(0, 14))).toBe(code);
    expect(couponCodeSchema.safeParse('12345').success).toBe(false);
  });
});
