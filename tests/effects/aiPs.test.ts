import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromColumns } from '../../src/data/table.js';
import { estimateATT, estimatePSMatching } from '../../src/effects/index.js';
import { nearestIn, sortGroup } from '../../src/effects/psAdjustment.js';
import { matchNearest } from '../../src/matching/index.js';
import { fitPropensity } from '../../src/propensity/index.js';
import { DESIGNS, runValidity, ESTIMATORS } from '../../src/validity/index.js';
import { CounterfactError } from '../../src/problems.js';
import { LALONDE_COVARIATES, loadLalonde } from '../helpers/lalonde.js';

/** Brute force: all units of the group sorted by |d − v| (row order on equal distance), the first m and every tie with the m-th. */
function bruteNearest(d: Float64Array, t: Uint8Array, group: number, v: number, m: number, self: number): number[] {
  const c: number[] = [];
  for (let i = 0; i < d.length; i++) if (t[i] === group && i !== self) c.push(i);
  c.sort((a, b) => Math.abs(d[a]! - v) - Math.abs(d[b]! - v) || a - b);
  if (c.length <= m) return c;
  const cut = Math.abs(d[c[m - 1]!]! - v);
  return c.filter((i, k) => k < m || Math.abs(d[i]! - v) === cut);
}

describe('nearestIn (neighbour search for the Abadie–Imbens 2016 terms)', () => {
  it('returns the m nearest units of a group plus every tie at the m-th distance, leaving out the unit itself', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ d: fc.integer({ min: 0, max: 12 }), t: fc.integer({ min: 0, max: 1 }) }), { minLength: 2, maxLength: 40 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(),
        (units, m, pick) => {
          const d = Float64Array.from(units, (u) => u.d / 4);
          const t = Uint8Array.from(units, (u) => u.t);
          const self = pick % units.length;
          for (const group of [0, 1] as const) {
            const got = nearestIn(sortGroup(d, t, group), d[self]!, m, true, self).sort((a, b) => a - b);
            const want = bruteNearest(d, t, group, d[self]!, m, self).sort((a, b) => a - b);
            expect(got).toEqual(want);
          }
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });
});

