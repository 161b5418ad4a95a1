import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvByteReader, CsvReader, csvCore, parseCsv, type CsvOptions } from '../../src/data/csv.js';
import type { Table } from '../../src/data/table.js';
import { readCsvFile } from '../../src/io/parallelCsv.js';
import { checkIds } from '../../src/evaluate.js';
import { createRng } from '../../src/random.js';

const mulberry32 = (seed: number) => {
  const r = createRng(seed);
  return () => r.next();
};

const dir = mkdtempSync(join(tmpdir(), 'counterfact-csvbytes-'));

/** The string parser (the reference): table and report, or the error message. */
function viaString(text: string, options: CsvOptions = {}) {
  try {
    const r = new CsvReader(options);
    r.push(text);
    return r.finish();
  } catch (e) {
    return (e as Error).message;
  }
}

function viaBytes(bytes: Uint8Array, options: CsvOptions = {}, splits: number[] = []) {
  try {
    const r = new CsvByteReader(options);
    let at = 0;
    for (const s of [...splits, bytes.length]) {
      r.push(bytes.subarray(at, s));
      at = s;
    }
    return r.finish();
  } catch (e) {
    return (e as Error).message;
  }
}

/** Tables equal bit for bit (NaN payloads and −0 included), levels in the same order. */
function sameTable(a: Table, b: Table): boolean {
  if (a.nRows !== b.nRows || JSON.stringify(a.names) !== JSON.stringify(b.names)) return false;
  for (const n of a.names) {
    const x = a.columns[n]!;
    const y = b.columns[n]!;
    if (x.kind !== y.kind) return false;
    if (x.kind === 'numeric' && y.kind === 'numeric') {
      if (
        !Buffer.from(x.values.buffer, x.values.byteOffset, x.values.byteLength).equals(Buffer.from(y.values.buffer, y.values.byteOffset, y.values.byteLength))
      )
        return false;
    } else if (x.kind === 'categorical' && y.kind === 'categorical') {
      if (JSON.stringify(x.levels) !== JSON.stringify(y.levels)) return false;
      if (!Buffer.from(x.codes.buffer, x.codes.byteOffset, x.codes.byteLength).equals(Buffer.from(y.codes.buffer, y.codes.byteOffset, y.codes.byteLength)))
        return false;
    }
  }
  return true;
}

function expectSame(a: ReturnType<typeof viaString>, b: ReturnType<typeof viaString>, context: string) {
  if (typeof a === 'string' || typeof b === 'string') {
    expect(b, context).toBe(a);
    return;
  }
  expect(sameTable(a.table, b.table), context).toBe(true);
  expect(b.report.columns, context).toEqual(a.report.columns);
  expect(b.report.rowsRead, context).toBe(a.report.rowsRead);
}

