import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/data/csv.js';
import { main } from '../../src/cli/main.js';
import { memoryIO } from '../../src/cli/io.js';
import { CounterfactError } from '../../src/problems.js';

const dir = mkdtempSync(join(tmpdir(), 'counterfact-corpus-'));

/** Run `estimate` on a file with the given text; return exit code and stderr. */
async function estimate(text: string | Buffer, extra: string[] = [], covariates = 'x') {
  const p = join(dir, `f${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(p, text);
  const io = memoryIO();
  const code = await main(
    ['estimate', '--data', p, '--treatment', 't', '--outcome', 'y', '--covariates', covariates, '--se', 'none', '--replace', ...extra],
    io,
  );
  return { code, err: io.stderr, out: io.stdout };
}

const good = 't,x,y\n1,1.5,3\n0,1.2,2\n1,2.5,4\n0,2.1,3\n0,0.5,1\n1,0.9,2\n';

describe('broken inputs: a clear error (exit 2, no stack trace) or correct reading', () => {
  const errors: [string, string | Buffer, RegExp, string[]?][] = [
    ['empty file', '', /the file is empty/],
    ['header only', 't,x,y\n', /has a header \(t, x, y\) but no data rows/],
    ['duplicated column names', 't,x,x,y\n1,1,2,3\n0,1,2,3\n', /column name `x` appears twice in the header \(columns 2 and 3\)/],
    ['ragged rows', 't,x,y\n1,1,3\n0,1\n1,2,4,5\n', /2 row\(s\) have the wrong number of fields \(line 3: 2 fields where the header has 3; line 4: 4 fields/],
    ['unclosed quote', 't,x,y\n1,"1,3\n0,1,2\n', /quoted field starting on line 2 is never closed/],
    ['all treated', 't,x,y\n1,1,3\n1,2,4\n', /no control units/],
    ['no treated', 't,x,y\n0,1,3\n0,2,4\n', /no treated units/],
    ['treatment labels that are not 0/1', 't,x,y\nA,1,3\nB,2,4\nA,3,3\n', /has labels "A" and "B": say which is treated/],
    ['three treatment values', 't,x,y\n0,1,3\n1,2,4\n2,3,3\n', /must be 0\/1 \(or two labels\) but has 3 distinct values/],
    ['infinite covariate', 't,x,y\n1,Inf,3\n0,1,2\n1,2,3\n0,2,2\n', /covariate `x` has 1 infinite values \(line 2\)/],
    ['text in a numeric outcome', 't,x,y\n1,1,a\n0,2,b\n1,3,c\n0,4,d\n', /outcome column `y` must be numeric/],
    ['missing outcome of a matched unit', 't,x,y\n1,1,\n0,1.1,2\n1,2,3\n0,2.2,2\n', /outcome `y` is missing or not finite for 1 matched unit/],
  ];
  for (const [name, text, pattern] of errors) {
    it(name, async () => {
      const r = await estimate(text);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(pattern);
      expect(r.err).not.toMatch(/\n\s+at /);
    });
  }

  it('a field over the size limit (10 MB) is an error, not a hang', () => {
    const big = 't,x,y\n1,"' + 'a'.repeat(10 * 1024 * 1024) + '",3\n';
    expect(() => parseCsv(big)).toThrow(/longer than 1,000,000 characters/);
  });

  it('a covariate that perfectly predicts treatment: warns, names it', async () => {
    const r = await estimate('t,x,z,y\n1,5,1,3\n1,6,2,4\n1,7,3,3\n0,1,1,2\n0,2,2,2\n0,3,3,1\n', [], 'x,z');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/perfectly predict treatment: `x`/);
  });

  it('no overlap at all with a caliper: nothing matched, said plainly', async () => {
    const r = await estimate('t,x,y\n1,5,3\n1,6,4\n0,1,2\n0,2,2\n0,1.5,1\n', ['--caliper', '0.01'], 'x');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no treated unit was matched/);
  });

  it('a single control: matched with replacement, warned without', async () => {
    const withRep = await estimate('t,x,y\n1,5,3\n1,6,4\n0,5.5,2\n');
    expect(withRep.code).toBe(0);
    const io = memoryIO();
    const p = join(dir, 'single.csv');
    writeFileSync(p, 't,x,y\n1,5,3\n1,6,4\n0,5.5,2\n');
    expect(await main(['estimate', '--data', p, '--treatment', 't', '--outcome', 'y', '--covariates', 'x', '--se', 'none', '--json'], io)).toBe(0);
    expect(JSON.parse(io.stdout).counts.unmatchedTreated).toBe(1);
    expect(io.stderr).toMatch(/controls exhausted/);
  });
});

describe('formats read correctly', () => {
  const expectGood = (text: string | Buffer, opts = {}) => {
    const { table } = parseCsv(typeof text === 'string' ? text : text.toString('utf8'), opts);
    expect(table.names).toEqual(['t', 'x', 'y']);
    expect(Array.from((table.columns.x as { values: Float64Array }).values)).toEqual([1.5, 1.2, 2.5, 2.1, 0.5, 0.9]);
  };
  it('BOM', () => expectGood('\ufeff' + good));
  it('CRLF', () => expectGood(good.replace(/\n/g, '\r\n')));
  it('semicolons with decimal commas (Italian exports), detected', () => expectGood(good.replace(/,/g, ';').replace(/(\d)\.(\d)/g, '$1,$2')));
  it('quoted fields with newlines and escaped quotes', () => {
    const { table } = parseCsv('id,note\n1,"a ""quoted""\nline"\n2,plain\n');
    const c = table.columns.note as { codes: Int32Array; levels: readonly string[] };
    expect(c.levels[c.codes[0]!]).toBe('a "quoted"\nline');
  });
  it('thousands separators with an explicit option', () => {
    const { table } = parseCsv('id;wage\n1;1.234,5\n2;12.000,0\n', { decimal: ',', thousands: '.' });
    expect(Array.from((table.columns.wage as { values: Float64Array }).values)).toEqual([1234.5, 12000]);
  });
  it('dates in several formats parse to the same day', async () => {
    const { parseDate } = await import('../../src/data/dates.js');
    expect(new Set(['2016-03-31', '31/03/2016', '31-03-2016', '31.03.2016', '20160331'].map(parseDate)).size).toBe(1);
  });
  it('si/no and TRUE/FALSE treatments', async () => {
    for (const [a, b] of [
      ['si', 'no'],
      ['TRUE', 'FALSE'],
    ]) {
      const r = await estimate(`t,x,y\n${a},1.5,3\n${b},1.2,2\n${a},2.5,4\n${b},2.1,3\n${b},0.5,1\n`);
      expect(r.code).toBe(0);
    }
  });
  it('1,000 columns', () => {
    const header = Array.from({ length: 1000 }, (_, j) => `c${j}`).join(',');
    const row = Array.from({ length: 1000 }, (_, j) => String(j)).join(',');
    const { table } = parseCsv(`${header}\n${row}\n${row}\n`);
    expect(table.names.length).toBe(1000);
    expect((table.columns.c999 as { values: Float64Array }).values[1]).toBe(999);
  });
  it('errors are CounterfactErrors with problem codes', () => {
    try {
      parseCsv('a,a\n1,2\n');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CounterfactError);
      expect((e as CounterfactError).problems[0]!.code).toBe('duplicate_column');
    }
  });
});
