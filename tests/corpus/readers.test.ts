/**
 * Hostile-input corpus: readers and types. Numbers written in another notation, encodings,
 * compressed and binary files, nested and duplicated Parquet/Arrow columns, column names that
 * are Object.prototype's, long ids, and inputs that would take unbounded work. Each case gives
 * exit 2 naming the column (or argument) and the fix, or exit 0 with the right answer.
 */
import { gzipSync } from 'node:zlib';
import { Field, Float64, makeData, RecordBatch, Schema, Struct, Table, tableFromArrays, tableToIPC, vectorFromArray } from 'apache-arrow';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/data/csv.js';
import { GOOD_CSV, estimateArgs, runCase, runCli, type CorpusCase } from './harness.js';

/** 24 rows: t alternating 0/1 with some overlap, x from `cell(i)`, y numeric. */
function register(cell: (i: number) => string, header = 't,x,y', delim = ','): string {
  const rows = [header];
  for (let i = 0; i < 24; i++) {
    const t = i % 2;
    rows.push([t, cell(i), ((i * 7) % 5) + t].join(delim));
  }
  return rows.join('\n') + '\n';
}

/** x as plain numbers (the reference every other notation must equal when read as asked). */
const plainX = (i: number) => String(((i * 37) % 23) / 4 + 1000 * (i % 3));
/** x with decimal commas and thousands dots (Italian exports). */
const italianX = (i: number) => {
  const v = ((i * 37) % 23) / 4 + 1000 * (i % 3);
  const [int, frac] = v.toFixed(2).split('.');
  return `${int!.replace(/\B(?=(\d{3})+$)/g, '.')},${frac}`;
};

const json = (stdout: string) => JSON.parse(stdout) as { estimate: number; balance: { covariate: string }[] };

/** Parquet bytes from columns (hyparquet-writer), with an optional explicit schema. */
function parquet(columnData: { name: string; data: unknown[]; type?: string }[], schema?: unknown[]): Uint8Array {
  return new Uint8Array(parquetWriteBuffer({ columnData, ...(schema ? { schema } : {}) } as never));
}

/** Arrow IPC bytes whose fields are given one by one (names may repeat or be __proto__). */
function arrowFields(cols: { name: string; values: number[] }[]): Uint8Array {
  const fields = cols.map((c) => new Field(c.name, new Float64()));
  const schema = new Schema(fields);
  const n = cols[0]!.values.length;
  const children = cols.map((c) => makeData({ type: new Float64(), data: Float64Array.from(c.values) }));
  const data = makeData({ type: new Struct(fields), length: n, nullCount: 0, children });
  return tableToIPC(new Table(schema, [new RecordBatch(schema, data)]));
}

const T = Array.from({ length: 24 }, (_, i) => i % 2);
const X = Array.from({ length: 24 }, (_, i) => ((i * 37) % 23) / 4);
const Y = Array.from({ length: 24 }, (_, i) => ((i * 7) % 5) + (i % 2));
const latin1 = (s: string) => Buffer.from(s, 'latin1');
/** A register with a text covariate `city` whose values are given (bytes, any encoding). */
const cities = (a: string, b: string) => {
  const rows = ['t,x,city,y'];
  for (let i = 0; i < 24; i++) rows.push(`${T[i]},${X[i]},${i % 3 === 0 ? a : b},${Y[i]}`);
  return rows.join('\n') + '\n';
};

