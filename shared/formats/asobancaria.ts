import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/**
 * Asobancaria 2001 "recaudo" files (docs/collections.md): fixed-width
 * records of 162 characters, numbers right-aligned and zero-filled, text left-aligned and
 * space-filled, CRLF or LF line ends. A file is 01, then one or more batches (05, 06…, 08), then 09.
 */
export const RECORD_LENGTH = 162;

export interface FileHeader {
  billerNit: string;
  /** YYYY-MM-DD */
  collectionDate: string;
  bankCode: string;
  account: string;
  fileDate: string;
  fileTime: string;
  modifier: string;
  accountType: string;
}

export interface DetailRecord {
  /** Line in the file (the header is line 1). */
  line: number;
  batchNumber: number;
  reference: string;
  /** Pesos with 2 implied decimals, as the bank wrote it. */
  amountCents: number;
  origin: string;
  channel: string;
  operationNumber: string;
  authorization: string;
  debitedBank: string;
  branch: string;
  sequence: string;
  returnCause: string;
}

export interface VerifiedFile {
  contentHash: string;
  header: FileHeader;
  /** The file control (09): detail records and their total, which every batch adds up to. */
  recordCount: number;
  totalCents: number;
}

/** A file that breaks the layout or whose controls don't add up: rejected whole, at its first offending line. */
export class CollectionFileError extends Error {
  /** The whole file's SHA-256 (the same rejected file loaded again is recognised). */
  contentHash?: string;

  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`Línea ${line}: ${reason}`);
  }
}

/** Lines of a stream (LF or CRLF), numbered from 1, never more than one line held. */
export async function* readLines(
  input: Readable | AsyncIterable<Buffer | string>,
  onBytes?: (chunk: Buffer) => void,
): AsyncGenerator<{ line: number; text: string }> {
  const decoder = new StringDecoder('latin1');
  let rest = '';
  let line = 0;
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    onBytes?.(bytes);
    rest += decoder.write(bytes);
    let newline = rest.indexOf('\n');
    let start = 0;
    while (newline !== -1) {
      const text = rest.slice(start, newline);
      yield { line: ++line, text: text.endsWith('\r') ? text.slice(0, -1) : text };
      start = newline + 1;
      newline = rest.indexOf('\n', start);
    }
    rest = rest.slice(start);
  }
  rest += decoder.end();
  if (rest.length > 0) yield { line: ++line, text: rest.endsWith('\r') ? rest.slice(0, -1) : rest };
}

/** Cuts a record into named fields by width, in order. */
function cut<K extends string>(text: string, widths: [K, number][]): Record<K, string> {
  const fields = {} as Record<K, string>;
  let at = 0;
  for (const [name, width] of widths) {
    fields[name] = text.slice(at, at + width);
    at += width;
  }
  return fields;
}

const HEADER: [keyof FileHeader | 'type' | 'reserved', number][] = [
  ['type', 2],
  ['billerNit', 10],
  ['collectionDate', 8],
  ['bankCode', 3],
  ['account', 17],
  ['fileDate', 8],
  ['fileTime', 4],
  ['modifier', 1],
  ['accountType', 2],
  ['reserved', 107],
];
const BATCH_HEADER: ['type' | 'serviceCode' | 'batchNumber' | 'reserved', number][] = [
  ['type', 2],
  ['serviceCode', 13],
  ['batchNumber', 4],
  ['reserved', 143],
];
const DETAIL: [
  Exclude<keyof DetailRecord, 'line' | 'batchNumber' | 'amountCents'> | 'type' | 'amount' | 'reserved',
  number,
][] = [
  ['type', 2],
  ['reference', 48],
  ['amount', 14],
  ['origin', 2],
  ['channel', 2],
  ['operationNumber', 6],
  ['authorization', 6],
  ['debitedBank', 3],
  ['branch', 4],
  ['sequence', 7],
  ['returnCause', 3],
  ['reserved', 65],
];
const BATCH_CONTROL: ['type' | 'count' | 'total' | 'batchNumber' | 'reserved', number][] = [
  ['type', 2],
  ['count', 9],
  ['total', 18],
  ['batchNumber', 4],
  ['reserved', 129],
];
const FILE_CONTROL: ['type' | 'count' | 'total' | 'reserved', number][] = [
  ['type', 2],
  ['count', 9],
  ['total', 18],
  ['reserved', 133],
];

const DIGITS = /^\d+$/;

function digits(line: number, value: string, what: string): string {
  if (!DIGITS.test(value)) throw new CollectionFileError(line, `${what} debe tener solo dígitos ("${value.trim()}").`);
  return value;
}

function calendarDay(line: number, value: string, what: string): string {
  digits(line, value, what);
  const day = `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}`;
  const parsed = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime()) || !parsed.toISOString().startsWith(day))
    throw new CollectionFileError(line, `${what} no es una fecha AAAAMMDD real ("${value}").`);
  return day;
}

/** A sum of pesos with 2 implied decimals, exact (BigInt: 18 digits do not fit a double). */
function cents(line: number, value: string, what: string): bigint {
  return BigInt(digits(line, value, what));
}

