import { z } from 'zod';

import { asDate, type DbOrTx } from '../clients/sql.client';
import { newId } from './ids';
import { type Keyset, keysetPage, pageOfRows } from './keyset';

/**
 * The audit log: every operator action, who did it, on what, when, and with what input. Written
 * in the action's own transaction where the action changes data, so neither exists without the
 * other; never updated or deleted by the app.
 */
export const AUDIT_ACTIONS = [
  'PAYMENT_REVERSED',
  'TRANSACTIONS_SEARCHED',
  'CONTRACT_VIEWED',
  'AUDIT_VIEWED',
  'INVOICES_UPLOADED',
  'INVOICE_LINES_UPLOADED',
  'IMPORT_VIEWED',
  'COLLECTION_UPLOADED',
  'COLLECTION_VIEWED',
  'COLLECTIONS_LISTED',
  'COLLECTION_EXCEPTIONS_LISTED',
  'COLLECTION_EXCEPTION_RESOLVED',
  'PAYMENT_REFUND',
  'ACCOUNT_DELETED',
  'SYSTEM_VIEWED',
  'POISON_LISTED',
  'POISON_REPLAYED',
  'POISON_DISCARDED',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  id: string;
  actorId: string;
  actorEmail: string;
  action: AuditAction;
  subjectType: string;
  subjectId: string;
  details: Record<string, unknown>;
  createdAt: Date;
}

export const auditEntryJsonSchema = z
  .object({
    id: z.string(),
    actorId: z.string(),
    actorEmail: z.string(),
    action: z.enum(AUDIT_ACTIONS),
    subjectType: z
      .string()
      .describe('transaction, contract, audit, invoice_import, collection, collection_record, user'),
    subjectId: z.string(),
    details: z.record(z.string(), z.unknown()).describe('What the action was given: filters, reason'),
    createdAt: z.string(),
  })
  .meta({ id: 'AuditEntry' });
export type AuditEntryJson = z.infer<typeof auditEntryJsonSchema>;

export const auditEntryToJson = (e: AuditEntry): AuditEntryJson => ({
  ...e,
  createdAt: e.createdAt.toISOString(),
});

const DETAILS_MAX = 1000;

export async function insertAudit(
  db: DbOrTx,
  entry: { actorId: string; action: AuditAction; subjectType: string; subjectId: string; details: object; now: Date },
): Promise<void> {
  let details = JSON.stringify(entry.details);
  if (details.length > DETAILS_MAX) details = JSON.stringify({ truncated: details.slice(0, DETAILS_MAX - 40) });
  await db('audit_log').insert({
    id: newId(),
    actor_id: entry.actorId,
    action: entry.action,
    subject_type: entry.subjectType,
    subject_id: entry.subjectId.slice(0, 64),
    details,
    created_at: entry.now,
  });
}

export const auditQueries = {
  page: (db: DbOrTx, options: { from?: Date; to?: Date; cursor?: Keyset; limit: number }) => {
    const query = db('audit_log as a').join('users as u', 'u.id', 'a.actor_id');
    if (options.from) void query.where('a.created_at', '>=', options.from);
    if (options.to) void query.where('a.created_at', '<', options.to);
    return keysetPage(query, { at: 'a.created_at', id: 'a.id' }, options.cursor, options.limit).select(
      'a.id',
      'a.actor_id',
      'u.email as actor_email',
      'a.action',
      'a.subject_type',
      'a.subject_id',
      'a.details',
      'a.created_at',
    );
  },
};

/** The log, newest first. */
export async function pageAudit(
  db: DbOrTx,
  options: { from?: Date; to?: Date; cursor?: Keyset; limit: number },
): Promise<{ items: AuditEntry[]; hasMore: boolean }> {
  const rows = (await auditQueries.page(db, options)) as Record<string, unknown>[];
  return pageOfRows(rows, options.limit, (row) => ({
    id: String(row.id),
    actorId: String(row.actor_id),
    actorEmail: String(row.actor_email),
    action: row.action as AuditAction,
    subjectType: String(row.subject_type),
    subjectId: String(row.subject_id),
    details: JSON.parse(String(row.details)) as Record<string, unknown>,
    createdAt: asDate(row.created_at),
  }));
}
