import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { table as aqTable } from 'arquero';
import { columnLabels, fromColumns } from '../../src/data/table.js';
import { matchedData, matchedSets } from '../../src/matching/matchedData.js';
import { matchNearest } from '../../src/matching/index.js';
import { subclassify } from '../../src/matching/subclass.js';
import { fitPropensity } from '../../src/propensity/index.js';
import { weightIPW } from '../../src/weighting/index.js';
import { CounterfactError } from '../../src/problems.js';
import { arqueroToTable, writeMatchedData } from '../../src/io/writeMatched.js';
import { readTableFile } from '../../src/io/readTable.js';
import { LALONDE_COVARIATES, loadLalonde, readReference } from '../helpers/lalonde.js';

// R 4.2.2, MatchIt 4.7.2: tests/reference/r/matched_data.R → matched_data_lalonde.json.
// match_data() after matchit(nearest) and get_matches() after matchit(nearest, replace = TRUE,
// ratio = 2), and match_data() after matchit(method = "subclass"), on lalonde. Matching runs on
// R's glm scores (m$distance) so that the matches are MatchIt's; the pipeline test below uses
// counterfact's own fit.
const ref = readReference('matched_data_lalonde.json');
const lalonde = loadLalonde();
const ids = columnLabels(lalonde.columns.id!) as string[];
const rowOfId = new Map(ids.map((id, i) => [id, i]));
const treatment = Uint8Array.from((lalonde.columns.treat as { values: Float64Array }).values);
const scores = Float64Array.from(ref.distance as number[]);

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/** Partition of rows into sets, as sorted "row,row,…" strings: membership without the numbering. */
function partition(rows: readonly number[], subclass: readonly number[]): string[] {
  const sets = new Map<number, number[]>();
  rows.forEach((r, k) => {
    const s = subclass[k]!;
    if (!sets.has(s)) sets.set(s, []);
    sets.get(s)!.push(r);
  });
  return [...sets.values()].map((v) => v.sort((a, b) => a - b).join(',')).sort();
}

describe('matchedData: MatchIt 4.7.2 match_data() after 1:1 nearest matching on lalonde', () => {
  const m = matchNearest({ scores, treatment });
  const md = matchedData(lalonde, m);
  const r = ref.nearest;

  it('the same columns, rows (data order) and subclass numbers as match_data()', () => {
    expect(md.columnNames()).toEqual(r.columns);
    const rows = Array.from(md.array('id'), (id) => rowOfId.get(id as string)! + 1);
    expect(rows).toHaveLength(370);
    expect(rows).toEqual(r.row);
    expect(Array.from(md.array('subclass') as Float64Array)).toEqual(r.subclass);
  });

  it('weights and distance equal match_data() to 1e-12', () => {
    expect(maxAbsDiff(md.array('weights') as Float64Array, r.weights)).toBeLessThan(1e-12);
    expect(maxAbsDiff(md.array('distance') as Float64Array, r.distance)).toBeLessThan(1e-12);
  });

  it('categorical columns come out as their labels, numbers unchanged', () => {
    const race = md.array('race') as string[];
    const rows = Array.from(md.array('id'), (id) => rowOfId.get(id as string)!);
    const labels = columnLabels(lalonde.columns.race!);
    expect(race).toEqual(rows.map((i) => labels[i]));
    expect(new Set(race)).toEqual(new Set(['black', 'hispan', 'white']));
    const re78 = (lalonde.columns.re78 as { values: Float64Array }).values;
    expect(Array.from(md.array('re78') as Float64Array)).toEqual(rows.map((i) => re78[i]));
  });

  it('the pipeline with counterfact’s own fit gives the same matched sets; distance within the glm tolerance', () => {
    const fit = fitPropensity(lalonde, { treatment: 'treat', covariates: [...LALONDE_COVARIATES] });
    const own = matchedData(lalonde, matchNearest(fit));
    const rows = Array.from(own.array('id'), (id) => rowOfId.get(id as string)! + 1);
    expect(partition(rows, Array.from(own.array('subclass') as Float64Array))).toEqual(partition(r.row, r.subclass));
    // IRLS vs R glm fitted values agree to 1e-8 (tests/propensity); the distance is the fitted score.
    expect(maxAbsDiff(own.array('distance') as Float64Array, r.distance)).toBeLessThan(1e-8);
  });

  it('dropUnmatched: false keeps all 614 units; unmatched ones have weight 0 and no subclass', () => {
    const all = matchedData(lalonde, m, { dropUnmatched: false });
    expect(all.numRows()).toBe(614);
    const w = all.array('weights') as Float64Array;
    const s = all.array('subclass') as (number | null)[];
    expect(Array.isArray(s)).toBe(true);
    for (let i = 0; i < 614; i++) expect(s[i] === null).toBe(w[i] === 0);
    expect(s.filter((x) => x === null)).toHaveLength(614 - 370);
  });

  it('group selects treated or control units (MatchIt group =)', () => {
    const t = matchedData(lalonde, m, { group: 'treated' });
    const c = matchedData(lalonde, m, { group: 'control' });
    expect(t.numRows()).toBe(185);
    expect(c.numRows()).toBe(185);
    expect(new Set(t.array('treat'))).toEqual(new Set([1]));
    expect(new Set(c.array('treat'))).toEqual(new Set([0]));
  });

  it("layout 'matches' without replacement: one row per unit, the same sets as layout 'units'", () => {
    const gm = matchedData(lalonde, m, { layout: 'matches', id: 'row' });
    expect(gm.numRows()).toBe(370);
    const rows = Array.from(gm.array('row') as Float64Array);
    expect(partition(rows, Array.from(gm.array('subclass') as Float64Array))).toEqual(partition(r.row, r.subclass));
  });
});

