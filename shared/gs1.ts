/**
 * GS1 numbers (GLN, GTIN): the mod-10 check digit. A leaf module, so that the configuration can
 * check the biller's GLN at start-up without importing the barcode model.
 */

/** GS1 mod-10 check digit over the digits before it (weights 3,1,3,1… from the right). */
export function gs1CheckDigit(digits: string): number {
  const sum = [...digits].reverse().reduce((acc, digit, i) => acc + Number(digit) * (i % 2 === 0 ? 3 : 1), 0);
  return (10 - (sum % 10)) % 10;
}

export function isValidGln(gln: string): boolean {
  return /^\d{13}$/.test(gln) && gs1CheckDigit(gln.slice(0, 12)) === Number(gln[12]);
}
