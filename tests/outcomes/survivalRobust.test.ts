import { describe, expect, it } from 'vitest';
import { kaplanMeier, logRankTest, robustSurvivalSe, survivalAt, survivalDifference } from '../../src/outcomes/index.js';
import { buildMatchResult } from '../../src/matching/index.js';
import { readReference } from '../helpers/lalonde.js';

// R 4.2.2, survival 3.5-3: tests/reference/r/survival_robust.R
const ref = readReference('survival_robust.json');
const { time, status, treat } = ref.data as { time: number[]; status: number[]; treat: number[] };
const pairs = ref.pairs as { treated: number[]; control: number[]; weight: number[] };
const times = ref.times as number[];
const nT = treat.filter((x) => x === 1).length;

/** MatchIt's get_matches layout: each treated unit once (its own set), each control once per set it serves. */
function getMatchesRows(group: 0 | 1) {
  const rows: { unit: number; subclass: number; w: number }[] = [];
  if (group === 1) for (let t = 1; t <= nT; t++) rows.push({ unit: t, subclass: t, w: 1 });
  else pairs.control.forEach((c, m) => rows.push({ unit: c, subclass: pairs.treated[m]!, w: pairs.weight[m]! }));
  return {
    time: rows.map((r) => time[r.unit - 1]!),
    event: rows.map((r) => status[r.unit - 1]!),
    w: rows.map((r) => r.w),
    cluster: rows.map((r) => r.subclass),
  };
}

const match = buildMatchResult({
  method: 'test',
  treatment: Uint8Array.from(treat),
  distance: null,
  pairs: {
    treated: Int32Array.from(pairs.treated, (t) => t - 1),
    control: Int32Array.from(pairs.control, (c) => c - 1),
    weight: Float64Array.from(pairs.weight),
  },
  discarded: new Uint8Array(treat.length),
  unmatchedTreated: [],
  settings: { method: 'custom' },
  warnings: [],
});

describe('robust (matched-set cluster) SE of weighted Kaplan–Meier against survfit(robust = TRUE, id = subclass)', () => {
  it('R: with non-integer weights the default survfit SE is the robust one, not Greenwood', () => {
    expect(ref.default_equals_robust).toBe(true);
    expect(ref.default_equals_greenwood).toBe(false);
  });
  for (const [name, g] of [
    ['treated', 1],
    ['control', 0],
  ] as const) {
    it(`${name} curve in the get_matches layout: S(t) and robust SE to 1e-12`, () => {
      const r = getMatchesRows(g);
      const se = robustSurvivalSe(r.time, r.event, r.w, r.cluster, times);
      const km = kaplanMeier(r.time, r.event, r.w);
      times.forEach((t, j) => {
        expect(survivalAt(km, t).survival).toBeCloseTo(ref[name].surv[j], 12);
        expect(Math.abs(se[j]! - ref[name].robust_se[j])).toBeLessThan(1e-12);
        // Greenwood (robust = FALSE) differs: the test can tell the two apart.
        expect(Math.abs(survivalAt(km, t).stdErr - ref[name].greenwood_se[j])).toBeLessThan(1e-12);
      });
    });
  }
  it('survivalDifference on the MatchResult: each curve robust SE and log CI as R, difference SE with the matched-set covariance', () => {
    const d = survivalDifference(time, status, match, { times, bandTimes: times });
    expect(d.se).toBe('robust');
    expect(d.seLabel).toBe('robust (clustered by matched set)');
    times.forEach((t, j) => {
      expect(d.bands.treated[j]!.time).toBe(t);
      expect(d.bands.treated[j]!.survival).toBeCloseTo(ref.treated.surv[j], 12);
      expect(Math.abs(d.bands.treated[j]!.se - ref.treated.robust_se[j])).toBeLessThan(1e-12);
      expect(Math.abs(d.bands.control[j]!.se - ref.control.robust_se[j])).toBeLessThan(1e-12);
      expect(Math.abs(d.bands.control[j]!.lower - ref.control.lower[j])).toBeLessThan(1e-10);
      expect(Math.abs(d.bands.control[j]!.upper - ref.control.upper[j])).toBeLessThan(1e-10);
      expect(Math.abs(d.points[j]!.se! - ref.difference_se[j])).toBeLessThan(1e-12);
      expect(d.points[j]!.difference).toBeCloseTo(ref.treated.surv[j] - ref.control.surv[j], 12);
    });
  });
  it('Greenwood on request, labelled as such; differs from the robust SE', () => {
    const d = survivalDifference(time, status, match, { times, se: 'independent' });
    expect(d.seLabel).toBe('Greenwood (independent groups)');
    expect(d.bandSeLabel).toBe('Greenwood (independent groups)');
    const robust = survivalDifference(time, status, match, { times });
    // Control curve at 12 months: Greenwood with case weights 0.078, robust 0.064 (R, above).
    expect(Math.abs(d.bands.control[1]!.se - robust.bands.control[1]!.se)).toBeGreaterThan(0.01);
  });
});

