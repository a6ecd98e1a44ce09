import { Readable } from 'node:stream';

import {
  CollectionFileError,
  collectionFileText,
  couponCodeOfReference,
  readCollectionFile,
  RECORD_LENGTH,
} from '../../shared/models/asobancaria';
import { CsvError, readCsvRecords } from '../../shared/models/csv';

/** The same text cut into chunks of `size` bytes, as a stream delivers it. */
function chunked(text: string, size: number, encoding: BufferEncoding = 'utf8'): Readable {
  const bytes = Buffer.from(text, encoding);
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

async function records(text: string, size = 7) {
  const out = [];
  for await (const record of readCsvRecords(chunked(text, size))) out.push(record);
  return out;
}

describe('readCsvRecords', () => {
  const text = '\ufeffa,b,c\r\n1,"x, y",3\n4,"dijo ""sí""",6\n7,"dos\nlíneas",9\n\n10,ñandú,12';
  const expected = [
    { line: 1, fields: ['a', 'b', 'c'] },
    { line: 2, fields: ['1', 'x, y', '3'] },
    { line: 3, fields: ['4', 'dijo "sí"', '6'] },
    { line: 4, fields: ['7', 'dos\nlíneas', '9'] },
    { line: 7, fields: ['10', 'ñandú', '12'] },
  ];

  test.each([1, 2, 3, 7, 64, 4096])(
    'when the stream comes in chunks of %i bytes, then records and line numbers are the same',
    async (size) => {
      expect(await records(text, size)).toEqual(expected);
    },
  );

  test('when a quote is never closed, then the error names the line it opened on', async () => {
    await expect(records('a,b\n1,"abierta\n2,3\n')).rejects.toEqual(
      new CsvError(2, 'unas comillas se abren y no se cierran'),
    );
  });

  test('when text follows a closing quote, then it is refused at that line', async () => {
    await expect(records('a,b\n1,"x"y\n')).rejects.toBeInstanceOf(CsvError);
  });
});

describe('Asobancaria 2001 collection files', () => {
  const valid = collectionFileText({
    header: { collectionDate: '2026-12-01', bankCode: '007' },
    batches: [
      {
        details: [
          { reference: '241439797539', amountCents: 18_745_000 },
          { reference: '887766554433', amountCents: 100 },
        ],
      },
      { details: [{ reference: '100200300400', amountCents: 24_390_050 }] },
    ],
  });
  const lines = valid.split('\r\n');

  async function rejection(text: string): Promise<CollectionFileError> {
    try {
      await readCollectionFile(chunked(text, 50, 'latin1'));
    } catch (error) {
      if (error instanceof CollectionFileError) return error;
      throw error;
    }
    throw new Error('the file was accepted');
  }
  const withLine = (index: number, replacement: string) =>
    lines.map((l, i) => (i === index ? replacement : l)).join('\r\n');

  test('when the file is well formed, then its header, controls and hash come back, with CRLF or LF alike', async () => {
    const details: number[] = [];
    const verified = await readCollectionFile(chunked(valid, 33, 'latin1'), {
      onDetail: (record) => void details.push(record.line),
    });
    expect(verified.header).toMatchObject({ collectionDate: '2026-12-01', bankCode: '007', modifier: 'A' });
    expect(verified).toMatchObject({ recordCount: 3, totalCents: 18_745_000 + 100 + 24_390_050 });
    expect(details).toEqual([3, 4, 7]);
    const lf = await readCollectionFile(Readable.from([Buffer.from(valid.replace(/\r\n/g, '\n'))]));
    expect(lf.recordCount).toBe(3);
    expect(lf.contentHash).not.toBe(verified.contentHash);
  });

  test.each([
    [
      'a record of the wrong length',
      () => withLine(2, lines[2]?.slice(0, 150) ?? ''),
      3,
      /150 caracteres; deben ser 162/,
    ],
    ['a file that does not start with 01', () => lines.slice(1).join('\r\n'), 1, /debe empezar con el registro 01/],
    ['a detail outside a batch', () => [lines[0], lines[2], ...lines.slice(1)].join('\r\n'), 2, /fuera de un lote/],
    [
      'a batch count that is wrong',
      () => withLine(4, `08${'3'.padStart(9, '0')}${lines[4]?.slice(11)}`),
      5,
      /declara 3 registros y tiene 2/,
    ],
    [
      'a file total that is wrong',
      () => withLine(8, `09${lines[8]?.slice(2, 11)}${'1'.padStart(18, '0')}${' '.repeat(133)}`),
      9,
      /el archivo declara un total/,
    ],
    [
      'a batch control of another batch',
      () => withLine(4, `${lines[4]?.slice(0, 29)}0009${lines[4]?.slice(33)}`),
      5,
      /es del lote 9/,
    ],
    [
      'letters in an amount',
      () => withLine(2, `${lines[2]?.slice(0, 50)}ABC${lines[2]?.slice(53)}`),
      3,
      /solo dígitos/,
    ],
    [
      'an impossible collection date',
      () => withLine(0, `01${lines[0]?.slice(2, 12)}20261332${lines[0]?.slice(20)}`),
      1,
      /no es una fecha AAAAMMDD real/,
    ],
    ['an unknown record type', () => withLine(2, `07${lines[2]?.slice(2)}`), 3, /tipo de registro desconocido "07"/],
    ['no file control', () => lines.slice(0, 8).join('\r\n'), 9, /falta el control de archivo/],
    [
      'records after the file control',
      () => [...lines.slice(0, 9), lines[2]].join('\r\n'),
      10,
      /después del control de archivo/,
    ],
  ])('when it has %s, then it is rejected at its first offending line', async (_what, make, line, reason) => {
    const error = await rejection(make());
    expect(error.line).toBe(line);
    expect(error.message).toMatch(reason);
    expect(error.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('every record it writes is 162 characters', () => {
    for (const record of lines.filter(Boolean)) expect(record).toHaveLength(RECORD_LENGTH);
  });

  test('a reference carries the 12-digit coupon code zero-filled on the left, or nothing', () => {
    const reference = '241439797539'.padStart(48, '0');
    expect(couponCodeOfReference(reference, 12)).toBe('241439797539');
    expect(couponCodeOfReference(`1${reference.slice(1)}`, 12)).toBeUndefined();
    expect(couponCodeOfReference(`${'2414'.padEnd(48, ' ')}`, 12)).toBeUndefined();
    expect(couponCodeOfReference('X'.repeat(48), 12)).toBeUndefined();
  });
});
