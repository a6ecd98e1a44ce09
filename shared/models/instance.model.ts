import { randomUUID } from 'node:crypto';

import type { Knex } from 'knex';

import type { DbOrTx } from '../clients/sql.client';

/**
 * This process as an app instance: its id, and its heartbeat in `instances` (migration 0016). An
 * instance that has not beaten for INSTANCE_SILENT_MS is taken for dead: what it held (outbox rows,
 * email deliveries) is taken over without waiting for the leases.
 */
export const THIS_INSTANCE = randomUUID();

/** How often an instance beats, and how long a silence makes it dead (three missed beats). */
export const HEARTBEAT_MS = 5_000;
export const INSTANCE_SILENT_MS = 15_000;

export async function beat(db: DbOrTx, instanceId: string, now: Date): Promise<void> {
  const updated = await db('instances').where({ id: instanceId }).update({ beat_at: now });
  if (updated === 0) await db('instances').insert({ id: instanceId, started_at: now, beat_at: now });
}

/** A clean stop: the instance leaves at once, and what it held is taken over at the next round. */
export async function leave(db: DbOrTx, instanceId: string): Promise<void> {
  await db('instances').where({ id: instanceId }).delete();
}

/** Rows of instances silent for a day (kill -9 leaves them): dropped by the purge. */
export async function purgeSilentInstances(db: DbOrTx, before: Date): Promise<number> {
  return db('instances').where('beat_at', '<', before).delete();
}

/**
 * The condition "the instance named by `column` stopped beating (or never registered) and is not
 * this one", for an update's where clause. A null holder (rows from before 0016) never matches.
 */
export function heldByASilentInstance(db: DbOrTx, column: string, aliveSince: Date, self: string) {
  return (q: Knex.QueryBuilder) => {
    void q
      .whereNotNull(column)
      .whereNot(column, self)
      .whereNotExists(db('instances').whereRaw('?? = ??', ['instances.id', column]).where('beat_at', '>=', aliveSince));
  };
}