describe('matchedData: MatchIt 4.7.2 get_matches() after nearest matching with replacement, ratio 2', () => {
  const m = matchNearest({ scores, treatment }, { replace: true, ratio: 2 });
  const r = ref.replace_ratio2;

  it("layout 'matches' reproduces get_matches(id = 'row'): columns, row order, subclass, treat", () => {
    const gm = matchedData(lalonde, m, { layout: 'matches', id: 'row' });
    expect(gm.columnNames()).toEqual(r.columns);
    expect(gm.numRows()).toBe(555);
    // Row for row, including controls at exactly the same distance (lalonde has such ties).
    expect(Array.from(gm.array('row') as Float64Array)).toEqual(r.row);
    expect(Array.from(gm.array('subclass') as Float64Array)).toEqual(r.subclass);
    expect(Array.from(gm.array('treat') as Float64Array)).toEqual(r.treat);
    // A control used by several treated units appears once per set.
    expect(new Set(r.row as number[]).size).toBeLessThan(555);
  });

  it('row weights (treated 1, control 1/number of matches) and distance equal get_matches() to 1e-12', () => {
    const gm = matchedData(lalonde, m, { layout: 'matches', id: 'row' });
    expect(maxAbsDiff(gm.array('weights') as Float64Array, r.weights)).toBeLessThan(1e-12);
    expect(maxAbsDiff(gm.array('distance') as Float64Array, r.distance)).toBeLessThan(1e-12);
  });

  it("layout 'units' is match_data(): one row per unit, MatchIt weights, no subclass", () => {
    const md = matchedData(lalonde, m);
    expect(md.columnNames()).toEqual(r.match_data_columns);
    const rows = Array.from(md.array('id'), (id) => rowOfId.get(id as string)! + 1);
    expect(rows).toEqual(r.match_data_row);
    expect(maxAbsDiff(md.array('weights') as Float64Array, r.match_data_weights)).toBeLessThan(1e-12);
    expect(matchedSets(m).reused).toBe(true);
  });
});

describe('matchedData: MatchIt 4.7.2 match_data() after subclassification (method = "subclass")', () => {
  const m = subclassify({ scores, treatment });
  const r = ref.subclass;

  it('all 614 units with their subclass 1…6, weights and distance as match_data()', () => {
    const md = matchedData(lalonde, m);
    expect(md.columnNames()).toEqual(r.columns);
    const rows = Array.from(md.array('id'), (id) => rowOfId.get(id as string)! + 1);
    expect(rows).toEqual(r.row);
    expect(Array.from(md.array('subclass') as Float64Array)).toEqual(r.subclass);
    expect(maxAbsDiff(md.array('weights') as Float64Array, r.weights)).toBeLessThan(1e-12);
    expect(maxAbsDiff(md.array('distance') as Float64Array, r.distance)).toBeLessThan(1e-12);
  });

  it("layout 'matches' is refused: subclasses are not pairs", () => {
    expect(() => matchedData(lalonde, m, { layout: 'matches', id: 'row' })).toThrow(/subclasses, which layout 'units' gives/);
  });
});

