import { describe, expect, it } from 'vitest';
import { eValue, eValueForATT, rosenbaumBinary, rosenbaumFromMatch } from '../../src/sensitivity/index.js';
import { buildMatchResult } from '../../src/matching/index.js';
import { readReference } from '../helpers/lalonde.js';

// R 4.2.2 stats::pbinom: tests/reference/r/sensitivity.R
const ref = readReference('sensitivity.json');

describe('rosenbaumBinary (as rbounds binarysens)', () => {
  for (const c of ref.cases) {
    it(`${c.discordantTreated} vs ${c.discordantControl} discordant pairs`, () => {
      const r = rosenbaumBinary(c, { gammas: c.gammas });
      r.rows.forEach((row, k) => {
        expect(Math.abs(row.pUpper - c.pUpper[k]) / Math.max(c.pUpper[k], 1e-300)).toBeLessThan(1e-9);
        expect(Math.abs(row.pLower - c.pLower[k]) / Math.max(c.pLower[k], 1e-300)).toBeLessThan(1e-9);
      });
    });
  }
  it('reports the Γ at which significance is lost', () => {
    const r = rosenbaumBinary({ discordantTreated: 60, discordantControl: 30 });
    const k = r.rows.findIndex((x) => x.gamma === r.gammaCritical);
    expect(r.rows[k]!.pUpper).toBeGreaterThan(0.05);
    expect(r.rows[k - 1]!.pUpper).toBeLessThanOrEqual(0.05);
  });
  it('needs 1:1 pairs', () => {
    const m = buildMatchResult({
      method: 't',
      treatment: Uint8Array.from([1, 0, 0]),
      distance: null,
      pairs: { treated: Int32Array.from([0, 0]), control: Int32Array.from([1, 2]), weight: Float64Array.from([0.5, 0.5]) },
      discarded: new Uint8Array(3),
      unmatchedTreated: [],
      settings: { method: 'custom' },
      warnings: [],
    });
    expect(() => rosenbaumFromMatch(m, [1, 0, 1])).toThrow(/need 1:1 matched pairs/);
  });
});

describe('E-value (VanderWeele & Ding 2017)', () => {
  it('worked example: RR 3.9 → 7.26; CI 1.8–8.7 → 3.0', () => {
    const e = eValue(3.9, { lower: 1.8, upper: 8.7 });
    expect(e.eValue).toBeCloseTo(7.26, 2);
    expect(e.eValueCi).toBeCloseTo(3.0, 1);
    expect(eValue(0.5).eValue).toBeCloseTo(3.41, 2);
    expect(eValue(1.2, { lower: 0.9, upper: 1.5 }).eValueCi).toBe(1);
  });
  it('for an ATT on a binary outcome', () => {
    const e = eValueForATT({ meanTreated: 0.61, meanControl: 0.48, ciLower: 0.1, ciUpper: 0.16 });
    expect(e.riskRatio).toBeCloseTo(0.61 / 0.48, 12);
    expect(e.eValueCi).toBeCloseTo(eValue((0.48 + 0.1) / 0.48).eValue, 12);
  });
});

describe('simulated confounder (Ichino, Mealli & Nannicini 2008, as sensatt)', async () => {
  const { simulatedConfounder } = await import('../../src/sensitivity/index.js');
  const { fromColumns } = await import('../../src/data/table.js');
  const { createRng } = await import('../../src/random.js');
  const rng = createRng(4);
  const n = 1500;
  const x: number[] = [],
    t: number[] = [],
    y: number[] = [],
    z: number[] = [];
  for (let i = 0; i < n; i++) {
    const xi = rng.normal();
    const ti = rng.bernoulli(1 / (1 + Math.exp(-(-1 + xi))));
    const yi = rng.bernoulli(1 / (1 + Math.exp(-(-0.5 + 0.8 * xi + 0.7 * ti))));
    x.push(xi);
    t.push(ti);
    y.push(yi);
    z.push(rng.bernoulli(0.3));
  }
  const data = fromColumns({ x, t, y, z });
  const spec = { treatment: 't', outcome: 'y', covariates: ['x'], matching: { replace: true } };
  it('a neutral U (same probability in every cell) leaves the ATT about where it was', () => {
    const r = simulatedConfounder(data, spec, { probabilities: { p11: 0.4, p10: 0.4, p01: 0.4, p00: 0.4 } }, { reps: 20, seed: 2 });
    // Re-matching with an irrelevant covariate perturbs the matches; the mean stays within a
    // fraction of the ATT's own SE of the baseline.
    expect(Math.abs(r.att - r.baseline)).toBeLessThan(0.5 * r.se);
    expect(r.selectionOddsRatio).toBeGreaterThan(0.7);
    expect(r.selectionOddsRatio).toBeLessThan(1.4);
  });
  it('a U associated with treatment and outcome moves the ATT down, with large odds ratios', () => {
    const r = simulatedConfounder(data, spec, { probabilities: { p11: 0.9, p10: 0.6, p01: 0.5, p00: 0.1 } }, { reps: 20, seed: 2 });
    expect(r.att).toBeLessThan(r.baseline);
    expect(r.outcomeOddsRatio).toBeGreaterThan(3);
    expect(r.selectionOddsRatio).toBeGreaterThan(1.5);
    const again = simulatedConfounder(data, spec, { probabilities: { p11: 0.9, p10: 0.6, p01: 0.5, p00: 0.1 } }, { reps: 20, seed: 2 });
    expect(again.att).toBe(r.att);
  });
  it('mimics a binary covariate', () => {
    const r = simulatedConfounder(data, spec, { mimic: 'z' }, { reps: 5, seed: 1 });
    expect(r.probabilities.p11).toBeGreaterThan(0.1);
    expect(r.probabilities.p11).toBeLessThan(0.5);
  });
});