describe('number conversion from bytes equals Number() of the text', () => {
  const core = csvCore();
  const cfg = { delim: 44, ncol: 0, wanted: [], thousands: -1, mode: 0 as const, maxField: 1e6, maxColumns: 1e5, forcedText: [] };
  const conv = (s: string) => {
    const b = new TextEncoder().encode(s);
    const x = core.fastNumber(b, 0, b.length, cfg);
    return core.fallbackUsed() ? core.toNumber(s, cfg) : x;
  };
  it('random doubles printed shortest (16–17 digits), fixed, exponent forms', () => {
    const rng = mulberry32(11);
    let fast = 0;
    let shortest = 0;
    for (let i = 0; i < 200_000; i++) {
      const x = (rng() - 0.5) * 10 ** Math.floor(rng() * 30 - 15);
      for (const s of [String(x), x.toFixed(Math.floor(rng() * 12)), x.toExponential(Math.floor(rng() * 18)), x.toPrecision(1 + Math.floor(rng() * 21))]) {
        const want = Number(s);
        const got = conv(s);
        if (!Object.is(got, want)) expect.fail(`${s}: ${got} != ${want}`);
      }
      // Shortest forms of values in [1e-5, 1e6): all on the byte path, none on the fallback.
      if (Math.abs(x) >= 1e-5 && Math.abs(x) < 1e6) {
        const b = new TextEncoder().encode(String(x));
        core.fastNumber(b, 0, b.length, cfg);
        shortest++;
        if (!core.fallbackUsed()) fast++;
      }
    }
    expect(shortest).toBeGreaterThan(50_000);
    expect(fast / shortest).toBeGreaterThan(0.999);
  });
  it('random digit strings of 1–19 significant digits, leading/trailing zeros, signs', () => {
    const rng = mulberry32(12);
    for (let i = 0; i < 200_000; i++) {
      const nd = 1 + Math.floor(rng() * 19);
      let digits = '';
      for (let k = 0; k < nd; k++) digits += String(Math.floor(rng() * 10));
      const dot = Math.floor(rng() * (nd + 1));
      const sign = ['', '-', '+'][Math.floor(rng() * 3)]!;
      const zeros = '0'.repeat(Math.floor(rng() * 3));
      let s = sign + zeros + digits.slice(0, dot) + (dot < nd || rng() < 0.2 ? '.' : '') + digits.slice(dot);
      if (rng() < 0.3) s += 'e' + String(Math.floor(rng() * 40 - 20));
      const want = /^[+-]?\d+$/.test(s) && Math.abs(Number(s)) > Number.MAX_SAFE_INTEGER ? NaN : Number(s);
      const got = conv(s);
      if (!Object.is(got, want)) expect.fail(`${s}: ${got} != ${want}`);
    }
  });
  it('halfway cases between neighbouring doubles (the hardest roundings)', () => {
    const rng = mulberry32(13);
    const f = new Float64Array(1);
    const u = new BigUint64Array(f.buffer);
    for (let i = 0; i < 20_000; i++) {
      f[0] = rng() * 10 ** Math.floor(rng() * 8 - 4);
      u[0] = u[0]! + 1n;
      const hi = f[0]!;
      u[0] = u[0]! - 1n;
      const lo = f[0]!;
      // lo and hi exactly as decimals, then the midpoint ± a tiny step, to 17–19 digits.
      for (const s of [
        ((lo + hi) / 2).toPrecision(17),
        ((lo + hi) / 2).toPrecision(18),
        ((lo + hi) / 2).toPrecision(19),
        hi.toPrecision(19),
        lo.toPrecision(19),
      ]) {
        const got = conv(s);
        if (!Object.is(got, Number(s))) expect.fail(`${s}: ${got} != ${Number(s)}`);
      }
    }
  });
  it('numbers read while their field is scanned (first, middle and last column) equal the above', () => {
    const rng = mulberry32(14);
    const forms: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const x = (rng() - 0.5) * 10 ** Math.floor(rng() * 30 - 15);
      forms.push(String(x), x.toExponential(Math.floor(rng() * 18)), x.toPrecision(1 + Math.floor(rng() * 19)));
      const nd = 1 + Math.floor(rng() * 19);
      let digits = '';
      for (let k = 0; k < nd; k++) digits += String(Math.floor(rng() * 10));
      forms.push(['', '-', '+'][i % 3]! + digits.slice(0, i % (nd + 1)) + '.' + digits.slice(i % (nd + 1)) + (i % 4 === 0 ? `e${(i % 41) - 20}` : ''));
    }
    forms.push('0', '-0', '+.5', '5.', '.5e-3', '1e5', '-1E+2', '00012', '1e', '1e+', '-', '+', '.', '1.2.3', '1e2e3', '1-', 'NA', '', '1e400');
    for (const delim of [',', ';', '\t']) {
      const text =
        'a' +
        delim +
        'b' +
        delim +
        'c\n' +
        forms.map((s, i) => [s, forms[(i + 7) % forms.length], forms[(i + 13) % forms.length]].join(delim)).join('\n') +
        '\n';
      const want = viaString(text);
      const got = viaBytes(new TextEncoder().encode(text));
      expectSame(want, got, `delimiter ${JSON.stringify(delim)}`);
      if (typeof want !== 'string') expect(want.table.columns.a!.kind).toBe('categorical');
      // Without the text forms every column is numeric, each value Number() of its text.
      const nums = forms.filter((s) => /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) && !/^[+-]?\d{16,}$/.test(s));
      const t2 = 'a' + delim + 'b\n' + nums.map((s, i) => s + delim + nums[(i + 5) % nums.length]).join('\n') + '\n';
      const g2 = viaBytes(new TextEncoder().encode(t2));
      if (typeof g2 === 'string') expect.fail(g2);
      const a = (g2.table.columns.a as { values: Float64Array }).values;
      const b = (g2.table.columns.b as { values: Float64Array }).values;
      for (let i = 0; i < nums.length; i++) {
        if (!Object.is(a[i], Number(nums[i]))) expect.fail(`${nums[i]}: ${a[i]}`);
        if (!Object.is(b[i], Number(nums[(i + 5) % nums.length]))) expect.fail(`${nums[(i + 5) % nums.length]}: ${b[i]}`);
      }
    }
  });
  it('odd forms decided as Number()/the text rule does', () => {
    for (const s of [
      '0',
      '-0',
      '-0.0e5',
      '+.5',
      '5.',
      '.5e-3',
      '1e',
      '1e+',
      '--1',
      '1-',
      '1.2.3',
      '1,5',
      '0x10',
      '1e400',
      '1e-400',
      '00012',
      '1 2',
      'Inf',
      '-inf',
      'Infinity',
      '12345678901234567890123',
      '9007199254740993',
    ]) {
      const want = viaString(`a\n${s}\n1\n`);
      const got = viaBytes(new TextEncoder().encode(`a\n${s}\n1\n`));
      expectSame(want, got, s);
    }
  });
});