describe('matchedData: refusals name the column or option and the fix', () => {
  const m = matchNearest({ scores, treatment });

  function problem(f: () => unknown) {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(CounterfactError);
      return (e as CounterfactError).problems[0]!;
    }
    throw new Error('expected a CounterfactError');
  }

  it('an output name that is already a column (lalonde has `id`) is refused, with the option to rename it', () => {
    const p = problem(() => matchedData(lalonde, m, { layout: 'matches' }));
    expect(p.column).toBe('id');
    expect(p.message).toMatch(/`id` is already a column of the data/);
    expect(p.message).toMatch(/`id` option/);
    const withW = fromColumns({ weights: Array.from({ length: 614 }, () => 1), treat: Array.from(treatment) });
    const q = problem(() => matchedData(withW, m));
    expect(q.column).toBe('weights');
    expect(q.message).toMatch(/`weights` option \(e\.g\. weights: 'match_weights'\)/);
    expect(matchedData(withW, m, { weights: 'w' }).columnNames()).toEqual(['weights', 'treat', 'distance', 'w', 'subclass']);
  });

  it('two output columns with one name, bad options, a table of another size, matches of a weighting method', () => {
    expect(problem(() => matchedData(lalonde, m, { weights: 'subclass' })).column).toBe('subclass');
    expect(problem(() => matchedData(lalonde, m, { layout: 'pairs' as never })).column).toBe('layout');
    expect(problem(() => matchedData(lalonde, m, { group: 'both' as never })).column).toBe('group');
    expect(problem(() => matchedData(lalonde, m, { distance: '' })).column).toBe('distance');
    expect(problem(() => matchedData(lalonde, m, { layout: 'matches', id: 'row', dropUnmatched: false })).column).toBe('dropUnmatched');
    const small = fromColumns({ x: [1, 2, 3] });
    const p = problem(() => matchedData(small, m));
    expect(p.column).toBe('table');
    expect(p.message).toMatch(/3 rows but the matching was run on 614 units/);
    const fit = fitPropensity(lalonde, { treatment: 'treat', covariates: [...LALONDE_COVARIATES] });
    const ipw = weightIPW(fit);
    expect(problem(() => matchedData(lalonde, ipw, { layout: 'matches', id: 'row' })).column).toBe('layout');
    // Layout 'units' works for weighting: weights, no subclass.
    expect(matchedData(lalonde, ipw).columnNames()).not.toContain('subclass');
  });

  it('missing values come out as null, not NaN', () => {
    const t = fromColumns({ treat: [1, 0, 1, 0], x: [1, null, 3, 4], g: ['a', 'b', null, 'a'] });
    const mm = matchNearest({ scores: Float64Array.from([0.6, 0.5, 0.4, 0.3]), treatment: Uint8Array.from([1, 0, 1, 0]) });
    const md = matchedData(t, mm);
    expect(Array.from(md.array('x'))).toEqual([1, null, 3, 4]);
    expect(Array.from(md.array('g'))).toEqual(['a', 'b', null, 'a']);
    expect(Array.from(md.array('subclass'))).toEqual([1, 1, 2, 2]);
  });
});

describe('writeMatchedData', () => {
  const m = matchNearest({ scores, treatment }, { replace: true, ratio: 2 });
  const gm = matchedData(lalonde, m, { layout: 'matches', id: 'row' });
  const dir = mkdtempSync(join(tmpdir(), 'cf-matched-'));

  it('writes CSV with full-precision numbers and labels; read back it is the same table', async () => {
    const path = join(dir, 'gm.csv');
    await writeMatchedData(path, gm);
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n')[0]).toBe('row,subclass,weights,id,treat,age,educ,race,married,nodegree,re74,re75,re78,distance');
    const { table } = await readTableFile(path);
    expect(table.nRows).toBe(555);
    expect(maxAbsDiff((table.columns.distance as { values: Float64Array }).values, r2().distance)).toBe(0);
    expect(columnLabels(table.columns.race!)).toEqual(Array.from(gm.array('race')));
  });

  it('writes Parquet; read back the columns are equal', async () => {
    const path = join(dir, 'gm.parquet');
    await writeMatchedData(path, gm);
    const { table } = await readTableFile(path);
    expect(table.names).toEqual(gm.columnNames());
    expect(Array.from((table.columns.weights as { values: Float64Array }).values)).toEqual(Array.from(gm.array('weights') as Float64Array));
    expect(columnLabels(table.columns.id!)).toEqual(Array.from(gm.array('id')));
  });

  it('refuses to overwrite unless force: true; same input gives byte-identical files', async () => {
    const path = join(dir, 'once.csv');
    await writeMatchedData(path, gm);
    const first = readFileSync(path);
    await expect(writeMatchedData(path, gm)).rejects.toBeInstanceOf(CounterfactError);
    await expect(writeMatchedData(path, gm)).rejects.toThrow(/already exists: .*force: true/);
    writeFileSync(path, 'scratch');
    await writeMatchedData(path, gm, { force: true });
    expect(readFileSync(path).equals(first)).toBe(true);
  });

  it('refuses other extensions, naming the path', async () => {
    await expect(writeMatchedData(join(dir, 'x.xlsx'), gm)).rejects.toMatchObject({ problems: [{ column: 'path' }] });
  });

  it('text that looks like a number stays text (no re-parsing)', () => {
    const t = arqueroToTable(aqTable({ code: ['007', '12', null], n: [1, null, 3] }));
    expect(t.columns.code).toEqual({ kind: 'categorical', codes: Int32Array.from([0, 1, -1]), levels: ['007', '12'] });
    expect(Array.from((t.columns.n as { values: Float64Array }).values)).toEqual([1, NaN, 3]);
  });
});

function r2() {
  return { distance: Float64Array.from(ref.replace_ratio2.distance as number[]) };
}
