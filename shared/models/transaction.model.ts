import { z } from 'zod';

import { asDate, type DbOrTx, isUniqueViolation } from '../clients/sql.client';
import { isGuestPayer } from './guestPayment.model';
import { newId } from './ids';
import { type Keyset, keysetPage, pageOfRows } from './keyset';
import { PAYMENT_METHOD_LABELS, TRANSACTION_TYPE_LABELS } from './labels';

/** A payment or the reversal of one. Money is whole pesos; a payment is reversed at most once. */
export const ONLINE_PAYMENT_METHODS = ['PSE', 'CARD', 'CASH'] as const;
export type OnlinePaymentMethod = (typeof ONLINE_PAYMENT_METHODS)[number];
/** The methods the gateway's checkout offers (docs/payments.md). */
export const GATEWAY_PAYMENT_METHODS = ['PSE', 'CARD', 'NEQUI', 'BANCOLOMBIA_TRANSFER'] as const;
export type GatewayPaymentMethod = (typeof GATEWAY_PAYMENT_METHODS)[number];
/** BANK: the printed coupon paid at a bank or a corresponsal, posted from the bank's collection file. */
export const PAYMENT_METHODS = [...ONLINE_PAYMENT_METHODS, 'BANK', 'NEQUI', 'BANCOLOMBIA_TRANSFER'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export type TransactionType = 'PAYMENT' | 'REVERSAL';

export interface Transaction {
  id: string;
  type: TransactionType;
  invoiceId: string;
  invoiceNumber: string;
  contractNumber: string;
  couponCode: string | null;
  userId: string;
  amount: number;
  paymentMethod: PaymentMethod | null;
  reversesId: string | null;
  reason: string | null;
  bankAuthorization: string | null;
  /** A gateway payment's: the payment attempt and the gateway's transaction. */
  paymentId: string | null;
  gatewayTransactionId: string | null;
  createdAt: Date;
  /** A PAYMENT that a REVERSAL points at. */
  reversed: boolean;
}

export const transactionJsonSchema = z
  .object({
    id: z.string(),
    type: z.enum(['PAYMENT', 'REVERSAL']),
    typeLabel: z.string().describe('Spanish: "Pago", "Reversión"'),
    invoiceId: z.string(),
    invoiceNumber: z.string(),
    contractNumber: z.string(),
    couponCode: z.string().nullable(),
    amount: z.number().int(),
    paymentMethod: z.enum(PAYMENT_METHODS).nullable(),
    paymentMethodLabel: z.string().nullable().describe('Spanish, e.g. "Tarjeta"'),
    reversed: z.boolean().describe('A PAYMENT that has been reversed'),
    reversesId: z.string().nullable().describe('For a REVERSAL: the payment it reverses'),
    reason: z.string().nullable(),
    bankAuthorization: z.string().nullable().describe("For a BANK payment: the bank's authorization number"),
    createdAt: z.string(),
  })
  .meta({ id: 'Transaction' });
export type TransactionJson = z.infer<typeof transactionJsonSchema>;

export function transactionToJson(t: Transaction): TransactionJson {
  return {
    id: t.id,
    type: t.type,
    typeLabel: TRANSACTION_TYPE_LABELS[t.type],
    invoiceId: t.invoiceId,
    invoiceNumber: t.invoiceNumber,
    contractNumber: t.contractNumber,
    couponCode: t.couponCode,
    amount: t.amount,
    paymentMethod: t.paymentMethod,
    paymentMethodLabel: t.paymentMethod ? PAYMENT_METHOD_LABELS[t.paymentMethod] : null,
    reversed: t.reversed,
    reversesId: t.reversesId,
    reason: t.reason,
    bankAuthorization: t.bankAuthorization,
    createdAt: t.createdAt.toISOString(),
  };
}

const COLUMNS = [
  't.id',
  't.type',
  't.invoice_id',
  'i.number as invoice_number',
  'c.number as contract_number',
  'k.code as coupon_code',
  't.user_id',
  't.amount',
  't.payment_method',
  't.reverses_id',
  't.reason',
  't.bank_authorization',
  't.payment_id',
  't.gateway_transaction_id',
  't.created_at',
  'r.id as reversal_id',
];

function withDetails(db: DbOrTx) {
  return db('transactions as t')
    .join('invoices as i', 'i.id', 't.invoice_id')
    .join('contracts as c', 'c.id', 'i.contract_id')
    .leftJoin('coupons as k', 'k.id', 't.coupon_id')
    .leftJoin('transactions as r', 'r.reverses_id', 't.id');
}

function fromRow(row: Record<string, unknown>): Transaction {
  return {
    id: String(row.id),
    type: row.type as TransactionType,
    invoiceId: String(row.invoice_id),
    invoiceNumber: String(row.invoice_number),
    contractNumber: String(row.contract_number),
    couponCode: (row.coupon_code as string | null) ?? null,
    userId: String(row.user_id),
    amount: Number(row.amount),
    paymentMethod: (row.payment_method as PaymentMethod | null) ?? null,
    reversesId: (row.reverses_id as string | null) ?? null,
    reason: (row.reason as string | null) ?? null,
    bankAuthorization: (row.bank_authorization as string | null) ?? null,
    paymentId: typeof row.payment_id === 'string' ? row.payment_id.toLowerCase() : null,
    gatewayTransactionId: (row.gateway_transaction_id as string | null) ?? null,
    createdAt: asDate(row.created_at),
    reversed: row.reversal_id !== null && row.reversal_id !== undefined,
  };
}

export const transactionQueries = {
  byId: (db: DbOrTx, id: string) => withDetails(db).where('t.id', id).first(COLUMNS),
  page: (db: DbOrTx, userId: string, options: { from?: Date; to?: Date; cursor?: Keyset; limit: number }) => {
    const query = withDetails(db).where('t.user_id', userId);
    if (options.from) void query.where('t.created_at', '>=', options.from);
    if (options.to) void query.where('t.created_at', '<', options.to);
    return keysetPage(query, { at: 't.created_at', id: 't.id' }, options.cursor, options.limit).select(COLUMNS);
  },
};

export interface NewTransaction {
  type: TransactionType;
  invoiceId: string;
  couponId: string | null;
  userId: string;
  actorId: string;
  amount: number;
  paymentMethod: PaymentMethod | null;
  reversesId: string | null;
  reason: string | null;
  bankAuthorization?: string;
  /** A gateway payment's: the payment attempt and the gateway's transaction. */
  paymentId?: string;
  gatewayTransactionId?: string;
  now: Date;
}

/** Why an operator reverses a payment (kept on the REVERSAL). */
export const reversalReasonSchema = z
  .string()
  .trim()
  .min(5, 'Explique el motivo de la reversión (mínimo 5 caracteres).')
  .max(300);

/** A REVERSAL of a payment, or 'already-reversed' when the unique index on reverses_id refused a second one. */
export async function insertReversal(
  db: DbOrTx,
  t: NewTransaction & { reversesId: string },
): Promise<{ id: string } | 'already-reversed'> {
  try {
    return { id: await insertTransaction(db, t) };
  } catch (error) {
    if (isUniqueViolation(error)) return 'already-reversed';
    throw error;
  }
}

export async function insertTransaction(db: DbOrTx, t: NewTransaction): Promise<string> {
  const id = newId();
  await db('transactions').insert({
    id,
    type: t.type,
    invoice_id: t.invoiceId,
    coupon_id: t.couponId,
    user_id: t.userId,
    actor_id: t.actorId,
    amount: t.amount,
    payment_method: t.paymentMethod,
    reverses_id: t.reversesId,
    reason: t.reason,
    // Only bank payments write it, so rows look as they did before the column to older readers.
    ...(t.bankAuthorization ? { bank_authorization: t.bankAuthorization } : {}),
    ...(t.paymentId ? { payment_id: t.paymentId, gateway_transaction_id: t.gatewayTransactionId ?? null } : {}),
    created_at: t.now,
  });
  return id;
}

export async function findTransaction(db: DbOrTx, id: string): Promise<Transaction | undefined> {
  const row = (await transactionQueries.byId(db, id)) as Record<string, unknown> | undefined;
  return row ? fromRow(row) : undefined;
}

export async function pageTransactions(
  db: DbOrTx,
  userId: string,
  options: { from?: Date; to?: Date; cursor?: Keyset; limit: number },
): Promise<{ items: Transaction[]; hasMore: boolean }> {
  return pageOfRows(
    (await transactionQueries.page(db, userId, options)) as Record<string, unknown>[],
    options.limit,
    fromRow,
  );
}

// ---- The operator's search over every customer's payments ----

export interface TransactionSearch {
  contractNumber?: string;
  invoiceNumber?: string;
  couponCode?: string;
  email?: string;
  type?: TransactionType;
  from?: Date;
  to?: Date;
  cursor?: Keyset;
  limit: number;
}

export interface OperatorTransaction extends Transaction {
  userEmail: string;
  /** A guest payment's: the email the payer gave (null once erased after GUEST_DATA_RETENTION_DAYS). */
  payerEmail: string | null;
  guest: boolean;
}

export const operatorTransactionJsonSchema = transactionJsonSchema
  .extend({
    userEmail: z.string().describe("The account's email (for a guest payment: the reserved guest payer's)"),
    guest: z.boolean().describe('Paid without an account (POST /guest/payments, or a guest coupon at a bank)'),
    payerEmail: z.string().nullable().describe("A guest payment's payer email, until it is erased; otherwise null"),
  })
  .meta({ id: 'OperatorTransaction' });
export type OperatorTransactionJson = z.infer<typeof operatorTransactionJsonSchema>;

export const operatorTransactionToJson = (t: OperatorTransaction): OperatorTransactionJson => ({
  ...transactionToJson(t),
  userEmail: t.userEmail,
  guest: t.guest,
  payerEmail: t.payerEmail,
});

/** The account and, for a guest payment, the payer's email (guest_payments, by the PAYMENT's payment). */
const withPeople = (db: DbOrTx) =>
  withDetails(db)
    .join('users as u', 'u.id', 't.user_id')
    .leftJoin('guest_payments as gp', 'gp.payment_id', 't.payment_id');
const PEOPLE_COLUMNS = ['u.email as user_email', 'gp.payer_email'];

export const operatorTransactionQueries = {
  /** Every filter is an equality on an indexed column; the page walks ix_transactions_created. */
  search: (db: DbOrTx, filters: TransactionSearch) => {
    const query = withPeople(db);
    if (filters.contractNumber) void query.where('c.number', filters.contractNumber);
    if (filters.invoiceNumber) void query.where('i.number', filters.invoiceNumber);
    if (filters.couponCode) void query.where('k.code', filters.couponCode);
    if (filters.email)
      void query.where((q) => {
        void q.where('u.email', filters.email).orWhere('gp.payer_email', filters.email);
      });
    if (filters.type) void query.where('t.type', filters.type);
    if (filters.from) void query.where('t.created_at', '>=', filters.from);
    if (filters.to) void query.where('t.created_at', '<', filters.to);
    return keysetPage(query, { at: 't.created_at', id: 't.id' }, filters.cursor, filters.limit).select([
      ...COLUMNS,
      ...PEOPLE_COLUMNS,
    ]);
  },
  /** A contract's transactions, every customer's, newest first (bounded: a contract has few). */
  ofContract: (db: DbOrTx, contractId: string, limit: number) =>
    withPeople(db)
      .where('i.contract_id', contractId)
      .orderBy([
        { column: 't.created_at', order: 'desc' },
        { column: 't.id', order: 'desc' },
      ])
      .limit(limit)
      .select([...COLUMNS, ...PEOPLE_COLUMNS]),
};

function operatorRow(row: Record<string, unknown>): OperatorTransaction {
  return {
    ...fromRow(row),
    userEmail: String(row.user_email),
    guest: isGuestPayer(String(row.user_id)),
    payerEmail: (row.payer_email as string | null | undefined) ?? null,
  };
}

export async function searchTransactions(
  db: DbOrTx,
  filters: TransactionSearch,
): Promise<{ items: OperatorTransaction[]; hasMore: boolean }> {
  const rows = (await operatorTransactionQueries.search(db, filters)) as Record<string, unknown>[];
  return pageOfRows(rows, filters.limit, operatorRow);
}

export async function contractTransactions(
  db: DbOrTx,
  contractId: string,
  limit = 500,
): Promise<OperatorTransaction[]> {
  const rows = (await operatorTransactionQueries.ofContract(db, contractId, limit)) as Record<string, unknown>[];
  return rows.map(operatorRow);
}