/** A random CSV exercising quoting, line ends, blanks, missing tokens, text turning up late. */
function randomCsv(rng: () => number, rows: number, delim: string): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)]!;
  const cols = 2 + Math.floor(rng() * 5);
  const nl = pick(['\n', '\r\n', '\r\n', '\n', '\r']);
  const cell = (j: number, i: number): string => {
    const r = rng();
    if (j === 0) return String(i);
    if (r < 0.05) return pick(['', 'NA', ' NA ', 'NaN', 'null', 'NULL', '.', 'nan']);
    if (r < 0.1) return `"${pick(['a,b', 'x""y', 'line\nbreak', ' 1.5 ', '', 'Ünïcødé', 'a\r\nb'])}"`;
    if (r < 0.12 && i > rows / 2) return pick(['text', 'b', '€5', '\u00a012', '1 2']);
    if (r < 0.14) return pick(['1,5', '-2,25', '1.234,5', "1'000"]);
    if (r < 0.16) return pick(['Inf', '-Inf', '1e5', '.5', '5.', '+3', ' 7 ', '007']);
    if (r < 0.5) return String(Math.floor(rng() * 100));
    return String((rng() - 0.5) * 10 ** Math.floor(rng() * 6));
  };
  const lines = [Array.from({ length: cols }, (_, j) => (j === 0 ? 'id' : rng() < 0.2 ? `"c ${j}"` : `c${j}`)).join(delim)];
  for (let i = 0; i < rows; i++) {
    if (rng() < 0.02) lines.push('');
    lines.push(Array.from({ length: cols }, (_, j) => cell(j, i)).join(delim));
  }
  return (rng() < 0.1 ? '\ufeff' : '') + lines.join(nl) + (rng() < 0.7 ? nl : '');
}

