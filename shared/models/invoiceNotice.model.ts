import { asDay, type DbOrTx, isUniqueViolation } from '../clients/sql.client';
import { insertRows } from './insertRows';

/**
 * Notices about a user's invoices (of the contracts they follow): a new invoice, a due date three
 * days ahead, an invoice overdue. One row per (user, invoice, kind) records each as sent.
 */
export const INVOICE_NOTICE_KINDS = ['INVOICE_ISSUED', 'INVOICE_DUE_SOON', 'INVOICE_OVERDUE'] as const;
export type InvoiceNoticeKind = (typeof INVOICE_NOTICE_KINDS)[number];

export interface InvoiceNoticeCandidate {
  userId: string;
  invoiceId: string;
  invoiceNumber: string;
  contractNumber: string;
  amount: number;
  dueDate: string;
}

/** Which unpaid invoices each kind is about, on the Colombian day `today`. */
export interface NoticeWindow {
  kind: InvoiceNoticeKind;
  today: string;
  /** The last due day that counts as "soon" (today + 3). */
  soonUntil: string;
}

export const invoiceNoticeQueries = {
  /** One bounded batch of (follower, unpaid invoice) pairs of a kind not yet noticed. */
  candidates: (db: DbOrTx, window: NoticeWindow, batchSize: number) => {
    const query = db('user_contracts as uc')
      .join('invoices as i', 'i.contract_id', 'uc.contract_id')
      .join('contracts as c', 'c.id', 'i.contract_id')
      .where('i.status', 'UNPAID')
      .whereNotExists(
        db('invoice_notices as n')
          .whereRaw('n.user_id = uc.user_id AND n.invoice_id = i.id')
          .where('n.kind', window.kind)
          .select(db.raw('1')),
      );
    if (window.kind === 'INVOICE_ISSUED') void query.whereRaw('i.created_at > uc.first_seen_at');
    if (window.kind === 'INVOICE_DUE_SOON')
      void query.where('i.due_date', '>=', window.today).where('i.due_date', '<=', window.soonUntil);
    if (window.kind === 'INVOICE_OVERDUE') void query.where('i.due_date', '<', window.today);
    return query
      .orderBy([{ column: 'i.due_date' }, { column: 'i.id' }, { column: 'uc.user_id' }])
      .limit(batchSize)
      .select(
        'uc.user_id',
        'i.id as invoice_id',
        'i.number as invoice_number',
        'c.number as contract_number',
        'i.amount',
        'i.due_date',
      );
  },
};

export async function invoiceNoticeCandidates(
  db: DbOrTx,
  window: NoticeWindow,
  batchSize: number,
): Promise<InvoiceNoticeCandidate[]> {
  const rows = (await invoiceNoticeQueries.candidates(db, window, batchSize)) as Record<string, unknown>[];
  return rows.map((row) => ({
    userId: String(row.user_id),
    invoiceId: String(row.invoice_id),
    invoiceNumber: String(row.invoice_number),
    contractNumber: String(row.contract_number),
    amount: Number(row.amount),
    dueDate: asDay(row.due_date),
  }));
}

/** Records a notice as sent; 'duplicate' when another run recorded it first. */
export async function insertInvoiceNotice(
  db: DbOrTx,
  notice: { userId: string; invoiceId: string; kind: InvoiceNoticeKind; now: Date },
): Promise<'stored' | 'duplicate'> {
  try {
    await db('invoice_notices').insert({
      user_id: notice.userId,
      invoice_id: notice.invoiceId,
      kind: notice.kind,
      created_at: notice.now,
    });
    return 'stored';
  } catch (error) {
    if (isUniqueViolation(error)) return 'duplicate';
    throw error;
  }
}

/**
 * Records a timer batch's notices as sent, in one multi-row insert; the ones it recorded. When
 * another run recorded one of them first (the insert fails whole), one by one instead, and only
 * the ones this call recorded come back: each notice is announced by the run that recorded it.
 */
export async function insertInvoiceNotices<T extends { userId: string; invoiceId: string }>(
  db: DbOrTx,
  kind: InvoiceNoticeKind,
  notices: T[],
  now: Date,
): Promise<T[]> {
  const rows = notices.map((n) => ({ user_id: n.userId, invoice_id: n.invoiceId, kind, created_at: now }));
  try {
    await insertRows(db, 'invoice_notices', rows);
    return notices;
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const recorded: T[] = [];
    for (const n of notices)
      if ((await insertInvoiceNotice(db, { userId: n.userId, invoiceId: n.invoiceId, kind, now })) === 'stored')
        recorded.push(n);
    return recorded;
  }
}

/** A deleted account's notice bookkeeping goes with its notifications. */
export async function deleteInvoiceNoticesOf(db: DbOrTx, userId: string): Promise<number> {
  return db('invoice_notices').where({ user_id: userId }).delete();
}