function parseHeader(line: number, text: string): FileHeader {
  const f = cut(text, HEADER);
  const header = {
    billerNit: digits(line, f.billerNit, 'el NIT del facturador'),
    collectionDate: calendarDay(line, f.collectionDate, 'la fecha de recaudo'),
    bankCode: digits(line, f.bankCode, 'el código del banco'),
    account: f.account.trim(),
    fileDate: calendarDay(line, f.fileDate, 'la fecha del archivo'),
    fileTime: digits(line, f.fileTime, 'la hora del archivo'),
    modifier: f.modifier,
    accountType: f.accountType,
  };
  if (!/^[A-Z]$/.test(header.modifier))
    throw new CollectionFileError(line, `el modificador del archivo debe ser una letra A–Z ("${header.modifier}").`);
  if (Number(header.fileTime.slice(0, 2)) > 23 || Number(header.fileTime.slice(2)) > 59)
    throw new CollectionFileError(line, `la hora del archivo no es una hora HHMM real ("${header.fileTime}").`);
  return header;
}

function parseDetail(line: number, text: string, batchNumber: number): DetailRecord {
  const f = cut(text, DETAIL);
  return {
    line,
    batchNumber,
    reference: f.reference,
    amountCents: Number(digits(line, f.amount, 'el valor recaudado')),
    origin: f.origin,
    channel: f.channel,
    operationNumber: f.operationNumber,
    authorization: f.authorization.trim(),
    debitedBank: f.debitedBank,
    branch: f.branch,
    sequence: digits(line, f.sequence, 'la secuencia'),
    returnCause: f.returnCause,
  };
}

export interface CollectionPass {
  onHeader?: (header: FileHeader) => void;
  onDetail?: (record: DetailRecord) => Promise<void> | void;
}

/**
 * Reads a collection file once, checking every record as it goes: lengths, types in order, digits
 * where numbers go, each batch's control (08) against its details, the file control (09) against
 * all of them. Throws CollectionFileError at the first line that is wrong. `pass.onDetail` sees the
 * details as they are read, so the check (no callback) and the application (a second read) share it.
 */
export async function readCollectionFile(
  input: Readable | AsyncIterable<Buffer | string>,
  pass: CollectionPass = {},
): Promise<VerifiedFile> {
  const hash = createHash('sha256');
  let header: FileHeader | undefined;
  let batch: { number: number; count: number; total: bigint } | undefined;
  let fileCount = 0;
  let fileTotal = 0n;
  let closed = false; // 09 seen
  let lastLine = 0;
  let failure: CollectionFileError | undefined;
  for await (const { line, text } of readLines(input, (bytes) => hash.update(bytes))) {
    lastLine = line;
    // After the first wrong line the rest is only read for the file's hash.
    if (failure) continue;
    try {
      if (text.length === 0) {
        // Blank lines are tolerated only after the file control (a trailing newline or two).
        if (closed) continue;
        throw new CollectionFileError(line, 'línea vacía dentro del archivo.');
      }
      if (closed) throw new CollectionFileError(line, 'hay registros después del control de archivo (09).');
      if (text.length !== RECORD_LENGTH)
        throw new CollectionFileError(line, `el registro tiene ${text.length} caracteres; deben ser ${RECORD_LENGTH}.`);
      const type = text.slice(0, 2);
      if (!header) {
        if (type !== '01')
          throw new CollectionFileError(line, `el archivo debe empezar con el registro 01, no ${type}.`);
        header = parseHeader(line, text);
        pass.onHeader?.(header);
        continue;
      }
      switch (type) {
        case '05': {
          if (batch)
            throw new CollectionFileError(line, `el lote ${batch.number} no tiene control (08) antes de otro lote.`);
          const f = cut(text, BATCH_HEADER);
          batch = { number: Number(digits(line, f.batchNumber, 'el número de lote')), count: 0, total: 0n };
          break;
        }
        case '06': {
          if (!batch) throw new CollectionFileError(line, 'registro de detalle (06) fuera de un lote (05).');
          const record = parseDetail(line, text, batch.number);
          batch.count++;
          batch.total += BigInt(record.amountCents);
          await pass.onDetail?.(record);
          break;
        }
        case '08': {
          if (!batch) throw new CollectionFileError(line, 'control de lote (08) sin su encabezado (05).');
          const f = cut(text, BATCH_CONTROL);
          const count = Number(digits(line, f.count, 'el total de registros del lote'));
          const total = cents(line, f.total, 'el valor total del lote');
          const number = Number(digits(line, f.batchNumber, 'el número de lote'));
          if (number !== batch.number)
            throw new CollectionFileError(
              line,
              `el control es del lote ${number}, pero el lote abierto es el ${batch.number}.`,
            );
          if (count !== batch.count)
            throw new CollectionFileError(line, `el lote ${number} declara ${count} registros y tiene ${batch.count}.`);
          if (total !== batch.total)
            throw new CollectionFileError(
              line,
              `el lote ${number} declara un total de ${formatCents(total)} y sus registros suman ${formatCents(batch.total)}.`,
            );
          fileCount += batch.count;
          fileTotal += batch.total;
          batch = undefined;
          break;
        }
        case '09': {
          if (batch) throw new CollectionFileError(line, `el lote ${batch.number} no tiene control (08).`);
          const f = cut(text, FILE_CONTROL);
          const count = Number(digits(line, f.count, 'el total de registros del archivo'));
          const total = cents(line, f.total, 'el valor total del archivo');
          if (count !== fileCount)
            throw new CollectionFileError(line, `el archivo declara ${count} registros y tiene ${fileCount}.`);
          if (total !== fileTotal)
            throw new CollectionFileError(
              line,
              `el archivo declara un total de ${formatCents(total)} y sus lotes suman ${formatCents(fileTotal)}.`,
            );
          if (fileTotal > BigInt(Number.MAX_SAFE_INTEGER))
            throw new CollectionFileError(line, 'el valor total del archivo supera el máximo que se puede registrar.');
          closed = true;
          break;
        }
        case '01':
          throw new CollectionFileError(line, 'un segundo encabezado de archivo (01).');
        default:
          throw new CollectionFileError(line, `tipo de registro desconocido "${type}".`);
      }
    } catch (error) {
      if (!(error instanceof CollectionFileError)) throw error;
      failure = error;
    }
  }
  if (!failure && !header) failure = new CollectionFileError(1, 'el archivo está vacío.');
  if (!failure && !closed)
    failure = new CollectionFileError(lastLine + 1, 'falta el control de archivo (09) al final.');
  if (failure || !header) {
    const error = failure ?? new CollectionFileError(1, 'el archivo está vacío.');
    error.contentHash = hash.digest('hex');
    throw error;
  }
  return { contentHash: hash.digest('hex'), header, recordCount: fileCount, totalCents: Number(fileTotal) };
}