describe('k-group log-rank test as survdiff', () => {
  const lr = ref.logrank as {
    time: number[];
    event: number[];
    g3: number[];
    g4: string[];
    three: Record<string, number | number[]>;
    four: Record<string, number | number[]>;
  };
  it('three numeric levels: chi-square on 2 df, levels never merged', () => {
    const r = logRankTest(lr.time, lr.event, lr.g3);
    expect(r.df).toBe(2);
    expect(r.groups).toEqual([0, 1, 2]);
    expect(r.chisq).toBeCloseTo(lr.three.chisq as number, 10);
    expect(r.pValue).toBeCloseTo(lr.three.p as number, 10);
    (lr.three.obs as number[]).forEach((o, j) => expect(r.observed[j]).toBe(o));
    (lr.three.exp as number[]).forEach((e, j) => expect(r.expected[j]).toBeCloseTo(e, 10));
  });
  it('four text levels: chi-square on 3 df', () => {
    const r = logRankTest(lr.time, lr.event, lr.g4);
    expect(r.df).toBe(3);
    expect(r.groups).toEqual(['a', 'b', 'c', 'd']);
    expect(r.chisq).toBeCloseTo(lr.four.chisq as number, 10);
  });
  it('merging levels 1 and 2 would give another answer (the old bug)', () => {
    const merged = logRankTest(
      lr.time,
      lr.event,
      lr.g3.map((g) => (g > 0 ? 1 : 0)),
    );
    expect(merged.df).toBe(1);
    expect(Math.abs(merged.chisq - (lr.three.chisq as number))).toBeGreaterThan(0.5);
  });
  it('refuses one group, and units without a group', () => {
    expect(() => logRankTest([1, 2, 3], [1, 0, 1], [1, 1, 1])).toThrow(/at least two groups/);
    expect(() => logRankTest([1, 2, 3], [1, 0, 1], [0, null, 1])).toThrow(/1 unit\(s\) have no group/);
  });
});

describe('the last time, when every unit still at risk has the event', () => {
  it('S is exactly 0 with weights whose running sums do not cancel (0.1 + 0.2 …)', () => {
    const w = [0.1, 0.2, 0.7, 0.3, 0.1, 0.2];
    const km = kaplanMeier([1, 2, 3, 4, 5, 5], [1, 0, 1, 1, 1, 1], w);
    expect(km.survival[km.survival.length - 1]).toBe(0);
    expect(km.nRisk[km.nRisk.length - 1]).toBe(km.nEvent[km.nEvent.length - 1]);
  });
  it('S is exactly 0 with matching weights, and the robust SE is 0 there', () => {
    const t = [1, 2, 3, 3];
    const e = [1, 1, 1, 1];
    const w = [1 / 3, 1 / 3, 1 / 3, 1 / 3];
    const km = kaplanMeier(t, e, w);
    expect(km.survival[2]).toBe(0);
    expect(robustSurvivalSe(t, e, w, null, [3])[0]).toBe(0);
  });
});
