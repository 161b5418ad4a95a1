import { describe, expect, it } from 'vitest';
import { subclassify, rQuantile7, rSeqLength, type SubclassOptions } from '../../src/matching/subclass.js';
import { fitPropensity } from '../../src/propensity/index.js';
import { CounterfactError } from '../../src/problems.js';
import { LALONDE_COVARIATES, loadLalonde, readReference, weightedDifference } from '../helpers/lalonde.js';

// R 4.2.2, MatchIt 4.7.2 matchit(method = "subclass", estimand = "ATT") on R's glm scores:
// tests/reference/r/cem_subclass.R → cem_subclass.json (q.cut, subclass labels, weights, weighted ATT).
const ref = readReference('cem_subclass.json');
const lalonde = loadLalonde();
const re78 = Float64Array.from((lalonde.columns.re78 as { values: Float64Array }).values);
const treatment = Uint8Array.from((lalonde.columns.treat as { values: Float64Array }).values);
const scores = Float64Array.from(ref.lalonde.ps as number[]);
const linearPredictor = Float64Array.from(ref.lalonde.lp as number[]);

interface RCase {
  subclass: number[];
  weights: number[];
  att: number;
  nsub: number;
  q_cut: number[];
  raw: number[];
  discarded: number[];
}

function expectSameAsR(m: ReturnType<typeof subclassify>, r: RCase, y: Float64Array): void {
  expect(m.subclassCount).toBe(r.nsub);
  expect(Array.from(m.cutpoints)).toEqual(r.q_cut);
  expect(Array.from(m.subclass)).toEqual(r.subclass);
  expect(Array.from(m.discarded)).toEqual(r.discarded);
  let maxDiff = 0;
  r.weights.forEach((w, i) => (maxDiff = Math.max(maxDiff, Math.abs(w - m.weights[i]!))));
  expect(maxDiff).toBeLessThan(1e-12);
  expect(Array.from(m.matched)).toEqual(r.weights.map((w) => (w > 0 ? 1 : 0)));
  expect(Math.abs(weightedDifference(m, y) - r.att)).toBeLessThan(1e-9);
}

const lalondeCases: Record<string, SubclassOptions> = {
  default: {},
  k10: { subclass: 10 },
  k30_min3: { subclass: 30, minN: 3 },
  k30_min0: { subclass: 30, minN: 0 },
  quantiles: { subclass: [0.2, 0.5, 0.8] },
  linear_logit: { subclass: 5, distance: 'linear' },
  discard_both: { subclass: 6, discard: 'both' },
};

describe('subclassify on lalonde = MatchIt 4.7.2 matchit(method = "subclass")', () => {
  for (const [name, options] of Object.entries(lalondeCases)) {
    it(`${name}: cut points, subclasses, weights (1e-12) and weighted ATT as R`, () => {
      const m = subclassify({ scores, treatment, linearPredictor }, options);
      expectSameAsR(m, ref.lalonde.subclass[name] as RCase, re78);
      expect(m.method).toBe('subclass');
      expect(m.pairs.treated.length).toBe(0);
    });
  }

  it('the cases exercise moving units into short subclasses and dropping subclasses', () => {
    const scooted = ref.lalonde.subclass.k30_min3 as RCase;
    const moved = scooted.raw.filter((s, i) => s !== 0 && scooted.subclass[i] !== s).length;
    expect(moved).toBeGreaterThan(0);
    const dropped = ref.lalonde.subclass.k30_min0 as RCase;
    expect(dropped.subclass.filter((s, i) => s === 0 && treatment[i]).length).toBe(23);
    expect(dropped.nsub).toBe(26);
    const m = subclassify({ scores, treatment }, { subclass: 30, minN: 0 });
    expect(m.unmatchedTreated).toHaveLength(23);
    expect(m.counts.unmatchedTreated).toBe(23);
    expect(m.warnings.join(' ')).toMatch(/without controls/);
  });

  it("distance 'logit' (qlogis of the score) gives MatchIt's linear.logit subclasses too", () => {
    const m = subclassify({ scores, treatment }, { subclass: 5, distance: 'logit' });
    expect(Array.from(m.subclass)).toEqual((ref.lalonde.subclass.linear_logit as RCase).subclass);
  });

  it('defaults: 6 subclasses, minN 1, probability scale; settings record them', () => {
    const m = subclassify({ scores, treatment });
    expect(m.subclassCount).toBe(6);
    expect(m.settings).toMatchObject({ method: 'subclass', estimand: 'ATT', subclass: 6, minN: 1, distance: 'probability', discard: 'none' });
    expect(m.counts.matchedTreated).toBe(185);
    let sw = 0;
    for (let i = 0; i < m.nUnits; i++) if (!m.treatment[i]) sw += m.weights[i]!;
    expect(Math.abs(sw - m.counts.matchedControls)).toBeLessThan(1e-9);
  });

  it('end to end from fitPropensity (IRLS as R glm): the same subclasses as MatchIt', () => {
    const fit = fitPropensity(lalonde, { treatment: 'treat', covariates: [...LALONDE_COVARIATES] });
    const r = ref.lalonde.subclass.default as RCase;
    const m = subclassify(fit);
    expect(Array.from(m.subclass)).toEqual(r.subclass);
    expect(Math.abs(weightedDifference(m, re78) - r.att)).toBeLessThan(1e-6);
  });
});

