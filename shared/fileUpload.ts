import type { BlobStore } from './clients/blob.client';
import type { Clock } from './clients/clock.client';
import { type DbOrTx, inTransaction } from './clients/sql.client';
import { AppError } from './errors';
import { type AuditAction, insertAudit } from './models/audit.model';

/** The name a registered upload has for the instant before its id names its blob. */
const UNNAMED_UPLOAD = 'pendiente';

/** Where one kind of operator upload goes, and how its run is registered (the feed's own rows). */
export interface UploadTarget {
  container: string;
  contentType: string;
  /** The blob a run's file is stored as: its id names it, so the blob trigger finds the run. */
  blobName: (id: string) => string;
  audit: { action: AuditAction; subjectType: string };
  /** Registers the run QUEUED; `created: false` when the feed already holds this same file (then nothing is stored). */
  register: (tx: DbOrTx, fileName: string, now: Date) => Promise<{ id: string; created: boolean }>;
  rename: (tx: DbOrTx, id: string, fileName: string) => Promise<void>;
  /** A registration whose file could not be stored: nothing refers to it yet, and the same file may come again. */
  forget: (db: DbOrTx, id: string) => Promise<void>;
}

/**
 * The one operator upload path (bank collections, the invoice feed, the service lines): the run
 * is registered and audited in one transaction, then the file is stored as its blob, whose trigger
 * runs it. When the storage fails the registration is forgotten and the operator is told to try
 * again (503), so no run waits forever for a file that never arrived.
 */
export async function storeUpload(
  deps: { db: DbOrTx; clock: Clock; blobs: BlobStore },
  target: UploadTarget,
  upload: { operatorId: string; file: Buffer; details?: Record<string, unknown> },
): Promise<{ id: string; created: boolean }> {
  const now = deps.clock.now();
  const registered = await inTransaction(deps.db, async (tx) => {
    const run = await target.register(tx, UNNAMED_UPLOAD, now);
    if (run.created) await target.rename(tx, run.id, target.blobName(run.id));
    await insertAudit(tx, {
      actorId: upload.operatorId,
      action: target.audit.action,
      subjectType: target.audit.subjectType,
      subjectId: run.id,
      details: { bytes: upload.file.length, ...upload.details, alreadyLoaded: !run.created },
      now,
    });
    return run;
  });
  if (!registered.created) return registered;
  try {
    await deps.blobs.upload(target.container, target.blobName(registered.id), upload.file, target.contentType);
  } catch {
    await target.forget(deps.db, registered.id);
    throw new AppError(
      'SERVICE_UNAVAILABLE',
      'El almacenamiento de archivos no responde; cargue el archivo de nuevo en unos minutos.',
      { retryAfterSeconds: 30 },
    );
  }
  return registered;
}
