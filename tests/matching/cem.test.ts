import { describe, expect, it } from 'vitest';
import { matchCEM, type CemOptions } from '../../src/matching/cem.js';
import { fromColumns } from '../../src/data/table.js';
import { CounterfactError } from '../../src/problems.js';
import { LALONDE_COVARIATES, loadLalonde, readReference, weightedDifference } from '../helpers/lalonde.js';

// R 4.2.2, MatchIt 4.7.2 matchit(method = "cem", estimand = "ATT"):
// tests/reference/r/cem_subclass.R → cem_subclass.json (subclass labels, weights, weighted ATT).
const ref = readReference('cem_subclass.json');
const lalonde = loadLalonde();
const re78 = Float64Array.from((lalonde.columns.re78 as { values: Float64Array }).values);

interface RCase {
  subclass: number[];
  weights: number[];
  att: number;
  nsub: number;
}

function expectSameAsR(m: ReturnType<typeof matchCEM>, r: RCase, y: Float64Array): void {
  expect(m.subclassCount).toBe(r.nsub);
  expect(Array.from(m.subclass)).toEqual(r.subclass);
  let maxDiff = 0;
  r.weights.forEach((w, i) => (maxDiff = Math.max(maxDiff, Math.abs(w - m.weights[i]!))));
  expect(maxDiff).toBeLessThan(1e-12);
  expect(Array.from(m.matched)).toEqual(r.weights.map((w) => (w > 0 ? 1 : 0)));
  expect(Math.abs(weightedDifference(m, y) - r.att)).toBeLessThan(1e-9);
}

describe('matchCEM on lalonde = MatchIt 4.7.2 matchit(method = "cem")', () => {
  const base = { treatment: 'treat', covariates: [...LALONDE_COVARIATES] };
  const cases: Record<string, CemOptions> = {
    // Sturges' rule for every numeric covariate (MatchIt's default).
    default: base,
    // MatchIt's help-page example.
    doc_example: {
      treatment: 'treat',
      covariates: ['age', 'race', 'married', 'educ'],
      cutpoints: { educ: 5 },
      grouping: { race: [['white', 'hispan'], ['black']] },
    },
    mixed: {
      ...base,
      cutpoints: { age: 'scott', educ: [8.5, 11.5], re74: 'q4', re75: 3, married: 0, nodegree: 1 },
      grouping: { race: [['hispan', 'white']] },
    },
    all_4: { ...base, cutpoints: 4 },
  };
  for (const [name, options] of Object.entries(cases)) {
    it(`${name}: strata, weights (1e-12) and weighted ATT as R`, () => {
      const r = ref.lalonde.cem[name] as RCase;
      const m = matchCEM(lalonde, options);
      expectSameAsR(m, r, re78);
      expect(m.method).toBe('cem');
      expect(m.pairs.treated.length).toBe(0);
      const wT = r.weights.filter((w, i) => w > 0 && m.treatment[i]).length;
      expect(m.counts.matchedTreated).toBe(wT);
      expect(m.counts.unmatchedTreated).toBe(185 - wT);
      expect(m.unmatchedTreated.every((u) => u.reason === 'no-control-in-stratum')).toBe(true);
    });
  }

  it('the default keeps some strata and drops some treated units (the case is not trivial)', () => {
    const m = matchCEM(lalonde, base);
    expect(m.subclassCount).toBeGreaterThan(5);
    expect(m.counts.matchedTreated).toBeGreaterThan(20);
    expect(m.counts.matchedTreated).toBeLessThan(185);
    expect(m.warnings[0]).toMatch(/no control with the same coarsened covariates/);
    // Sturges: ⌈log2 614 + 1⌉ = 11 bins, so 10 inner boundaries, evenly spaced from min to max.
    expect(m.breaks.age).toHaveLength(10);
    expect(m.settings).toMatchObject({ method: 'cem', estimand: 'ATT', k2k: false, cutpoints: { age: 'sturges' } });
  });

  it('control weights sum to the number of matched controls; treated weights are 1', () => {
    const m = matchCEM(lalonde, cases.mixed!);
    let sw = 0;
    for (let i = 0; i < m.nUnits; i++) {
      if (m.treatment[i] && m.matched[i]) expect(m.weights[i]).toBe(1);
      if (!m.treatment[i]) sw += m.weights[i]!;
    }
    expect(Math.abs(sw - m.counts.matchedControls)).toBeLessThan(1e-9);
  });
});

