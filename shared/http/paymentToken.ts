/** The header that reads a guest payment (docs/payments.md, "Paying without an account"), as documented. */
export const PAYMENT_TOKEN_HEADER = {
  name: 'X-Payment-Token',
  required: true,
  description: 'The paymentToken POST /guest/payments answered (it reads that payment alone)',
  example: 'q7Zr0m3Xb0pYh9c1V2nL8sT4wK6eU5aJdF0gHiO3PzQ',
  schema: { type: 'string', minLength: 1, maxLength: 200 },
};

export const paymentTokenOf = (headers: Headers): string | null => headers.get('x-payment-token');
