import { randomFillSync } from 'node:crypto';

import { z } from 'zod';

/** Random bytes drawn 4 KiB at a time: one call to the CSPRNG per 256 ids (a bulk import makes millions). */
const entropy = Buffer.alloc(4096);
let entropyUsed = entropy.length;

function sixteenRandomBytes(): Buffer {
  if (entropyUsed + 16 > entropy.length) {
    randomFillSync(entropy);
    entropyUsed = 0;
  }
  const bytes = Buffer.from(entropy.subarray(entropyUsed, entropyUsed + 16));
  entropyUsed += 16;
  return bytes;
}

/**
 * Row ids: UUIDs (the API's ids keep their format) that sort by creation time in the index of the
 * engine that stores them, so new rows land at the end of the primary key instead of splitting
 * pages all over it:
 * - `comb` (SQL Server, the default): version-4 random bits with the last six bytes replaced by the
 *   creation time in milliseconds, since SQL Server orders `uniqueidentifier` by those bytes first;
 * - `time-first` (SQLite, whose keys are the UUID's text): RFC 9562's version 7, the time in the
 *   first six bytes, so the text sorts by time.
 * Either way 74 random bits keep them unguessable enough and unique; the layout only moves the time.
 */
export type IdLayout = 'comb' | 'time-first';
let layout: IdLayout = 'comb';

/** Chosen once per process with the database (services.ts); ids of either layout live together. */
export function useIdLayout(chosen: IdLayout): void {
  layout = chosen;
}

export function newId(now: number = Date.now(), as: IdLayout = layout): string {
  const bytes = sixteenRandomBytes();
  if (as === 'comb') {
    bytes.writeUInt8((bytes.readUInt8(6) & 0x0f) | 0x40, 6); // version 4
    bytes.writeUIntBE(now, 10, 6);
  } else {
    bytes.writeUIntBE(now, 0, 6);
    bytes.writeUInt8((bytes.readUInt8(6) & 0x0f) | 0x70, 6); // version 7
  }
  bytes.writeUInt8((bytes.readUInt8(8) & 0x3f) | 0x80, 8); // RFC 9562 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** An id in a route: a UUID, checked before it reaches a uniqueidentifier column (which refuses anything else). */
export const idSchema = z.uuid({ message: 'Identificador no válido.' });
