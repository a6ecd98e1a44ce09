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
 * Row ids: UUIDs (the API's ids keep their format) laid out as "COMB" GUIDs — version-4 random
 * bits with the last six bytes replaced by the creation time in milliseconds. SQL Server orders
 * `uniqueidentifier` by those last six bytes first, so new rows land at the end of the clustered
 * primary key instead of splitting pages all over it; 74 random bits keep them unguessable
 * enough and unique. On SQLite they are plain text keys.
 */
export function newId(now: number = Date.now()): string {
  const bytes = sixteenRandomBytes();
  bytes.writeUInt8((bytes.readUInt8(6) & 0x0f) | 0x40, 6); // version 4
  bytes.writeUInt8((bytes.readUInt8(8) & 0x3f) | 0x80, 8); // RFC 9562 variant
  bytes.writeUIntBE(now, 10, 6);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** An id in a route: a UUID, checked before it reaches a uniqueidentifier column (which refuses anything else). */
export const idSchema = z.uuid({ message: 'Identificador no válido.' });
