import { Readable } from 'node:stream';

import {
  CollectionFileError,
  collectionFileText,
  couponCodeOfReference,
  readCollectionFile,
  RECORD_LENGTH,
} from '../../shared/formats/asobancaria';
import { CsvError, type CsvLimits, readCsvRecords } from '../../shared/formats/csv';

/** The same text cut into chunks of `size` bytes, as a stream delivers it. */
function chunked(text: string, size: number, encoding: BufferEncoding = 'utf8'): Readable {
  const bytes = Buffer.from(text, encoding);
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

async function records(text: string, size = 7, limits?: CsvLimits) {
  const out = [];
  for await (const record of readCsvRecords(chunked(text, size), limits)) out.push(record);
  return out;
}

async function recordsOfBytes(bytes: Buffer, size: number) {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  const out = [];
  for await (const record of readCsvRecords(Readable.from(parts))) out.push(record);
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
  const limited = { maxFieldChars: 10, maxRecordChars: 40 };
  test.each([1, 3, 7, 64, 4096])(
    'when a field or a line passes its limit (chunks of %i bytes), then that record is a problem and the next ones read right',
    async (size) => {
      const text = [
        'a,b',
        `1,${'x'.repeat(11)}`, // line 2: an unquoted field too long
        `2,"${'y'.repeat(5)}\n${'y'.repeat(20)},""z"""`, // lines 3-4: a quoted field too long, a line break inside
        `3,${'w,'.repeat(30)}w`, // line 5: a line too long
        `4,"${'q'.repeat(50)}`, // line 6: a quoted field too long that runs past the line
        `más",ok`, // line 7: the rest of that record
        '5,fin',
      ].join('\n');
      const out = await records(text, size, limited);
      expect(out.map((r) => [r.line, r.problem ? 'problem' : r.fields.join('|')])).toEqual([
        [1, 'a|b'],
        [2, 'problem'],
        [3, 'problem'],
        [5, 'problem'],
        [6, 'problem'],
        [8, '5|fin'],
      ]);
      expect(out[1]?.problem).toBe('Un campo supera los 10 caracteres que admite el archivo.');
      expect(out[3]?.problem).toBe('La línea supera los 40 caracteres que admite el archivo.');
      expect(out.every((r) => !r.problem || r.fields.length === 0)).toBe(true);
    },
  );

  test.each([1, 2, 5, 4096])(
    'when bytes are not UTF-8 or are control characters (chunks of %i bytes), then each such record is a problem with its reason',
    async (size) => {
      const bytes = Buffer.concat([
        Buffer.from('a,b\n1,Jos'),
        Buffer.from([0xc3, 0x28, 0xff, 0xfe]), // line 2: invalid UTF-8
        Buffer.from('\n2,"nul\u0000"\n3,c1\u0085\n4,"tab\tok",=HYPERLINK("x")\n'),
      ]);
      const out = await recordsOfBytes(bytes, size);
      expect(out.map((r) => r.problem ?? r.fields.join('|'))).toEqual([
        'a|b',
        'Contiene bytes que no son texto UTF-8 válido.',
        'Contiene un carácter de control (U+0000), que no es texto.',
        'Contiene un carácter de control (U+0085), que no es texto.',
        '4|tab\tok|=HYPERLINK("x")',
      ]);
    },
  );

  test('when a 30 MB quoted field and a 45 MB line without quotes stream through, then peak memory stays flat and the next record reads', async () => {
    const chunk = 'z'.repeat(64 * 1024);
    async function* huge() {
      yield 'a,b\n1,"';
      for (let i = 0; i < 480; i++) yield chunk; // 30 MB inside quotes
      yield '",x\n2,';
      for (let i = 0; i < 720; i++) yield chunk; // 45 MB, no quote, no line end
      yield '\n3,fin\n';
    }
    const before = process.memoryUsage().rss;
    let peak = before;
    const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const out = [];
    for await (const record of readCsvRecords(huge(), { maxFieldChars: 200 })) {
      out.push(record);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    clearInterval(sample);
    expect(out.map((r) => [r.line, r.problem ? 'problem' : r.fields.join('|')])).toEqual([
      [1, 'a|b'],
      [2, 'problem'],
      [3, 'problem'],
      [4, '3|fin'],
    ]);
    const grownMiB = (peak - before) / 2 ** 20;
    console.log(`CSV reader over a 30 MB field and a 45 MB line: peak RSS grew ${grownMiB.toFixed(1)} MiB`);
    // Held whole, the field alone would take 30 MiB or more.
    expect(grownMiB).toBeLessThan(20);
  }, 60_000);
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