/** "$ 1.234.567,89" for error messages. */
function formatCents(value: bigint): string {
  const pesos = (value / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return `$ ${pesos},${(value % 100n).toString().padStart(2, '0')}`;
}

/** The coupon code a reference carries: 12 digits, zero-filled on the left to 48; undefined otherwise. */
export function couponCodeOfReference(reference: string, codeLength: number): string | undefined {
  // Numbers are right-aligned and zero-filled: spaces or letters mean it isn't one of our coupons.
  if (!DIGITS.test(reference) || reference.length < codeLength) return undefined;
  return /^0*$/.test(reference.slice(0, -codeLength)) ? reference.slice(-codeLength) : undefined;
}

// ---- Writing files (tests, the bench and docs/examples) ----

const num = (value: number | bigint | string, width: number) => String(value).padStart(width, '0').slice(-width);
const txt = (value: string, width: number) => value.padEnd(width, ' ').slice(0, width);

export interface CollectionFileSpec {
  header: Partial<FileHeader> & Pick<FileHeader, 'collectionDate' | 'bankCode'>;
  batches: {
    serviceCode?: string;
    details: (Partial<Omit<DetailRecord, 'line' | 'batchNumber'>> & { reference: string; amountCents: number })[];
  }[];
}

/** Writes a valid file (controls computed) from its details: one string per record, in order. */
export function* collectionFileLines(spec: CollectionFileSpec): Generator<string> {
  const h = spec.header;
  yield (
    '01' +
    num(h.billerNit ?? '890904996', 10) +
    h.collectionDate.replace(/-/g, '') +
    num(h.bankCode, 3) +
    txt(h.account ?? '00000012345678901', 17) +
    (h.fileDate ?? h.collectionDate).replace(/-/g, '') +
    num(h.fileTime ?? '0600', 4) +
    (h.modifier ?? 'A') +
    num(h.accountType ?? '01', 2) +
    txt('', 107)
  );
  let fileCount = 0;
  let fileTotal = 0n;
  let sequence = 0;
  for (const [index, batch] of spec.batches.entries()) {
    const batchNumber = index + 1;
    yield '05' + num(batch.serviceCode ?? '7707181010011', 13) + num(batchNumber, 4) + txt('', 143);
    let total = 0n;
    for (const d of batch.details) {
      sequence++;
      total += BigInt(d.amountCents);
      yield (
        '06' +
        num(d.reference, 48) +
        num(d.amountCents, 14) +
        num(d.origin ?? '01', 2) +
        num(d.channel ?? '01', 2) +
        num(d.operationNumber ?? sequence, 6) +
        num(d.authorization ?? sequence, 6) +
        num(d.debitedBank ?? '007', 3) +
        num(d.branch ?? '0001', 4) +
        num(d.sequence ?? sequence, 7) +
        txt(d.returnCause ?? '000', 3) +
        txt('', 65)
      );
    }
    yield '08' + num(batch.details.length, 9) + num(total, 18) + num(batchNumber, 4) + txt('', 129);
    fileCount += batch.details.length;
    fileTotal += total;
  }
  yield '09' + num(fileCount, 9) + num(fileTotal, 18) + txt('', 133);
}

export function collectionFileText(spec: CollectionFileSpec, eol = '\r\n'): string {
  return [...collectionFileLines(spec)].join(eol) + eol;
}
