import { z } from 'zod';

import { inTransaction } from '../clients/sql.client';
import { AppError } from '../errors';
import { insertAudit } from '../models/audit.model';
import { collectionSummaryJsonSchema, listCollections } from '../models/collectionFile.model';
import {
  type CollectionOutcome,
  collectionRecordJsonSchema,
  collectionRecordToJson,
  type ExceptionOutcome,
  findCollectionRecord,
  pageCollectionExceptions,
  resolveCollectionException,
} from '../models/collectionRecord.model';
import { type CollectionReport, collectionReport, collectionSummary } from '../models/collectionReport.model';
import { decodeCursor, encodeCursor, type Page } from '../models/pagination';
import {
  findGatewayException,
  gatewayExceptionJsonSchema,
  gatewayExceptionToJson,
  pageGatewayExceptions,
  resolveGatewayException,
} from '../models/payment.model';
import { bogotaDayRange } from '../models/time';
import type { BillingDeps } from '../services';

/** The operator's views of bank collections: a file's report, the day's reconciliation, the exceptions to settle. */

/** GET /operator/collections/{collectionId}, audited. */
export async function viewCollection(
  deps: Pick<BillingDeps, 'db' | 'clock'>,
  operatorId: string,
  collectionId: string,
  options: { cursor?: string; limit?: number; outcome?: CollectionOutcome },
): Promise<CollectionReport> {
  const report = await collectionReport(deps.db, collectionId, options);
  await insertAudit(deps.db, {
    actorId: operatorId,
    action: 'COLLECTION_VIEWED',
    subjectType: 'collection',
    subjectId: collectionId,
    details: options,
    now: deps.clock.now(),
  });
  return report;
}

/** GET /operator/collections?from=&to=: files received in those Colombian days, with counts and totals. */
export async function reconciliation(
  deps: Pick<BillingDeps, 'db' | 'clock'>,
  operatorId: string,
  range: { from?: string; to?: string },
): Promise<{ items: z.infer<typeof collectionSummaryJsonSchema>[] }> {
  await insertAudit(deps.db, {
    actorId: operatorId,
    action: 'COLLECTIONS_LISTED',
    subjectType: 'collection',
    subjectId: '*',
    details: range,
    now: deps.clock.now(),
  });
  const files = await listCollections(deps.db, bogotaDayRange(range), 500);
  const items = [];
  for (const file of files) items.push(await collectionSummary(deps.db, file));
  return { items };
}

/** One operator list of money taken that paid nothing: bank collection records and gateway payments. */
export const exceptionJsonSchema = z
  .discriminatedUnion('source', [collectionRecordJsonSchema, gatewayExceptionJsonSchema])
  .meta({
    id: 'MoneyException',
    // For generators (Kiota): which schema a `source` names.
    discriminator: {
      propertyName: 'source',
      mapping: {
        COLLECTION: '#/components/schemas/CollectionRecord',
        GATEWAY: '#/components/schemas/GatewayException',
      },
    },
  });
export type ExceptionJson = z.infer<typeof exceptionJsonSchema>;

/**
 * GET /operator/collection-exceptions: the bank records that paid no invoice and the gateway
 * payments whose money paid nothing (docs/payments.md), to resolve (or resolved), newest first.
 * Both lists are read by the same (time, id) keyset and merged; a page never ends inside a group
 * of items of the same millisecond, so the next page's cursor skips none of them.
 */
export async function exceptions(
  deps: Pick<BillingDeps, 'db' | 'clock'>,
  operatorId: string,
  options: {
    status: 'open' | 'resolved';
    source?: 'COLLECTION' | 'GATEWAY';
    collectionId?: string;
    outcome?: ExceptionOutcome;
    cursor?: string;
    limit: number;
  },
): Promise<Page<ExceptionJson>> {
  await insertAudit(deps.db, {
    actorId: operatorId,
    action: 'COLLECTION_EXCEPTIONS_LISTED',
    subjectType: 'collection',
    subjectId: '*',
    details: {
      status: options.status,
      source: options.source,
      collectionId: options.collectionId,
      outcome: options.outcome,
    },
    now: deps.clock.now(),
  });
  const cursor = decodeCursor(options.cursor);
  const resolved = options.status === 'resolved';
  const none = { items: [], hasMore: false };
  const bank =
    options.source === 'GATEWAY'
      ? none
      : await pageCollectionExceptions(deps.db, {
          resolved,
          fileId: options.collectionId,
          outcome: options.outcome,
          cursor,
          limit: options.limit,
        });
  const gateway =
    options.source === 'COLLECTION' || options.collectionId
      ? none
      : await pageGatewayExceptions(deps.db, { resolved, outcome: options.outcome, cursor, limit: options.limit });
  const merged = [
    ...bank.items.map((r) => ({ at: r.createdAt, id: r.id, json: collectionRecordToJson(r) })),
    ...gateway.items.map((e) => ({ at: e.createdAt, id: e.id, json: gatewayExceptionToJson(e) })),
  ].sort((a, b) => b.at.getTime() - a.at.getTime());
  let page = merged.slice(0, options.limit);
  const next = merged[options.limit];
  if (next) {
    const trimmed = page.filter((item) => item.at.getTime() !== next.at.getTime());
    if (trimmed.length > 0) page = trimmed;
  }
  const hasMore = merged.length > page.length || bank.hasMore || gateway.hasMore;
  const last = page[page.length - 1];
  return {
    items: page.map((item) => item.json),
    nextCursor: hasMore && last ? encodeCursor({ at: last.at, id: last.id }) : null,
  };
}

/** POST /operator/collection-exceptions/{recordId}/resolve: the operator says how it was settled (refund, adjustment). */
export async function resolveException(
  deps: Pick<BillingDeps, 'db' | 'clock'>,
  operatorId: string,
  recordId: string,
  resolution: string,
): Promise<ExceptionJson> {
  const now = deps.clock.now();
  return inTransaction(deps.db, async (tx) => {
    const record = await findCollectionRecord(tx, recordId);
    const gateway = record ? undefined : await findGatewayException(tx, recordId);
    if ((!record || record.outcome === 'APPLIED') && !gateway) throw new AppError('COLLECTION_RECORD_NOT_FOUND');
    const resolvedNow = gateway
      ? await resolveGatewayException(tx, recordId, operatorId, resolution, now)
      : await resolveCollectionException(tx, recordId, operatorId, resolution, now);
    if (!resolvedNow) throw new AppError('COLLECTION_EXCEPTION_RESOLVED');
    await insertAudit(tx, {
      actorId: operatorId,
      action: 'COLLECTION_EXCEPTION_RESOLVED',
      subjectType: gateway ? 'payment_exception' : 'collection_record',
      subjectId: recordId,
      details: { resolution },
      now,
    });
    if (gateway) {
      const updated = await findGatewayException(tx, recordId);
      if (!updated) throw new Error('gateway exception vanished');
      return gatewayExceptionToJson(updated);
    }
    const updated = await findCollectionRecord(tx, recordId);
    if (!updated) throw new Error('collection record vanished');
    return collectionRecordToJson(updated);
  });
}
