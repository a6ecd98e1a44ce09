/**
 * The largest amount in whole pesos: 12 digits, as the 14-digit (2 implied decimals) amount field
 * of the bank files. The schema's checks hold the same bound (sql/migrations/columns.ts).
 */
export const MAX_AMOUNT = 999_999_999_999;

/** Centavos (as bank files and collection records keep them) in pesos (as the API speaks). */
export const pesos = (cents: number) => cents / 100;