describe('byte parser equals the string parser', () => {
  it('random files: same table, report and errors; any chunking', () => {
    const rng = mulberry32(21);
    for (let t = 0; t < 300; t++) {
      const delim = [',', ';', '\t', '|'][t % 4]!;
      const text = randomCsv(rng, 5 + Math.floor(rng() * 60), delim);
      const options: CsvOptions = [
        {},
        { decimal: ',' as const },
        { thousands: '.' as const, decimal: ',' as const },
        { thousands: "'" as const },
        { columns: ['id'] },
      ][t % 5]!;
      const want = viaString(text, options);
      const bytes = new TextEncoder().encode(text);
      expectSame(want, viaBytes(bytes, options), `file ${t}`);
      const splits = Array.from({ length: 3 }, () => Math.floor(rng() * bytes.length)).sort((a, b) => a - b);
      expectSame(want, viaBytes(bytes, options, splits), `file ${t} in chunks ${splits}`);
      expectSame(
        want,
        viaBytes(
          bytes,
          options,
          Array.from({ length: bytes.length }, (_, k) => k),
        ),
        `file ${t} byte by byte`,
      );
    }
  });
  it('the corpus cases: same errors', () => {
    for (const text of [
      '',
      't,x,y\n',
      't,x,x,y\n1,1,2,3\n',
      't,x,y\n1,1,3\n0,1\n1,2,4,5\n',
      't,x,y\n1,"1,3\n0,1,2\n',
      ',x\n1,2\n',
      'a\n"x"y"z\n',
      'a,b\n"1"\n',
    ]) {
      expectSame(viaString(text), viaBytes(new TextEncoder().encode(text)), JSON.stringify(text));
    }
    const big = 't,x,y\n1,"' + 'a'.repeat(1_000_001) + '",3\n';
    expect(viaBytes(new TextEncoder().encode(big))).toBe(viaString(big));
    expect(viaBytes(new TextEncoder().encode(big), {}, [500_000])).toBe(viaString(big));
  });
  it('parseCsv takes bytes or text', () => {
    const text = 'id;age;wage\n1;30;1,5\n2;41;2,25\n';
    expect(sameTable(parseCsv(text).table, parseCsv(new TextEncoder().encode(text)).table)).toBe(true);
    expect(Array.from((parseCsv(text).table.columns.wage as { values: Float64Array }).values)).toEqual([1.5, 2.25]);
  });
});