describe('subclassify on a synthetic all-categorical data set (tied scores) = MatchIt 4.7.2', () => {
  const s = ref.synthetic.data;
  const st = Uint8Array.from(s.treat as number[]);
  const sps = Float64Array.from(s.ps as number[]);
  const y = Float64Array.from(s.y as number[]);
  const coarse = Float64Array.from(s.ps_coarse as number[]);
  const cases: Record<string, [Float64Array, SubclassOptions]> = {
    default: [sps, {}],
    k15: [sps, { subclass: 15 }],
    k15_min0: [sps, { subclass: 15, minN: 0 }],
    coarse_k8: [coarse, { subclass: 8 }],
    coarse_k8_min0: [coarse, { subclass: 8, minN: 0 }],
  };
  for (const [name, [sc, options]] of Object.entries(cases)) {
    it(`${name}: as R`, () => {
      expectSameAsR(subclassify({ scores: sc, treatment: st }, options), ref.synthetic.subclass[name] as RCase, y);
    });
  }

  it('tied scores give fewer subclasses than asked, with a warning', () => {
    const m = subclassify({ scores: coarse, treatment: st }, { subclass: 8 });
    expect(m.subclassCount).toBe(7);
    expect(m.warnings.join(' ')).toMatch(/tied values/);
  });
});

describe('R arithmetic helpers (values printed by R 4.2.2 with %.17g)', () => {
  it('rSeqLength is R seq(0, 1, length.out = 7), to the last bit', () => {
    // R: 0 0.16666666666666666 0.33333333333333331 0.5 0.66666666666666663 0.83333333333333326 1
    expect(Array.from(rSeqLength(0, 1, 7))).toEqual([0, 0.16666666666666666, 0.33333333333333331, 0.5, 0.66666666666666663, 0.83333333333333326, 1]);
  });
  it('rQuantile7 is R quantile(type = 7)', () => {
    // R: quantile(c(1, 2, 4, 8), c(0, 0.1, 0.5, 1)) = 1 1.3 3 8
    expect(Array.from(rQuantile7(Float64Array.from([1, 2, 4, 8]), [0, 0.1, 0.5, 1]))).toEqual([1, 1.3, 3, 8]);
    // R: quantile(c(3.1, 0.7, 2.2, 9.5, 4.4), c(1/3, 0.95)) = 2.5 8.4799999999999986
    expect(Array.from(rQuantile7(Float64Array.from([0.7, 2.2, 3.1, 4.4, 9.5]), [1 / 3, 0.95]))).toEqual([2.5, 8.4799999999999986]);
  });
});

describe('subclassify bad inputs: a CounterfactError naming the option and the fix', () => {
  const input = { scores, treatment };
  const cases: [string, SubclassOptions, RegExp, string][] = [
    ['one subclass', { subclass: 1 }, /whole number of subclasses ≥ 2/, 'subclass'],
    ['a fractional number of subclasses', { subclass: 2.5 }, /whole number/, 'subclass'],
    ['probabilities outside [0, 1]', { subclass: [0.5, 1.2] }, /numbers in \[0, 1\]/, 'subclass'],
    ['an empty array', { subclass: [] }, /non-empty array/, 'subclass'],
    ['negative minN', { minN: -1 }, /minN must be a whole number ≥ 0/, 'minN'],
    ['unknown distance', { distance: 'odds' as 'logit' }, /distance must be one of/, 'distance'],
    ['unknown discard', { discard: 'all' as 'both' }, /discard must be one of/, 'discard'],
    ['more subclasses than units can fill', { subclass: 100, minN: 2 }, /lower minN or ask for fewer subclasses/, 'minN'],
  ];
  for (const [what, options, message, column] of cases) {
    it(what, () => {
      let err: unknown;
      try {
        subclassify(input, options);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CounterfactError);
      expect((err as CounterfactError).message).toMatch(message);
      expect((err as CounterfactError).problems[0]!.column).toBe(column);
    });
  }

  it('non-finite scores are named by row', () => {
    const bad = Float64Array.from(scores);
    bad[3] = Number.NaN;
    expect(() => subclassify({ scores: bad, treatment })).toThrow(/rows 4/);
  });
});
