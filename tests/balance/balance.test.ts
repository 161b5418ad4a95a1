import { describe, expect, it } from 'vitest';
import { assessBalance } from '../../src/balance/index.js';
import { buildMatchResult } from '../../src/matching/index.js';
import { fromColumns } from '../../src/data/table.js';
import type { MatchResult } from '../../src/contracts.js';
import { loadLalonde, readReference, LALONDE_COVARIATES } from '../helpers/lalonde.js';

const ref = readReference('balance_lalonde.json');
const lalonde = loadLalonde();

/** A MatchResult carrying R's own match weights (pairs are not needed for balance). */
function fromWeights(weights: number[], treatment: Uint8Array, distance: number[]): MatchResult {
  const base = buildMatchResult({
    method: 'r-weights',
    treatment,
    distance: Float64Array.from(distance),
    pairs: { treated: new Int32Array(0), control: new Int32Array(0), weight: new Float64Array(0) },
    discarded: new Uint8Array(treatment.length),
    unmatchedTreated: [],
    settings: { method: 'custom' },
    warnings: [],
  });
  const w = Float64Array.from(weights);
  return { ...base, weights: w, matched: Uint8Array.from(weights, (x) => (x > 0 ? 1 : 0)) };
}

describe('assessBalance against R MatchIt 4.7.2 summary() (tests/reference/r/balance.R)', () => {
  const treatment = Uint8Array.from((lalonde.columns.treat as { values: Float64Array }).values);
  const match = fromWeights(ref.weights, treatment, ref.distance);
  const bal = assessBalance(lalonde, match, [...LALONDE_COVARIATES], { includeDistance: true });
  const name = (s: string) => s.replace(/^race\[(.*)\]$/, 'race$1');

  it('has the same rows in the same order (categoricals expanded to every level)', () => {
    expect(bal.rows.map((r) => name(r.covariate))).toEqual(ref.after.rows);
  });
  for (const phase of ['before', 'after'] as const) {
    it(`${phase}: means, SMD, variance ratio, eCDF mean and max agree to 1e-8`, () => {
      const r = ref[phase];
      bal.rows.forEach((row, k) => {
        const s = phase === 'before' ? 'Before' : 'After';
        expect(row[`meanTreated${s}`]).toBeCloseTo(r.meanTreated[k], 8);
        expect(row[`meanControl${s}`]).toBeCloseTo(r.meanControl[k], 8);
        expect(row[`smd${s}`]).toBeCloseTo(r.smd[k], 8);
        const vr = row[`varianceRatio${s}`];
        if (r.varRatio[k] === null) expect(vr).toBeNull();
        else expect(vr!).toBeCloseTo(r.varRatio[k], 8);
        expect(row[`ecdfMean${s}`]).toBeCloseTo(r.ecdfMean[k], 8);
        expect(row[`ecdfMax${s}`]).toBeCloseTo(r.ecdfMax[k], 8);
      });
    });
  }
  it('flags |SMD| ≥ 0.1 after matching and summarises', () => {
    const flagged = bal.rows.filter((r) => r.covariate !== 'distance' && r.flagged).map((r) => r.covariate);
    expect(flagged).toEqual(['age', 'married']); // SMD after 0.345 and 0.124 in R's summary
    expect(bal.summary.flaggedAfter).toBe(2);
    expect(bal.summary.balanced).toBe(false);
  });
});

describe('assessBalance small cases', () => {
  it('binary: MatchIt standardises by sqrt(p(1-p)) of treated; cobalt column is the raw difference', () => {
    const data = fromColumns({ x: [1, 0, 1, 1, 0, 0], t: [1, 1, 1, 0, 0, 0] });
    const m = buildMatchResult({
      method: 'test',
      treatment: Uint8Array.from([1, 1, 1, 0, 0, 0]),
      distance: null,
      pairs: { treated: Int32Array.from([0, 1, 2]), control: Int32Array.from([3, 4, 5]), weight: Float64Array.from([1, 1, 1]) },
      discarded: new Uint8Array(6),
      unmatchedTreated: [],
      settings: { method: 'custom' },
      warnings: [],
    });
    const row = assessBalance(data, m, ['x']).rows[0]!;
    // treated mean 2/3, control mean 1/3; sd = sqrt(2/3 · 1/3)
    expect(row.smdBefore).toBeCloseTo((2 / 3 - 1 / 3) / Math.sqrt(2 / 9), 12);
    expect(row.cobaltBefore).toBeCloseTo(1 / 3, 12);
    expect(row.varianceRatioBefore).toBeNull();
    expect(row.ecdfMaxBefore).toBeCloseTo(1 / 3, 12);
  });
});

