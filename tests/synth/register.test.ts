import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateRegister } from '../../src/synth/index.js';
import { evaluate } from '../../src/evaluate.js';
import { main } from '../../src/cli/main.js';
import { memoryIO } from '../../src/cli/io.js';
import { readTableFile } from '../../src/io/readTable.js';

describe('synthetic registers', () => {
  const reg = generateRegister({ rows: 50_000, covariates: 12, seed: 8, spellsPerPerson: 2 });
  it('has the asked shape, a solved true ATT and a biased naive difference', () => {
    expect(reg.table.nRows).toBe(50_000);
    expect(reg.truth.covariates.length).toBe(12);
    expect(reg.truth.att).toBeCloseTo(0.08, 6);
    expect(reg.truth.treated / 50_000).toBeGreaterThan(0.08);
    expect(reg.truth.treated / 50_000).toBeLessThan(0.12);
    expect(reg.spells!.nRows).toBe(100_000);
    const e = evaluate(reg.table, { treatment: 'treat', outcome: 'outcome', covariates: reg.truth.covariates, matching: { replace: true, ratio: 3 } });
    expect(Math.abs(e.effect.naive - reg.truth.att)).toBeGreaterThan(0.05);
    expect(Math.abs(e.effect.estimate - reg.truth.att)).toBeLessThan(3 * e.effect.se!);
  });
  it('counterfact synth writes byte-identical files for a seed, and they read back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'counterfact-synth-'));
    for (const name of ['a', 'b']) {
      const io = memoryIO();
      expect(await main(['synth', '--rows', '2000', '--covariates', '8', '--spells', '1', '--seed', '5', '--out', join(dir, `${name}.csv`)], io)).toBe(0);
    }
    expect(readFileSync(join(dir, 'a.csv')).equals(readFileSync(join(dir, 'b.csv')))).toBe(true);
    expect(readFileSync(join(dir, 'a.spells.csv')).equals(readFileSync(join(dir, 'b.spells.csv')))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'a.truth.json'), 'utf8')).att).toBeCloseTo(0.08, 6);
    const { table } = await readTableFile(join(dir, 'a.csv'));
    expect(table.nRows).toBe(2000);
    const io = memoryIO();
    expect(await main(['synth', '--rows', '100', '--out', join(dir, 'x.xlsx')], io)).toBe(2);
    expect(io.stderr).toMatch(/--out must end in .csv, .arrow or .parquet/);
  });
  it('CSV, Arrow and Parquet round trips give the same table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'counterfact-formats-'));
    const small = generateRegister({ rows: 500, covariates: 6, seed: 2 });
    const io = memoryIO();
    const { writeTableFile } = await import('../../src/io/write.js');
    for (const ext of ['csv', 'arrow', 'parquet']) await writeTableFile(small.table, join(dir, `r.${ext}`));
    const [a, b, c] = await Promise.all(['csv', 'arrow', 'parquet'].map((ext) => readTableFile(join(dir, `r.${ext}`))));
    for (const t of [b!.table, c!.table]) {
      expect(t.names).toEqual(a!.table.names);
      for (const name of a!.table.names) expect(t.columns[name]).toEqual(a!.table.columns[name]);
    }
    void io;
  });
});
