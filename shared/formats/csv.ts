import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/**
 * One CSV record: its fields and the line of the file where it starts (the first line is 1). A
 * record the reader refused (too long, not text) has a `problem` and no fields worth reading.
 */
export interface CsvRecord {
  line: number;
  fields: string[];
  problem?: string;
}

export interface CsvLimits {
  /** The longest field a column allows, in characters: a longer one makes its record a problem. */
  maxFieldChars?: number;
  /** The longest record, in characters (line breaks inside quotes included). */
  maxRecordChars?: number;
}

export const DEFAULT_MAX_RECORD_CHARS = 4096;

/**
 * Characters that are not text: C0 controls other than tab and line breaks, DEL, C1 controls, and
 * U+FFFD, which the UTF-8 decoder puts where the bytes were not UTF-8.
 */
const NOT_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFD]/; // eslint-disable-line no-control-regex -- the controls are what it looks for

/** Where a refused record may change state: a line end, a quote, a separator. */
const LINE_END = /[\r\n",]/g;

function notTextProblem(ch: string): string {
  if (ch === '\uFFFD') return 'Contiene bytes que no son texto UTF-8 válido.';
  const code = ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  return `Contiene un carácter de control (U+${code}), que no es texto.`;
}

/**
 * Reads RFC 4180 CSV from a stream, one record at a time, never holding more than the record
 * being read: quoted fields may hold commas, doubled quotes and line breaks; CRLF or LF; a UTF-8
 * byte-order mark is dropped. A quote left open at the end is reported on the line it opened.
 *
 * Limits hold while it reads: as soon as a field passes `maxFieldChars` or a record passes
 * `maxRecordChars`, the record becomes a problem and the rest of it is skipped unread (memory
 * stays flat whatever the file holds). Invalid UTF-8 and control characters make a problem too.
 */
export async function* readCsvRecords(
  input: Readable | AsyncIterable<Buffer | string>,
  limits: CsvLimits = {},
): AsyncGenerator<CsvRecord> {
  const maxRecord = limits.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS;
  const maxField = Math.min(limits.maxFieldChars ?? maxRecord, maxRecord);
  const decoder = new StringDecoder('utf8');
  let rest = ''; // read, not yet consumed
  let fields: string[] = [];
  let field = '';
  let quoted = false; // inside a quoted field
  let quoteSeen = false; // inside a quoted field, a quote: it closes the field unless another follows
  let afterQuote = false; // a quoted field closed: only a separator or a line end may follow
  let previousCr = false; // the last character was CR: an LF right after it ends nothing more
  let line = 1;
  let recordLine = 1;
  let recordChars = 0;
  let problem: string | undefined; // the record is refused: read to its end, keep nothing
  let empty = true; // nothing of the current record read yet
  let fieldStarted = false; // something of the current field read (a quote then is a character)
  let firstChunk = true;

  const refuse = (why: string) => {
    problem ??= why;
    fields = [];
    field = '';
  };

  function endRecord(): CsvRecord | undefined {
    const record =
      problem !== undefined
        ? { line: recordLine, fields: [], problem }
        : !empty || field !== ''
          ? { line: recordLine, fields: [...fields, field] }
          : undefined;
    fields = [];
    field = '';
    fieldStarted = false;
    afterQuote = false;
    empty = true;
    problem = undefined;
    recordChars = 0;
    return record;
  }

  /** A character of a field's value, within the limits. */
  function append(ch: string): void {
    fieldStarted = true;
    if (problem !== undefined) return;
    if (NOT_TEXT.test(ch)) return refuse(notTextProblem(ch));
    if (field.length >= maxField) return refuse(`Un campo supera los ${maxField} caracteres que admite el archivo.`);
    field += ch;
  }

  /** One character through the state machine; a record when it ends one. */
  function step(ch: string): CsvRecord | undefined {
    if (ch === '\n' && previousCr) {
      previousCr = false;
      return undefined;
    }
    previousCr = ch === '\r';
    if (++recordChars > maxRecord && problem === undefined)
      refuse(`La línea supera los ${maxRecord} caracteres que admite el archivo.`);
    if (quoted) {
      if (!quoteSeen) {
        if (ch === '"') quoteSeen = true;
        else {
          if (ch === '\n' || ch === '\r') {
            line++;
            if (problem === undefined) field += '\n';
          } else append(ch);
        }
        return undefined;
      }
      quoteSeen = false;
      if (ch === '"') {
        append('"');
        return undefined;
      }
      quoted = false;
      afterQuote = true;
    }
    if (ch === ',') {
      if (problem === undefined) fields.push(field);
      field = '';
      fieldStarted = false;
      afterQuote = false;
      empty = false;
    } else if (ch === '\n' || ch === '\r') {
      const record = endRecord();
      line++;
      recordLine = line;
      return record;
    } else if (afterQuote) {
      if (problem === undefined) throw new CsvError(line, 'hay texto después de unas comillas de cierre');
    } else if (ch === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
      empty = false;
    } else {
      append(ch);
      empty = false;
    }
    return undefined;
  }

  /** A line without quotes, split at once; undefined when it must go character by character. */
  function plainLine(text: string): CsvRecord | undefined {
    if (text.includes('"') || text.includes('\r') || text.length > maxRecord) return undefined;
    const bad = NOT_TEXT.exec(text);
    if (bad) return { line, fields: [], problem: notTextProblem(bad[0]) };
    const split = text.split(',');
    if (split.some((f) => f.length > maxField))
      return { line, fields: [], problem: `Un campo supera los ${maxField} caracteres que admite el archivo.` };
    return { line, fields: split };
  }

  /** Consumes `rest`: plain lines (no quotes) are split at once, the others go character by character. */
  function* consume(final: boolean): Generator<CsvRecord> {
    let pos = 0;
    while (pos < rest.length) {
      if (empty && !quoted && !previousCr && problem === undefined) {
        const newline = rest.indexOf('\n', pos);
        // Without a line end in sight, wait for more only while the line could still be short enough.
        if (newline === -1 && !final && rest.length - pos <= maxRecord) break;
        if (newline !== -1 || final) {
          const lineEnd = newline === -1 ? rest.length : newline;
          const text = rest.slice(pos, rest[lineEnd - 1] === '\r' ? lineEnd - 1 : lineEnd);
          const record = plainLine(text);
          if (record) {
            if (text !== '') yield record;
            pos = lineEnd + 1;
            line++;
            recordLine = line;
            continue;
          }
        }
      }
      // Character by character until this record ends (or the text read so far does).
      while (pos < rest.length) {
        if (problem !== undefined && !quoted && !afterQuote) {
          // A refused record outside quotes: nothing up to its line end matters but its end.
          LINE_END.lastIndex = pos;
          const end = LINE_END.exec(rest);
          if (!end) {
            pos = rest.length;
            break;
          }
          pos = end.index;
        }
        const record = step(rest[pos++] as string);
        if (record) {
          yield record;
          break;
        }
      }
    }
    rest = rest.slice(pos);
  }

  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    let text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (firstChunk && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      firstChunk = false;
    }
    rest += text;
    yield* consume(false);
  }
  rest += decoder.end();
  yield* consume(true);
  if (quoted && !quoteSeen) throw new CsvError(recordLine, 'unas comillas se abren y no se cierran');
  const last = endRecord();
  if (last) yield last;
}

/** A file that is not CSV at some line (an unclosed quote): nothing after it can be read. */
export class CsvError extends Error {
  readonly reason: string;

  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`Línea ${line}: ${reason}.`);
    this.reason = `El CSV no se puede leer desde aquí: ${reason}.`;
  }
}