describe("estimateATT se 'ai-ps' (Abadie–Imbens 2016 adjustment for the estimated score)", () => {
  const lalonde = loadLalonde();
  const fit = fitPropensity(lalonde, { treatment: 'treat', covariates: [...LALONDE_COVARIATES] });
  const m = matchNearest(fit, { replace: true });

  it('keeps the estimate, reports the unadjusted AI SE, and labels the method', () => {
    const ai = estimateATT(lalonde, m, { outcome: 're78', se: 'ai', varMatches: 1 });
    const ps = estimateATT(lalonde, m, { outcome: 're78', se: 'ai-ps', varMatches: 1, propensity: fit });
    expect(ps.estimate).toBe(ai.estimate);
    expect(ps.seUnadjusted).toBe(ai.se);
    expect(ps.se).toBeGreaterThan(0);
    expect(ps.se).not.toBe(ai.se);
    expect(ps.method).toMatch(/^ai-ps \(Abadie–Imbens 2016/);
    expect(ps.ciUpper! - ps.ciLower!).toBeCloseTo(2 * 1.959963984540054 * ps.se!, 8);
  });

  it('does not depend on the units of the covariates (the correction is invariant to reparametrising the score model)', () => {
    const cols: Record<string, unknown> = {};
    for (const name of Object.keys(lalonde.columns)) {
      const c = lalonde.columns[name]!;
      cols[name] = c.kind === 'numeric' ? Float64Array.from(c.values) : Array.from({ length: lalonde.nRows }, (_, i) => c.levels[c.codes[i]!]);
    }
    // Earnings in thousands, age in months.
    cols.re74 = Float64Array.from(cols.re74 as Float64Array, (v) => v / 1000);
    cols.re75 = Float64Array.from(cols.re75 as Float64Array, (v) => v / 1000);
    cols.age = Float64Array.from(cols.age as Float64Array, (v) => v * 12);
    const rescaled = fromColumns(cols as never);
    const fit2 = fitPropensity(rescaled, { treatment: 'treat', covariates: [...LALONDE_COVARIATES] });
    const a = estimateATT(lalonde, m, { outcome: 're78', se: 'ai-ps', propensity: fit });
    const b = estimateATT(rescaled, matchNearest(fit2, { replace: true }), { outcome: 're78', se: 'ai-ps', propensity: fit2 });
    expect(b.estimate).toBeCloseTo(a.estimate, 6);
    expect(Math.abs(b.se! - a.se!) / a.se!).toBeLessThan(1e-8);
  });

  it('works with a probit score and with ties', () => {
    const pfit = fitPropensity(lalonde, { treatment: 'treat', covariates: [...LALONDE_COVARIATES], link: 'probit' });
    const e = estimateATT(lalonde, matchNearest(pfit, { replace: true, ties: true }), { outcome: 're78', se: 'ai-ps', propensity: pfit });
    expect(Number.isFinite(e.se!)).toBe(true);
    expect(e.se!).toBeGreaterThan(0);
  });

  it('answers every unsupported use with an error naming the argument and the fix', () => {
    const expectError = (f: () => unknown, column: string, text: RegExp) => {
      try {
        f();
        expect.unreachable('no error');
      } catch (err) {
        expect(err).toBeInstanceOf(CounterfactError);
        expect((err as CounterfactError).problems[0]!.column).toBe(column);
        expect((err as Error).message).toMatch(text);
      }
    };
    expectError(() => estimateATT(lalonde, m, { outcome: 're78', se: 'ai-ps' }), 'propensity', /pass \{ propensity: fit \}/);
    expectError(
      () => estimateATT(lalonde, matchNearest(fit), { outcome: 're78', se: 'ai-ps', propensity: fit }),
      'se',
      /--se ai-ps needs --replace.*or use --se ai/,
    );
    expectError(
      () => estimateATT(lalonde, matchNearest(fit, { replace: true, caliper: 0.01 }), { outcome: 're78', se: 'ai-ps', propensity: fit }),
      'se',
      /every treated unit matched/,
    );
    expectError(
      () => estimateATT(lalonde, matchNearest(fit, { replace: true, exact: ['married'], data: lalonde }), { outcome: 're78', se: 'ai-ps', propensity: fit }),
      'se',
      /exact strata/,
    );
    expectError(() => estimateATT(lalonde, m, { outcome: 're78', se: 'ai-ps', propensity: fit, psNeighbours: 1 }), 'psNeighbours', /≥ 2/);
    expectError(() => estimateATT(lalonde, m, { outcome: 're78', se: 'bogus' as never }), 'se', /'ai-ps'/);
  });

  it("covers the population ATT at 93.5–96.5% in the good-overlap Monte Carlo design (500 replications, seed 2026; plain 'ai' over-covers)", () => {
    const design = DESIGNS.find((d) => d.name === 'good overlap, constant effect')!;
    const estimators = ESTIMATORS.filter((e) => e.estimator === 'nearest 1:1 with replacement (MatchIt)' && /^ai(-ps)? \(J = 1/.test(e.se));
    const rows = runValidity({ reps: 500, seed: 2026, designs: [design], estimators });
    const row = (se: string) => rows.find((r) => r.estimator === 'nearest 1:1 with replacement (MatchIt)' && r.se.startsWith(se))!;
    const adjusted = row('ai-ps (J = 1');
    expect(adjusted.coverage).toBeGreaterThanOrEqual(0.935);
    expect(adjusted.coverage).toBeLessThanOrEqual(0.965);
    expect(row('ai (J = 1').coverage).toBeGreaterThan(0.965);
    // The adjusted SE tracks the spread of the estimates more closely than the unadjusted one.
    expect(Math.abs(adjusted.meanSe - adjusted.sdEstimate)).toBeLessThan(Math.abs(row('ai (J = 1').meanSe - adjusted.sdEstimate));
  });
});

describe('estimatePSMatching (Stata teffects psmatch definitions)', () => {
  const lalonde = loadLalonde();
  const fit = fitPropensity(lalonde, { treatment: 'treat', covariates: [...LALONDE_COVARIATES] });
  it('ATT with ties equals estimateATT on matchNearest with exact ties', () => {
    const a = estimatePSMatching(lalonde, fit, { outcome: 're78' });
    const b = estimateATT(lalonde, matchNearest(fit, { replace: true, ties: true, tieTolerance: 0 }), { outcome: 're78', se: 'none' });
    expect(a.estimate).toBeCloseTo(b.estimate, 8);
    expect(a.se).toBeGreaterThan(0);
    expect(a.seUnadjusted).toBeGreaterThan(0);
  });
  it('rejects bad options by name', () => {
    expect(() => estimatePSMatching(lalonde, fit, { outcome: 're78', varNeighbours: 1 })).toThrow(/varNeighbours/);
    expect(() => estimatePSMatching(lalonde, fit, { outcome: 're78', estimand: 'ATC' as never })).toThrow(/estimand/);
  });
});
