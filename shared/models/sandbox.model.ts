import { asDate, asOptionalDate, type DbOrTx } from '../clients/sql.client';
import type { GatewayStatus, WompiTransaction } from '../formats/wompi';

/**
 * The embedded gateway sandbox's own ledger (PAYMENT_PROVIDER=sandbox): the transactions its
 * checkout made, served back in Wompi's shapes by its API. It lives in the app's database as
 * Azurite's blobs live in its folder: the sandbox's data, not the app's.
 */
export interface SandboxTransaction {
  id: string;
  reference: string;
  amountInCents: number;
  currency: string;
  status: GatewayStatus;
  paymentMethodType: string;
  redirectUrl: string;
  createdAt: Date;
  finalizedAt: Date | null;
}

export function sandboxToWompi(t: SandboxTransaction): WompiTransaction {
  return {
    id: t.id,
    amount_in_cents: t.amountInCents,
    reference: t.reference,
    currency: t.currency,
    payment_method_type: t.paymentMethodType,
    status: t.status,
    status_message: t.status === 'DECLINED' ? 'Transacción rechazada por el banco (sandbox)' : null,
    redirect_url: t.redirectUrl,
    created_at: t.createdAt.toISOString(),
    finalized_at: t.finalizedAt?.toISOString() ?? null,
  };
}

const fromRow = (r: Record<string, unknown>): SandboxTransaction => ({
  id: String(r.id),
  reference: String(r.reference),
  amountInCents: Number(r.amount_in_cents),
  currency: String(r.currency),
  status: r.status as GatewayStatus,
  paymentMethodType: String(r.payment_method_type),
  redirectUrl: String(r.redirect_url),
  createdAt: asDate(r.created_at),
  finalizedAt: asOptionalDate(r.finalized_at),
});

export async function insertSandboxTransaction(db: DbOrTx, t: SandboxTransaction): Promise<void> {
  await db('sandbox_transactions').insert({
    id: t.id,
    reference: t.reference,
    amount_in_cents: t.amountInCents,
    currency: t.currency,
    status: t.status,
    payment_method_type: t.paymentMethodType,
    redirect_url: t.redirectUrl,
    created_at: t.createdAt,
    finalized_at: t.finalizedAt,
  });
}

export async function findSandboxTransaction(db: DbOrTx, id: string): Promise<SandboxTransaction | undefined> {
  const row = (await db('sandbox_transactions').where({ id }).first()) as Record<string, unknown> | undefined;
  return row ? fromRow(row) : undefined;
}

export async function sandboxTransactionsOf(db: DbOrTx, reference: string): Promise<SandboxTransaction[]> {
  const rows = (await db('sandbox_transactions').where({ reference }).orderBy('created_at')) as Record<
    string,
    unknown
  >[];
  return rows.map(fromRow);
}

/** APPROVED → VOIDED (a card payment undone); false when it was not APPROVED. */
export async function voidSandboxTransaction(db: DbOrTx, id: string, now: Date): Promise<boolean> {
  return (
    (await db('sandbox_transactions')
      .where({ id, status: 'APPROVED' })
      .update({ status: 'VOIDED', finalized_at: now })) > 0
  );
}