describe('corpus: numbers in another notation are refused, naming column, values, lines and fixes', () => {
  const cases: CorpusCase[] = [
    {
      name: 'one decimal comma in a numeric column ("1,5")',
      files: { 'data.csv': register((i) => (i === 4 ? '"1,5"' : plainX(i))) },
      args: estimateArgs(),
      code: 2,
      err: /covariate column `x` is numeric but for 1 of its 24 values \(line 6: "1,5"\): read them as numbers with --decimal ,.*fix those cells, or declare the column categorical \(--categorical x/,
    },
    {
      name: 'a hex literal (0x10)',
      files: { 'data.csv': register((i) => (i === 0 ? '0x10' : plainX(i))) },
      args: estimateArgs(),
      code: 2,
      err: /`x` is numeric but for 1 of its 24 values \(line 2: "0x10"\): fix those cells, or declare/,
    },
    {
      name: 'Italian amounts in a ; file (1.234,56 next to 12,5)',
      files: { 'data.csv': register(italianX, 't;x;y', ';') },
      args: estimateArgs(),
      code: 2,
      err: /`x` is numeric but for 16 of its 24 values \(line 3: "1\.003,50".*--decimal , --thousands \. \(study file: data\.decimal: ',', data\.thousands: '\.'\)/,
    },
    {
      name: 'Italian amounts read with --decimal , --thousands . give the plain file’s answer',
      files: { 'it.csv': register(italianX, 't;x;y', ';') },
      args: estimateArgs('it.csv', ['--decimal', ',', '--thousands', '.', '--json']),
      code: 0,
      check: async (r) => {
        const ref = await runCli({
          files: { 'plain.csv': register((i) => (((i * 37) % 23) / 4 + 1000 * (i % 3)).toFixed(2)) },
          args: estimateArgs('plain.csv', ['--json']),
        });
        expect(ref.code).toBe(0);
        expect(json(r.stdout).estimate).toBe(json(ref.stdout).estimate);
      },
    },
    {
      name: 'a percentage (5%)',
      files: { 'data.csv': register((i) => (i === 10 ? '5%' : plainX(i))) },
      args: estimateArgs(),
      code: 2,
      err: /line 12: "5%"/,
    },
    {
      name: 'a currency amount (€3)',
      files: { 'data.csv': register((i) => (i === 23 ? '€3' : plainX(i))) },
      args: estimateArgs(),
      code: 2,
      err: /line 25: "€3"/,
    },
    {
      name: 'half numbers, half words',
      files: { 'data.csv': register((i) => (i % 2 ? `w${i}` : plainX(i))) },
      args: estimateArgs(),
      code: 2,
      err: /`x` is numeric but for 12 of its 24 values \(line 3: "w1", line 5: "w3", line 7: "w5", line 9: "w7", line 11: "w9", … \(12 in all\)\)/,
    },
    {
      name: 'a dash placeholder for missing ("-")',
      files: { 'data.csv': register((i) => (i === 7 ? '-' : plainX(i))) },
      args: estimateArgs(),
      code: 2,
      err: /line 9: "-"\): fix those cells/,
    },
    {
      name: 'the mixed column declared categorical is accepted (--categorical x)',
      files: { 'data.csv': register((i) => (i === 6 ? 'unknown' : String(i % 3))) },
      args: estimateArgs('data.csv', ['--categorical', 'x']),
      code: 0,
    },
    {
      name: 'outcome with a decimal comma',
      files: { 'data.csv': 't,x,y\n1,1,"2,5"\n0,2,3\n1,3,4\n0,4,5\n1,5,6\n0,6,7\n' },
      args: estimateArgs(),
      code: 2,
      err: /outcome column `y` is numeric but for 1 of its 6 values \(line 2: "2,5"\): read them as numbers with --decimal , \(study file: data\.decimal: ','\), or fix those cells$/m,
    },
    {
      name: 'a text covariate stays categorical (regions)',
      files: { 'data.csv': register((i) => ['north', 'south', 'centre'][i % 3]!) },
      args: estimateArgs(),
      code: 0,
    },
    {
      name: 'an escape sequence in a value is shown escaped',
      files: { 'data.csv': register((i) => (i === 2 ? '\u001b[31m7' : plainX(i))) },
      args: estimateArgs(),
      code: 2,
      err: /line 4: "\\x1b\[31m7"/,
      check: (r) => expect(r.stderr).not.toContain('\u001b'),
    },
    {
      name: 'a 5,000-character value is cut to 40 characters',
      files: { 'data.csv': register((i) => (i === 2 ? `1${'z'.repeat(4999)}` : plainX(i))) },
      args: estimateArgs(),
      code: 2,
      err: /line 4: "1z{39}"… \(5,000 characters\)/,
      check: (r) => expect(r.stderr.length).toBeLessThan(800),
    },
    {
      name: 'Parquet text column holding decimal commas',
      files: {
        'data.parquet': parquet([
          { name: 't', data: T, type: 'INT32' },
          { name: 'x', data: X.map((v, i) => (i === 3 ? '1,5' : String(v))), type: 'STRING' },
          { name: 'y', data: Y, type: 'DOUBLE' },
        ]),
      },
      args: estimateArgs('data.parquet'),
      code: 2,
      err: /covariate column `x` is numeric but for 1 of its 24 values \(row 4: "1,5"\)/,
    },
    {
      name: 'Arrow text column holding decimal commas',
      files: { 'data.arrow': tableToIPC(tableFromArrays({ t: Float64Array.from(T), x: X.map((v) => String(v).replace('.', ',')), y: Float64Array.from(Y) })) },
      args: estimateArgs('data.arrow'),
      code: 2,
      err: /covariate column `x` is numeric but for \d+ of its 24 values \(row 2: "3,5"/,
    },
    {
      name: 'bad --thousands',
      files: { 'data.csv': GOOD_CSV },
      args: estimateArgs('data.csv', ['--thousands', 'x']),
      code: 2,
      err: /thousands separator must be one of/,
    },
    {
      name: 'bad --decimal',
      files: { 'data.csv': GOOD_CSV },
      args: estimateArgs('data.csv', ['--decimal', ';']),
      code: 2,
      err: /decimal mark must be \. or ,/,
    },
    {
      name: '--thousands , without --decimal .',
      files: { 'data.csv': GOOD_CSV },
      args: estimateArgs('data.csv', ['--thousands', ',']),
      code: 2,
      err: /with --thousands , the decimal mark is \. : give --decimal \. as well/,
    },
    {
      name: 'same --thousands and --decimal',
      files: { 'data.csv': GOOD_CSV },
      args: estimateArgs('data.csv', ['--thousands', '.', '--decimal', '.']),
      code: 2,
      err: /both "\."/,
    },
    {
      name: 'bad --delimiter',
      files: { 'data.csv': GOOD_CSV },
      args: estimateArgs('data.csv', ['--delimiter', 'xx']),
      code: 2,
      err: /delimiter must be one of/,
    },
    { name: '--delimiter tab', files: { 'data.tsv': GOOD_CSV.replaceAll(',', '\t') }, args: estimateArgs('data.tsv', ['--delimiter', 'tab']), code: 0 },
  ];
  for (const c of cases) it(c.name, () => runCase(c));
});

describe('corpus: encodings, compressed and binary files', () => {
  const cases: CorpusCase[] = [
    {
      name: 'Latin-1 Città / Cittè is refused with the --encoding fix',
      files: { 'data.csv': latin1(cities('Città', 'Cittè')) },
      args: estimateArgs('data.csv', [], 'x,city'),
      code: 2,
      err: /not valid UTF-8: column `city` holds bytes that are not UTF-8 \(line \d+: "Citt\uFFFD"\).*--encoding latin1/,
    },
    {
      name: 'Latin-1 read with --encoding latin1: two cities, not one',
      files: { 'data.csv': latin1(cities('Città', 'Cittè')) },
      args: estimateArgs('data.csv', ['--encoding', 'latin1', '--json'], 'x,city'),
      code: 0,
      check: (r) => {
        const names = json(r.stdout).balance.map((b) => b.covariate);
        expect(names.some((n) => n.includes('Città'))).toBe(true);
        expect(names.some((n) => n.includes('Cittè'))).toBe(true);
      },
    },
    {
      name: 'Windows-1252 € (0x80) read with --encoding windows-1252',
      files: { 'data.csv': Buffer.from(cities('\u0080A', 'B').replace(/\u0080/g, '\u0080'), 'latin1') },
      args: estimateArgs('data.csv', ['--encoding', 'windows-1252', '--json'], 'x,city'),
      code: 0,
      check: (r) => expect(json(r.stdout).balance.some((b) => b.covariate.includes('€A'))).toBe(true),
    },
    {
      name: 'Latin-1 in the header',
      files: { 'data.csv': latin1('t,x,y,età\n1,1,2,3\n0,2,3,4\n') },
      args: estimateArgs(),
      code: 2,
      err: /not valid UTF-8: the header holds bytes that are not UTF-8 \(line 1: "et\uFFFD"\)/,
    },
    {
      name: 'unknown --encoding',
      files: { 'data.csv': GOOD_CSV },
      args: estimateArgs('data.csv', ['--encoding', 'ebcdic']),
      code: 2,
      err: /encoding must be one of utf-8, latin1/,
    },
    { name: 'gzip-compressed CSV', files: { 'data.csv': gzipSync(GOOD_CSV) }, args: estimateArgs(), code: 2, err: /gzip-compressed.*gunzip/ },
    {
      name: 'UTF-16LE with a byte-order mark',
      files: { 'data.csv': Buffer.from(`\ufeff${GOOD_CSV}`, 'utf16le') },
      args: estimateArgs(),
      code: 2,
      err: /UTF-16 text .*little-endian.*--encoding utf-16le/,
    },
    {
      name: 'UTF-16LE read with --encoding utf-16le',
      files: { 'data.csv': Buffer.from(`\ufeff${GOOD_CSV}`, 'utf16le') },
      args: estimateArgs('data.csv', ['--encoding', 'utf-16le']),
      code: 0,
    },
    {
      name: 'UTF-16LE without a byte-order mark',
      files: { 'data.csv': Buffer.from(GOOD_CSV, 'utf16le') },
      args: estimateArgs(),
      code: 2,
      err: /NUL bytes between its characters.*utf-16le/,
    },
    {
      name: 'a binary file',
      files: { 'data.csv': Buffer.from([0x74, 0x2c, 0x78, 0x0a, 0x31, 0x00, 0x02, 0x03]) },
      args: estimateArgs(),
      code: 2,
      err: /NUL byte \(byte 6\): it is a binary file/,
    },
    {
      name: 'an Excel workbook named .csv',
      files: { 'data.csv': Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0]) },
      args: estimateArgs(),
      code: 2,
      err: /ZIP archive \(an Excel \.xlsx workbook\?\)/,
    },
    {
      name: 'a Parquet file named .csv',
      files: { 'data.csv': parquet([{ name: 't', data: T, type: 'INT32' }]) },
      args: estimateArgs(),
      code: 2,
      err: /is a Parquet file, not a CSV text: give it the \.parquet extension/,
    },
    { name: 'a UTF-8 byte-order mark is fine', files: { 'data.csv': `\ufeff${GOOD_CSV}` }, args: estimateArgs(), code: 0 },
    { name: 'a folder as --data', files: { 'dir/x.csv': GOOD_CSV }, args: estimateArgs('dir'), code: 2, err: /is a folder/ },
  ];
  for (const c of cases) it(c.name, () => runCase(c));
});