describe('threads: the same table as one thread', () => {
  async function both(text: string, options: CsvOptions = {}) {
    const p = join(dir, `f${Math.random().toString(36).slice(2)}.csv`);
    writeFileSync(p, text);
    const size = Buffer.byteLength(text);
    const one = await readCsvFile(p, size, { ...options, workers: 1 }).catch((e: Error) => e.message);
    const two = await readCsvFile(p, size, { ...options, workers: 2, parallelMinBytes: 0, segmentBytes: 2048 }).catch((e: Error) => e.message);
    return { one, two, ref: viaString(text, options) };
  }
  it('random files (quoted newlines, CRLF, text appearing in a later part) in small segments', async () => {
    const rng = mulberry32(31);
    for (let t = 0; t < 12; t++) {
      const text = randomCsv(rng, 400 + Math.floor(rng() * 400), t % 2 ? ',' : ';').replace(/\r(?!\n)/g, '\n');
      const { one, two, ref } = await both(text);
      expectSame(ref, one, `file ${t} one thread`);
      expectSame(ref, two, `file ${t} two threads`);
      if (typeof two !== 'string') expect(two.report.threads).toBe(2);
    }
  });
  it('a column numeric in the first parts and text later; levels as one parse gives them', async () => {
    const lines = ['id,x,code'];
    for (let i = 0; i < 3000; i++) lines.push(`${i},${i % 7 === 0 ? '1.50' : (i * 0.37).toFixed(3)},${i < 2500 ? String(i % 13) : i % 2 ? 'A1' : '007'}`);
    const { one, two, ref } = await both(lines.join('\n') + '\n');
    expectSame(ref, one, 'one');
    expectSame(ref, two, 'two');
    expect(typeof two !== 'string' && two.table.columns.code!.kind).toBe('categorical');
    expect(typeof two !== 'string' && two.report.threads).toBe(2);
  });
  it('columns sized from the first segment: right when later rows are much shorter or longer', async () => {
    // Long rows first (the estimate is low: the columns grow), then long rows last (it is high:
    // the table is the first n rows of its columns).
    const long = (i: number) => `${i},${'7'.repeat(60)},"${'q'.repeat(80)}",${(i * 0.25).toFixed(2)}`;
    const short = (i: number) => `${i},1,x,${i % 7}`;
    for (const order of ['long first', 'short first'] as const) {
      const out = ['id,a,b,c'];
      for (let i = 0; i < 20_000; i++) out.push(i < 2_000 === (order === 'long first') ? long(i) : short(i));
      const text = `${out.join('\n')}\n`;
      const { one, two, ref } = await both(text);
      expectSame(ref, one, `${order}, one thread`);
      expectSame(ref, two, `${order}, two threads`);
      if (typeof two !== 'string') {
        expect(two.table.nRows).toBe(20_000);
        expect((two.table.columns.c as { values: Float64Array }).values.length).toBe(20_000);
      }
    }
  });

  it('files over 1 MB: right when rows and line ends differ (quoted newlines, blank lines, CR-only ends)', async () => {
    // Quoted newlines and blank lines (fewer rows than line ends), CR-only line ends (more rows
    // than '\n's), a column text only in its last rows, a column text in one middle stretch.
    const rows = (n: number, nl: string, quoted: boolean) => {
      const out = ['id,x,code,late,note'];
      for (let i = 0; i < n; i++) {
        if (i % 997 === 5) out.push('');
        const late = i >= n - 40 ? `L${i % 3}` : (i * 0.731).toFixed(4);
        const code = i > n / 3 && i < n / 3 + 500 ? 'mid' : String(i % 17);
        const note = quoted && i % 101 === 0 ? '"two\nlines, ""q"""' : `n${i % 5}`;
        out.push(`${i},${(i * 1.37e-3).toPrecision(17)},${code},${late},${note}`);
      }
      // '\r': CR-only line ends, with a '\n' every 50th line (where a part can be cut).
      return out.map((l, i) => l + (nl === '\r' && i % 50 === 49 ? '\n' : nl)).join('');
    };
    for (const [nl, quoted] of [
      ['\n', true],
      ['\r', false],
      ['\r\n', true],
      ['\n', false],
    ] as const) {
      const text = rows(26_000, nl, quoted);
      expect(Buffer.byteLength(text)).toBeGreaterThan(1 << 20);
      const { one, two, ref } = await both(text);
      expectSame(ref, one, `one thread, ${JSON.stringify(nl)}`);
      expectSame(ref, two, `two threads, ${JSON.stringify(nl)}`);
      expect(typeof two !== 'string' && two.report.threads).toBe(2);
      const p = join(dir, 'big.csv');
      writeFileSync(p, text);
      const big = await readCsvFile(p, Buffer.byteLength(text), { workers: 2, parallelMinBytes: 0 }).catch((e: Error) => e.message);
      expectSame(ref, big, `two threads, default segments, ${JSON.stringify(nl)}`);
      expect(typeof big !== 'string' && big.report.threads).toBe(2);
      expect(typeof ref !== 'string' && ref.table.columns.late!.kind).toBe('categorical');
    }
  });
  it('over 1 MB with options: chosen columns, semicolons with decimal commas, thousands marks', async () => {
    const out = ['id;x;code;note'];
    for (let i = 0; i < 30_000; i++)
      out.push(`${i};${(i * 0.37).toFixed(2).replace('.', ',')};${i % 9 === 0 ? 'NA' : `k${i % 11}`};${i > 25_000 ? '1.234,5' : String(i % 4)}`);
    const text = out.join('\n') + '\n';
    for (const options of [{}, { columns: ['x', 'note'] }, { decimal: ',' as const, thousands: '.' as const }]) {
      const { one, two, ref } = await both(text, options);
      expectSame(ref, one, `one thread ${JSON.stringify(options)}`);
      expectSame(ref, two, `two threads ${JSON.stringify(options)}`);
      const p = join(dir, 'big2.csv');
      writeFileSync(p, text);
      const big = await readCsvFile(p, Buffer.byteLength(text), { ...options, workers: 2, parallelMinBytes: 0 }).catch((e: Error) => e.message);
      expectSame(ref, big, `two threads, default segments ${JSON.stringify(options)}`);
      expect(typeof big !== 'string' && big.report.threads).toBe(2);
    }
  });
  it('errors are the same, with the same line numbers', async () => {
    const lines = ['a,b'];
    for (let i = 0; i < 2000; i++) lines.push(i === 1500 ? '1,2,3' : `${i},${i}`);
    const { one, two, ref } = await both(lines.join('\n'));
    expect(ref).toMatch(/line 1502: 3 fields/);
    expect(one).toBe(ref);
    expect(two).toBe(ref);
    const unclosed = await both(lines.slice(0, 1000).join('\n') + '\n1,"abc\n');
    expect(unclosed.two).toMatch(/quoted field starting on line 1001 is never closed/);
    expect(unclosed.two).toBe(unclosed.ref);
  });
});