describe('matchCEM on a synthetic all-categorical data set = MatchIt 4.7.2 matchit(method = "cem")', () => {
  const s = ref.synthetic.data;
  const table = fromColumns({ region: s.region, sector: s.sector, edu: s.edu, sex: s.sex, treat: s.treat, y: s.y });
  const y = Float64Array.from(s.y as number[]);
  const cases: Record<string, CemOptions> = {
    default: { treatment: 'treat', covariates: ['region', 'sector', 'edu', 'sex'] },
    grouped: {
      treatment: 'treat',
      covariates: ['region', 'sector', 'edu', 'sex'],
      grouping: {
        region: [
          ['north', 'east'],
          ['south', 'west', 'centre'],
        ],
        edu: [['none', 'low']],
      },
    },
    three: { treatment: 'treat', covariates: ['region', 'edu', 'sex'] },
  };
  for (const [name, options] of Object.entries(cases)) {
    it(`${name}: strata, weights (1e-12) and weighted ATT as R`, () => {
      expectSameAsR(matchCEM(table, options), ref.synthetic.cem[name] as RCase, y);
    });
  }

  it('a numeric column listed as categorical or with cutpoints 0 matches exactly on its values', () => {
    const t = fromColumns({ treat: [1, 0, 1, 0, 1, 0], k: [1, 1, 2, 2, 3, 4] });
    const a = matchCEM(t, { treatment: 'treat', covariates: ['k'], categorical: ['k'] });
    const b = matchCEM(t, { treatment: 'treat', covariates: ['k'], cutpoints: { k: 0 } });
    expect(Array.from(a.subclass)).toEqual([1, 1, 2, 2, 0, 0]);
    expect(Array.from(b.subclass)).toEqual([1, 1, 2, 2, 0, 0]);
    // Grouping a numeric covariate merges its values (as labels).
    const c = matchCEM(t, { treatment: 'treat', covariates: ['k'], grouping: { k: [[3, 4]] } });
    expect(Array.from(c.subclass)).toEqual([1, 1, 2, 2, 3, 3]);
  });

  it('explicit cutpoints: a value on a boundary goes to the higher bin (as MatchIt)', () => {
    const t = fromColumns({ treat: [1, 0, 1, 0], x: [4.9, 4, 5, 6] });
    const m = matchCEM(t, { treatment: 'treat', covariates: ['x'], cutpoints: { x: [5] } });
    expect(Array.from(m.subclass)).toEqual([1, 1, 2, 2]);
  });

  it('the same input gives the same result', () => {
    const a = matchCEM(table, cases.grouped!);
    const b = matchCEM(table, cases.grouped!);
    expect(Array.from(a.weights)).toEqual(Array.from(b.weights));
  });
});

describe('matchCEM bad inputs: a CounterfactError naming the option and the fix', () => {
  const base = { treatment: 'treat', covariates: [...LALONDE_COVARIATES] };
  const cases: [string, CemOptions, RegExp, string][] = [
    ['cutpoints on a text column', { ...base, cutpoints: { race: 3 } }, /`race` is categorical.*grouping/, 'cutpoints'],
    ['an unknown rule', { ...base, cutpoints: { age: 'fd' as 'sturges' } }, /not a known rule/, 'cutpoints'],
    ['a fractional number of bins', { ...base, cutpoints: { age: 2.5 } }, /whole number of bins/, 'cutpoints'],
    ['non-finite boundaries', { ...base, cutpoints: { age: [20, Number.NaN] } }, /finite numbers/, 'cutpoints'],
    ['cutpoints for a column not matched on', { ...base, cutpoints: { re78: 3 } }, /not in covariates/, 'cutpoints'],
    ['grouping with an unknown level', { ...base, grouping: { race: [['white', 'hispanic']] } }, /"hispanic" not in the data/, 'grouping'],
    ['grouping not a list of lists', { ...base, grouping: { race: ['white'] as unknown as string[][] } }, /list of groups/, 'grouping'],
    ['both cutpoints and grouping', { ...base, cutpoints: { educ: 3 }, grouping: { educ: [[9, 10]] } }, /both cutpoints and grouping/, 'cutpoints'],
    ['no covariates', { treatment: 'treat', covariates: [] }, /non-empty list/, 'covariates'],
    ['the treatment as covariate', { treatment: 'treat', covariates: ['treat', 'age'] }, /cannot also be a covariate/, 'covariates'],
  ];
  for (const [what, options, message, column] of cases) {
    it(what, () => {
      let err: unknown;
      try {
        matchCEM(lalonde, options);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CounterfactError);
      expect((err as CounterfactError).message).toMatch(message);
      expect((err as CounterfactError).problems[0]!.column).toBe(column);
    });
  }

  it('no stratum with both groups: says to coarsen further', () => {
    const t = fromColumns({ treat: [1, 0], g: ['a', 'b'] });
    expect(() => matchCEM(t, { treatment: 'treat', covariates: ['g'] })).toThrow(/coarsen further/);
  });

  it('missing covariate values and unknown columns are named', () => {
    const t = fromColumns({ treat: [1, 0, 1], g: ['a', null, 'a'], x: [1, Number.NaN, 2] });
    expect(() => matchCEM(t, { treatment: 'treat', covariates: ['g'] })).toThrow(/`g` has 1 missing/);
    expect(() => matchCEM(t, { treatment: 'treat', covariates: ['x'] })).toThrow(/`x` has 1 missing/);
    expect(() => matchCEM(t, { treatment: 'treat', covariates: ['nope'] })).toThrow(CounterfactError);
  });
});
