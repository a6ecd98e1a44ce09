import type { Db } from '../clients/sql.client';

/** The cheapest round trip that proves the database answers and the schema is migrated. */
export function pingDatabase(db: Db) {
  return db('schema_migrations').count({ count: '*' }).first();
}