describe('id duplicates', () => {
  it('17-digit ids that differ are not duplicates; real duplicates are named', () => {
    const { table } = parseCsv('id,x\n12345678901234567,1\n12345678901234568,2\n12345678901234569,3\n');
    expect(table.columns.id!.kind).toBe('categorical');
    expect(() => checkIds(table, 'id')).not.toThrow();
    const dup = parseCsv('id,x\n12345678901234567,1\n12345678901234568,2\n12345678901234567,3\n').table;
    expect(() => checkIds(dup, 'id')).toThrow(/1 duplicated ids \("12345678901234567" at line 4\)/);
  });
  it('numeric ids: typed hash, 0 and −0 equal, missing ids reported', () => {
    const ids = new Float64Array(100_000).map((_, i) => i * 7919 + 0.5);
    expect(() => checkIds({ nRows: ids.length, names: ['id'], columns: { id: { kind: 'numeric', values: ids } } }, 'id')).not.toThrow();
    ids[99_999] = ids[5]!;
    expect(() => checkIds({ nRows: ids.length, names: ['id'], columns: { id: { kind: 'numeric', values: ids } } }, 'id')).toThrow(
      /1 duplicated ids \("39595.5"/,
    );
    const z = Float64Array.of(0, -0, 1);
    expect(() => checkIds({ nRows: 3, names: ['id'], columns: { id: { kind: 'numeric', values: z } } }, 'id')).toThrow(/duplicated ids \("0"/);
    const m = Float64Array.of(1, NaN, 2);
    expect(() => checkIds({ nRows: 3, names: ['id'], columns: { id: { kind: 'numeric', values: m } } }, 'id')).toThrow(/1 missing values/);
  });
});

describe('Parquet: row group by row group into typed columns', () => {
  it('numbers, text, missing values and long int64 ids over several row groups', async () => {
    const { parquetWriteFile } = await import('hyparquet-writer');
    const { readTableFile } = await import('../../src/io/readTable.js');
    const n = 2500;
    const p = join(dir, 'groups.parquet');
    parquetWriteFile({
      filename: p,
      rowGroupSize: 1000,
      columnData: [
        { name: 'x', data: Array.from({ length: n }, (_, i) => (i % 11 === 0 ? null : i * 0.25)), type: 'DOUBLE' },
        { name: 'g', data: Array.from({ length: n }, (_, i) => (i % 13 === 0 ? null : ['b', 'a', 'NA', 'c'][i % 4]!)), type: 'STRING' },
        { name: 'numtext', data: Array.from({ length: n }, (_, i) => String(i % 5)), type: 'STRING' },
        { name: 'id', data: Array.from({ length: n }, (_, i) => 12345678901234567n + BigInt(i)), type: 'INT64' },
        { name: 'small', data: Array.from({ length: n }, (_, i) => BigInt(i)), type: 'INT64' },
      ],
    });
    const { table } = await readTableFile(p);
    const x = table.columns.x as { kind: string; values: Float64Array };
    expect(x.kind).toBe('numeric');
    expect(x.values[0]).toBeNaN();
    expect(x.values[2499]).toBe(2499 * 0.25);
    const g = table.columns.g as { kind: string; codes: Int32Array; levels: string[] };
    expect(g.levels).toEqual(['a', 'b', 'c']); // "NA" is missing, as in CSV
    expect(g.levels[g.codes[1]!]).toBe('a');
    expect(g.codes[0]).toBe(-1);
    expect(g.codes[2]).toBe(-1);
    expect(table.columns.numtext!.kind).toBe('numeric');
    const id = table.columns.id as { kind: string; codes: Int32Array; levels: string[] };
    expect(id.kind).toBe('categorical');
    expect(id.levels[id.codes[2000]!]).toBe('12345678901236567');
    expect(() => checkIds(table, 'id')).not.toThrow();
    expect((table.columns.small as { values: Float64Array }).values[1234]).toBe(1234);
  });
});
