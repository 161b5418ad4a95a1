import { describe, expect, it } from 'vitest';
import { kaplanMeier, logRankTest, medianSurvival, survivalAt, survivalDifference } from '../../src/outcomes/index.js';
import { buildMatchResult } from '../../src/matching/index.js';
import { createRng } from '../../src/random.js';
import { readReference } from '../helpers/lalonde.js';

// R 4.2.2, survival 3.5-3: tests/reference/r/survival.R
const ref = readReference('survival.json');
const { time, event, group, w } = ref.data as { time: number[]; event: number[]; group: number[]; w: number[] };

function expectClose(a: ArrayLike<number>, b: (number | null)[], tol: number) {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) {
    if (b[i] === null || b[i] === undefined) expect(Number.isNaN(a[i]!)).toBe(true);
    else expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(tol);
  }
}

describe('kaplanMeier against R survfit (survival 3.5-3)', () => {
  for (const [name, weights] of [
    ['unweighted', undefined],
    ['weighted', w],
  ] as const) {
    it(`${name}: times, risk sets, events, survival, Greenwood SE, log CI`, () => {
      const r = ref[name];
      const km = kaplanMeier(time, event, weights);
      expectClose(km.times, r.time, 1e-12);
      expectClose(km.nRisk, r.n_risk, 1e-12);
      expectClose(km.nEvent, r.n_event, 1e-12);
      expectClose(km.nCensor, r.n_censor, 1e-12);
      expectClose(km.survival, r.surv, 1e-12);
      expectClose(km.stdErr, r.std_err, 1e-12);
      expectClose(km.lower, r.lower, 1e-10);
      expectClose(km.upper, r.upper, 1e-10);
      r.at.times.forEach((t: number, j: number) => {
        const s = survivalAt(km, t);
        expect(s.survival).toBeCloseTo(r.at.surv[j], 12);
        expect(s.stdErr).toBeCloseTo(r.at.std_err[j], 12);
      });
      expect(medianSurvival(km)).toBe(r.median);
    });
  }
  it('log-rank test equals survdiff', () => {
    const lr = logRankTest(time, event, group);
    expect(lr.chisq).toBeCloseTo(ref.logrank.chisq, 10);
    expect(lr.observed[0]).toBe(ref.logrank.obs[0]);
    expect(lr.expected[1]).toBeCloseTo(ref.logrank.exp[1], 10);
  });
  it('hand-checked: censoring is not failure; flat 0.5 gives the midpoint median', () => {
    const km = kaplanMeier([1, 2, 3, 4], [1, 0, 1, 1]);
    // S(1) = 3/4; censor at 2; S(3) = 3/4 · (1 − 1/2) = 3/8; S(4) = 0
    expect(Array.from(km.survival)).toEqual([0.75, 0.75, 0.375, 0]);
    expect(medianSurvival(kaplanMeier([1, 2, 3, 4], [1, 1, 0, 1]))).toBe(3); // S(2) = 0.5 flat until 4: (2 + 4) / 2
  });
  it('rejects bad input naming the rows', () => {
    expect(() => kaplanMeier([1, -2, 3], [1, 1, 2])).toThrow(/2 unit\(s\) have a missing or negative time.*lines 3, 4/);
  });
});

describe('survivalDifference on a matched sample', () => {
  // Matched sets: treated 0 ↔ control 3, treated 1 ↔ control 4, treated 2 ↔ control 4 (reuse).
  const match = buildMatchResult({
    method: 'test',
    treatment: Uint8Array.from([1, 1, 1, 0, 0, 0]),
    distance: null,
    pairs: { treated: Int32Array.from([0, 1, 2]), control: Int32Array.from([3, 4, 4]), weight: Float64Array.from([1, 1, 1]) },
    discarded: new Uint8Array(6),
    unmatchedTreated: [],
    settings: { method: 'custom' },
    warnings: [],
  });
  const t = [70, 30, 60, 20, 65, 5];
  const e = [0, 1, 0, 1, 0, 1];
  it('uses matching weights for controls and leaves unmatched controls out', () => {
    const d = survivalDifference(t, e, match, { times: [24, 60] });
    // Treated: failure at 30 among 3 → S(24) = 1, S(60) = 2/3. Controls: weights 1 (unit 3) and
    // 2 rescaled to sum 2 → 2/3, 4/3; failure of unit 3 at 20 → S = 1 − (2/3)/2 = 2/3 from 20 on.
    expect(d.points[0]!.survivalTreated).toBe(1);
    expect(d.points[1]!.survivalTreated).toBeCloseTo(2 / 3, 12);
    expect(d.points[0]!.survivalControl).toBeCloseTo(2 / 3, 12);
    expect(d.points[1]!.difference).toBeCloseTo(0, 12);
  });
  it('bootstrap of matched sets is seeded and deterministic', () => {
    const a = survivalDifference(t, e, match, { times: [24, 60], se: 'bootstrap', reps: 50, rng: createRng(9) });
    const b = survivalDifference(t, e, match, { times: [24, 60], se: 'bootstrap', reps: 50, rng: createRng(9) });
    expect(a.points.map((p) => p.se)).toEqual(b.points.map((p) => p.se));
    expect(a.seed).toBe(9);
    expect(a.points[1]!.se).toBeGreaterThan(0);
  });
});

describe('survivalFromDates', async () => {
  const { survivalFromDates } = await import('../../src/outcomes/index.js');
  const { parseDate } = await import('../../src/data/dates.js');
  it('closed firms are events, open or later-closed firms are censored at the censoring date', () => {
    const r = survivalFromDates(
      [parseDate('2010-01-01'), parseDate('2011-01-01'), parseDate('2012-01-01')],
      [parseDate('2012-01-01'), NaN, parseDate('2020-01-01')],
      parseDate('2018-12-31'),
    );
    expect(Array.from(r.event)).toEqual([1, 0, 0]);
    expect(r.time[0]).toBeCloseTo(730 / 30.4375, 10);
    expect(r.time[2]).toBeCloseTo((parseDate('2018-12-31') - parseDate('2012-01-01')) / 30.4375, 10);
    expect(() => survivalFromDates([parseDate('2012-01-01')], [parseDate('2011-01-01')], parseDate('2018-12-31'))).toThrow(/end before the start \(line 2\)/);
  });
});