describe('assessBalance against a direct implementation of the definitions (sort-free binaries, one radix sort per column)', () => {
  it('continuous columns with ties, −0/+0, negatives and unequal match weights; binary columns', () => {
    const n = 3000;
    let s = 7;
    const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const t = Uint8Array.from({ length: n }, () => (rnd() < 0.3 ? 1 : 0));
    const cont = Array.from({ length: n }, () => (rnd() < 0.2 ? Math.round(rnd() * 4) - 2 : (rnd() - 0.5) * 1e3));
    cont[5] = -0;
    cont[6] = 0;
    const big = Array.from({ length: n }, () => 1e9 + rnd() * 10);
    const bin = Array.from({ length: n }, () => (rnd() < 0.4 ? 1 : 0));
    const weights = Array.from({ length: n }, (_, i) => (t[i] ? 1 : rnd() < 0.5 ? 0 : Math.ceil(rnd() * 3) / 3));
    const data = fromColumns({ cont, big, bin });
    const match = fromWeights(weights, t, cont);
    const bal = assessBalance(data, match, ['cont', 'big', 'bin']);
    const direct = (v: number[], w: number[]) => {
      const grp = (g: number) => v.map((x, i) => ({ x, w: w[i]! })).filter((u, i) => t[i] === g && u.w > 0);
      const mean = (u: { x: number; w: number }[]) => u.reduce((a, b) => a + b.w * b.x, 0) / u.reduce((a, b) => a + b.w, 0);
      const variance = (u: { x: number; w: number }[]) => {
        const m = mean(u),
          sw = u.reduce((a, b) => a + b.w, 0),
          sw2 = u.reduce((a, b) => a + b.w * b.w, 0);
        return u.reduce((a, b) => a + b.w * (b.x - m) ** 2, 0) / (sw - sw2 / sw);
      };
      const T = grp(1),
        C = grp(0);
      const F = (u: { x: number; w: number }[], x: number) => u.filter((e) => e.x <= x).reduce((a, b) => a + b.w, 0) / u.reduce((a, b) => a + b.w, 0);
      const points = [...new Set(v.map((x) => (x === 0 ? 0 : x)))].sort((a, b) => a - b);
      const diffs = points.map((x) => Math.abs(F(T, x) - F(C, x)));
      return {
        meanT: mean(T),
        meanC: mean(C),
        vr: variance(T) / variance(C),
        ecdfMean: diffs.reduce((a, b) => a + b, 0) / diffs.length,
        ecdfMax: Math.max(...diffs),
      };
    };
    const ones = new Array<number>(n).fill(1);
    for (const [k, v] of [
      [0, cont],
      [1, big],
    ] as const) {
      for (const [phase, w] of [
        ['Before', ones],
        ['After', weights],
      ] as const) {
        const d = direct(v, w);
        const row = bal.rows[k]!;
        expect(row.type).toBe('continuous');
        expect(row[`meanTreated${phase}`]).toBeCloseTo(d.meanT, 6);
        expect(row[`meanControl${phase}`]).toBeCloseTo(d.meanC, 6);
        expect(row[`varianceRatio${phase}`]!).toBeCloseTo(d.vr, 10);
        expect(row[`ecdfMean${phase}`]).toBeCloseTo(d.ecdfMean, 12);
        expect(row[`ecdfMax${phase}`]).toBeCloseTo(d.ecdfMax, 12);
      }
    }
    const b = bal.rows[2]!;
    expect(b.type).toBe('binary');
    const dB = direct(bin, weights);
    expect(b.ecdfMaxAfter).toBeCloseTo(Math.abs(dB.meanT - dB.meanC), 12);
    expect(b.ecdfMeanAfter).toBeCloseTo(Math.abs(dB.meanT - dB.meanC), 12);
  });
});
