import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** One CSV record: its fields and the line of the file where it starts (the first line is 1). */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/**
 * Reads RFC 4180 CSV from a stream, one record at a time, never holding more than the record
 * being read: quoted fields may hold commas, doubled quotes and line breaks; CRLF or LF; a UTF-8
 * byte-order mark is dropped. A quote left open at the end is reported on the line it opened.
 */
export async function* readCsvRecords(input: Readable | AsyncIterable<Buffer | string>): AsyncGenerator<CsvRecord> {
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
  let empty = true; // nothing of the current record read yet
  let firstChunk = true;

  /** One character through the state machine; a record when it ends one. */
  function step(ch: string): CsvRecord | undefined {
    if (ch === '\n' && previousCr) {
      previousCr = false;
      return undefined;
    }
    previousCr = ch === '\r';
    if (quoted) {
      if (!quoteSeen) {
        if (ch === '"') quoteSeen = true;
        else {
          if (ch === '\n' || ch === '\r') line++;
          field += ch === '\r' ? '\n' : ch;
        }
        return undefined;
      }
      quoteSeen = false;
      if (ch === '"') {
        field += '"';
        return undefined;
      }
      quoted = false;
      afterQuote = true;
    }
    if (ch === ',') {
      fields.push(field);
      field = '';
      afterQuote = false;
      empty = false;
    } else if (ch === '\n' || ch === '\r') {
      const record = !empty || field !== '' ? { line: recordLine, fields: [...fields, field] } : undefined;
      fields = [];
      field = '';
      afterQuote = false;
      empty = true;
      line++;
      recordLine = line;
      return record;
    } else if (afterQuote) {
      throw new CsvError(line, 'hay texto después de unas comillas de cierre');
    } else if (ch === '"' && field === '') {
      quoted = true;
      empty = false;
    } else {
      field += ch;
      empty = false;
    }
    return undefined;
  }

  /** Consumes `rest`: plain lines (no quotes) are split at once, the others go character by character. */
  function* consume(final: boolean): Generator<CsvRecord> {
    let pos = 0;
    while (pos < rest.length) {
      if (empty && !quoted && !previousCr) {
        const newline = rest.indexOf('\n', pos);
        if (newline === -1 && !final) break;
        const lineEnd = newline === -1 ? rest.length : newline;
        const text = rest.slice(pos, rest[lineEnd - 1] === '\r' ? lineEnd - 1 : lineEnd);
        if (!text.includes('"') && !text.includes('\r')) {
          if (text !== '') yield { line, fields: text.split(',') };
          pos = lineEnd + 1;
          line++;
          recordLine = line;
          continue;
        }
      }
      // Character by character until this record ends (or the text read so far does).
      while (pos < rest.length) {
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
  if (!empty || field !== '') yield { line: recordLine, fields: [...fields, field] };
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