describe('corpus: nested and duplicated Parquet/Arrow columns, Object.prototype names', () => {
  const cases: CorpusCase[] = [
    {
      name: 'Parquet with a duplicated column name',
      files: {
        'data.parquet': parquet([
          { name: 't', data: T, type: 'INT32' },
          { name: 'x', data: X, type: 'DOUBLE' },
          { name: 'x', data: Y, type: 'DOUBLE' },
          { name: 'y', data: Y, type: 'DOUBLE' },
        ]),
      },
      args: estimateArgs('data.parquet'),
      code: 2,
      err: /column name `x` appears twice \(columns 2 and 3\): rename one of them/,
    },
    {
      name: 'Arrow with a duplicated column name',
      files: {
        'data.arrow': arrowFields([
          { name: 't', values: T },
          { name: 'x', values: X },
          { name: 'y', values: Y },
          { name: 'y', values: X },
        ]),
      },
      args: estimateArgs('data.arrow'),
      code: 2,
      err: /column name `y` appears twice \(columns 3 and 4\)/,
    },
    {
      name: 'Parquet struct column',
      files: {
        'data.parquet': parquet(
          [{ name: 's', data: [{ a: 1 }, { a: 2 }] }],
          [
            { name: 'root', num_children: 1 },
            { name: 's', repetition_type: 'OPTIONAL', num_children: 1 },
            { name: 'a', type: 'INT32', repetition_type: 'OPTIONAL' },
          ],
        ),
      },
      args: estimateArgs('data.parquet'),
      code: 2,
      err: /column `s` is a nested struct column; only flat columns .* can be read — flatten it/,
    },
    {
      name: 'Parquet list column',
      files: {
        'data.parquet': parquet(
          [{ name: 'l', data: [[1, 2], [3]] }],
          [
            { name: 'root', num_children: 1 },
            { name: 'l', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
            { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
            { name: 'element', type: 'INT32', repetition_type: 'OPTIONAL' },
          ],
        ),
      },
      args: estimateArgs('data.parquet'),
      code: 2,
      err: /column `l` is a nested list column/,
    },
    {
      name: 'Arrow struct and list columns, both named',
      files: {
        'data.arrow': tableToIPC(new Table({ s: vectorFromArray([{ a: 1 }, { a: 2 }]), l: vectorFromArray([[1, 2], [3]]), t: vectorFromArray([0, 1]) })),
      },
      args: estimateArgs('data.arrow'),
      code: 2,
      err: /column `s` is a nested struct column[\s\S]*column `l` is a nested list column/,
    },
    {
      name: 'CSV column named __proto__ used as covariate',
      files: { 'data.csv': GOOD_CSV.replace('t,x,y', 't,__proto__,y') },
      args: estimateArgs('data.csv', [], '__proto__'),
      code: 0,
    },
    {
      name: 'CSV columns named constructor and toString used as covariates',
      files: { 'data.csv': register((i) => `${plainX(i)},${i % 5}`, 't,constructor,toString,y') },
      args: estimateArgs('data.csv', [], 'constructor,toString'),
      code: 0,
    },
    {
      name: 'absent covariate constructor',
      files: { 'data.csv': GOOD_CSV },
      args: estimateArgs('data.csv', [], 'constructor'),
      code: 2,
      err: /covariate column `constructor` is not in the data/,
    },
    {
      name: 'absent outcome toString',
      files: { 'data.csv': GOOD_CSV },
      args: estimateArgs().map((a) => (a === 'y' ? 'toString' : a)),
      code: 2,
      err: /outcome column `toString` is not in the data/,
    },
    {
      name: 'absent treatment __proto__',
      files: { 'data.csv': GOOD_CSV },
      args: estimateArgs().map((a) => (a === 't' ? '__proto__' : a)),
      code: 2,
      err: /treatment column `__proto__` is not in the data/,
    },
    {
      name: 'absent id hasOwnProperty',
      files: { 'data.csv': GOOD_CSV },
      args: estimateArgs('data.csv', ['--id', 'hasOwnProperty']),
      code: 2,
      err: /`hasOwnProperty` is not in the data/,
    },
    {
      name: 'Parquet column named __proto__ is read and used',
      files: {
        'data.parquet': parquet([
          { name: 't', data: T, type: 'INT32' },
          { name: '__proto__', data: X, type: 'DOUBLE' },
          { name: 'y', data: Y, type: 'DOUBLE' },
        ]),
      },
      args: estimateArgs('data.parquet', [], '__proto__'),
      code: 0,
    },
    {
      name: 'Arrow column named __proto__ is read and used',
      files: {
        'data.arrow': arrowFields([
          { name: 't', values: T },
          { name: '__proto__', values: X },
          { name: 'y', values: Y },
        ]),
      },
      args: estimateArgs('data.arrow', [], '__proto__'),
      code: 0,
    },
  ];
  for (const c of cases) it(c.name, () => runCase(c));
});

describe('corpus: ids', () => {
  const withIds = (ids: readonly string[]) => {
    const rows = ['id,t,x,y'];
    for (let i = 0; i < 24; i++) rows.push(`${ids[i]},${T[i]},${X[i]},${Y[i]}`);
    return rows.join('\n') + '\n';
  };
  const cases: CorpusCase[] = [
    {
      name: 'distinct 17-digit ids are not duplicates (CSV)',
      files: { 'data.csv': withIds(T.map((_, i) => String(12345678901234560n + BigInt(i)))) },
      args: estimateArgs('data.csv', ['--id', 'id']),
      code: 0,
    },
    {
      name: 'a true duplicate among 17-digit ids is named exactly',
      files: { 'data.csv': withIds(T.map((_, i) => String(12345678901234560n + BigInt(i === 5 ? 4 : i)))) },
      args: estimateArgs('data.csv', ['--id', 'id']),
      code: 2,
      err: /duplicated ids \("12345678901234564"/,
    },
    {
      name: 'distinct 17-digit int64 ids are not duplicates (Parquet)',
      files: {
        'data.parquet': parquet([
          { name: 'id', data: T.map((_, i) => 12345678901234560n + BigInt(i)), type: 'INT64' },
          { name: 't', data: T, type: 'INT32' },
          { name: 'x', data: X, type: 'DOUBLE' },
          { name: 'y', data: Y, type: 'DOUBLE' },
        ]),
      },
      args: estimateArgs('data.parquet', ['--id', 'id']),
      code: 0,
    },
    {
      name: 'distinct 17-digit int64 ids are not duplicates (Arrow)',
      files: {
        'data.arrow': tableToIPC(
          tableFromArrays({
            id: BigInt64Array.from(T.map((_, i) => 12345678901234560n + BigInt(i))),
            t: Float64Array.from(T),
            x: Float64Array.from(X),
            y: Float64Array.from(Y),
          }),
        ),
      },
      args: estimateArgs('data.arrow', ['--id', 'id']),
      code: 0,
    },
    {
      name: 'ids 007 and 7 read as numbers are duplicates',
      files: { 'data.csv': withIds(T.map((_, i) => (i === 1 ? '007' : String(i)))) },
      args: estimateArgs('data.csv', ['--id', 'id']),
      code: 2,
      err: /id column `id` has 1 duplicated ids/,
    },
    {
      name: 'ids 007 and 7 with --id-text are distinct, and written exactly in --pairs',
      files: { 'data.csv': withIds(T.map((_, i) => (i === 1 ? '007' : String(i)))) },
      args: estimateArgs('data.csv', ['--id', 'id', '--id-text', '--pairs', '{dir}/pairs.csv']),
      code: 0,
      check: async (r) => {
        const { readFileSync } = await import('node:fs');
        const pairs = readFileSync(`${r.dir}/pairs.csv`, 'utf8');
        expect(pairs).toMatch(/\n007,/);
      },
    },
    { name: '--id-text without --id', files: { 'data.csv': GOOD_CSV }, args: estimateArgs('data.csv', ['--id-text']), code: 2, err: /--id-text needs --id/ },
  ];
  for (const c of cases) it(c.name, () => runCase(c));
});

describe('corpus: bounded work', () => {
  const people = (n: number, cell: (i: number) => string) => {
    const rows = ['t,x,name,y'];
    for (let i = 0; i < n; i++) rows.push(`${i % 2},${(i * 37) % 101},${cell(i)},${(i * 7) % 5}`);
    return rows.join('\n') + '\n';
  };
  it('a text covariate with one level per row (2,000 rows) refuses in well under a second', async () => {
    const t0 = performance.now();
    await runCase({
      name: 'one level per row',
      files: { 'data.csv': people(2000, (i) => `person${i}`) },
      args: estimateArgs('data.csv', [], 'x,name'),
      code: 2,
      err: /categorical covariate `name` has 2,000 distinct values \(e\.g\. "person0", "person1", "person10"\) in 2,000 rows, more than the 200 levels allowed.*looks like an id or free text/,
    });
    expect(performance.now() - t0).toBeLessThan(1000);
  });
  const cases: CorpusCase[] = [
    {
      name: 'a numeric covariate declared categorical with a value per row',
      files: { 'data.csv': people(600, (i) => String(i)) },
      args: estimateArgs('data.csv', ['--categorical', 'name'], 'x,name'),
      code: 2,
      err: /categorical covariate `name` has more than 60 distinct values in 600 rows/,
    },
    {
      name: '60 levels in 100 rows',
      files: { 'data.csv': people(100, (i) => `g${i % 60}`) },
      args: estimateArgs('data.csv', [], 'x,name'),
      code: 2,
      err: /has 60 distinct values .* more than the 50 levels allowed/,
    },
    {
      name: 'a line of 150,000 fields (a,a,a,…) refuses without filling memory',
      files: { 'data.csv': `t,x,y\n${'a,'.repeat(150_000)}a\n` },
      args: estimateArgs(),
      code: 2,
      err: /line 2 has more than 100,000 fields \(a binary file, or the wrong delimiter\?\)/,
    },
    {
      name: 'a header of 150,000 fields',
      files: { 'data.csv': `${'a,'.repeat(150_000)}a\n1\n` },
      args: estimateArgs(),
      code: 2,
      err: /line 1 has more than 100,000 fields/,
    },
    {
      name: '30 duplicated header names: ten listed, the rest counted',
      files: { 'data.csv': `t,x,y,${'d,'.repeat(30)}d\n` },
      args: estimateArgs(),
      code: 2,
      err: /column name `d` appears twice[\s\S]*… and 20 more problems with the header's names/,
      check: (r) => expect(r.stderr.split('\n').filter((l) => l.includes('appears twice'))).toHaveLength(10),
    },
    {
      name: 'a 2-million-character field',
      files: { 'data.csv': `t,x,y\n1,${'7'.repeat(2_000_000)},3\n` },
      args: estimateArgs(),
      code: 2,
      err: /a field on line 2 is longer than 1,000,000 characters/,
    },
    {
      name: 'a header name with escape sequences is shown escaped',
      files: { 'data.csv': 't,x,y,\u001b[2Jevil\n1,1,2,3\n0,2,3,4\n' },
      args: estimateArgs('data.csv', [], 'nope'),
      code: 2,
      err: /"\\x1b\[2Jevil"/,
      check: (r) => expect(r.stderr).not.toContain('\u001b'),
    },
    {
      name: 'a right-to-left override in a treatment label is shown escaped',
      files: { 'data.csv': 't,x,y\nA\u202eB,1,3\nC,2,4\nA\u202eB,3,3\nC,1,2\n' },
      args: estimateArgs(),
      code: 2,
      err: /has labels "A\\u\{202e\}B" and "C"/,
    },
    {
      name: 'ragged rows with CRLF: spreadsheet line numbers',
      files: { 'data.csv': 't,x,y\r\n1,1,3\r\n0,1\r\n' },
      args: estimateArgs(),
      code: 2,
      err: /line 3: 2 fields where the header has 3/,
    },
  ];
  for (const c of cases) it(c.name, () => runCase(c));
  it('the column limit is an option of the library reader (maxColumns)', () => {
    expect(() => parseCsv('a,b,c,d\n1,2,3,4\n', { maxColumns: 3 })).toThrow(/the header has 4 columns, more than the 3 allowed/);
    expect(parseCsv('a,b,c\n1,2,3\n', { maxColumns: 3 }).table.names).toEqual(['a', 'b', 'c']);
  });
});

describe('corpus: the study file reads as asked (data.encoding, data.decimal, data.thousands, data.idType)', () => {
  /** 24 people: id, t, x (from `cell`), binary y; `sep` between fields. */
  const people = (cell: (i: number) => string, id: (i: number) => string = (i) => `p${i}`, sep = ',') => {
    const rows = [['id', 't', 'x', 'y'].join(sep)];
    for (let i = 0; i < 24; i++) rows.push([id(i), T[i], cell(i), (i * 5) % 7 < 3 ? 1 : 0].join(sep));
    return rows.join('\n') + '\n';
  };
  const study = (data: string, extra = '') =>
    `data:\n  persons: people.csv\n${data}id: id\ntreatment: t\ncovariates: [x]\n${extra}matching: { replace: true }\nse: pairs\nminCellCount: 1\noutcomes:\n  - type: binary\n    column: y\noutput: out\n`;
  const cases: CorpusCase[] = [
    {
      name: 'study: Italian amounts with data.decimal and data.thousands',
      files: { 'people.csv': people(italianX, undefined, ';'), 'study.yaml': study("  decimal: ','\n  thousands: '.'\n") },
      args: ['run', '{dir}/study.yaml'],
      code: 0,
    },
    {
      name: 'study: Italian amounts without the settings are refused, naming the study-file keys',
      files: { 'people.csv': people(italianX, undefined, ';'), 'study.yaml': study('') },
      args: ['run', '{dir}/study.yaml'],
      code: 2,
      err: /covariate column `x` is numeric but for 16 of its 24 values .*study file: data\.decimal: ',', data\.thousands: '\.'/,
    },
    {
      name: 'study: a mixed covariate listed under categorical is accepted',
      files: { 'people.csv': people((i) => (i === 6 ? 'unknown' : String(i % 3))), 'study.yaml': study('', 'categorical: [x]\n') },
      args: ['run', '{dir}/study.yaml'],
      code: 0,
    },
    {
      name: 'study: Latin-1 file with data.encoding: latin1',
      files: { 'people.csv': latin1(people((i) => (i % 3 ? 'Città' : 'Cittè'))), 'study.yaml': study('  encoding: latin1\n') },
      args: ['run', '{dir}/study.yaml'],
      code: 0,
      check: async (r) => {
        const { readFileSync } = await import('node:fs');
        const results = readFileSync(`${r.dir}/out/results.json`, 'utf8');
        expect(results).toContain('Città');
        expect(results).toContain('Cittè');
      },
    },
    {
      name: 'study: Latin-1 file without data.encoding is refused',
      files: { 'people.csv': latin1(people((i) => (i % 3 ? 'Città' : 'Cittè'))), 'study.yaml': study('') },
      args: ['run', '{dir}/study.yaml'],
      code: 2,
      err: /not valid UTF-8: column `x`.*data\.encoding: latin1/,
    },
    {
      name: 'study: ids 007 and 7 are distinct with data.idType: text',
      files: {
        'people.csv': people(
          (i) => String(X[i]),
          (i) => (i === 1 ? '007' : String(i)),
        ),
        'study.yaml': study('  idType: text\n'),
      },
      args: ['run', '{dir}/study.yaml'],
      code: 0,
    },
    {
      name: 'study: ids 007 and 7 are duplicates without it',
      files: {
        'people.csv': people(
          (i) => String(X[i]),
          (i) => (i === 1 ? '007' : String(i)),
        ),
        'study.yaml': study(''),
      },
      args: ['run', '{dir}/study.yaml'],
      code: 2,
      err: /id column `id` has 1 duplicated ids/,
    },
    {
      name: 'study: unknown data.encoding',
      files: { 'people.csv': people((i) => String(X[i])), 'study.yaml': study('  encoding: ebcdic\n') },
      args: ['run', '{dir}/study.yaml'],
      code: 2,
      err: /encoding/,
    },
  ];
  for (const c of cases) it(c.name, () => runCase(c));
});
