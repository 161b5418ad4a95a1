import { describe, expect, it } from 'vitest';
import { ecdfColumns } from '../../src/balance/ecdf.js';
import { assessBalance } from '../../src/balance/index.js';
import { buildMatchResult } from '../../src/matching/index.js';
import { fromColumns } from '../../src/data/table.js';
import { prepareParallelEcdf } from '../../src/io/parallelBalance.js';
import { foregroundEnd, foregroundStart } from '../../src/io/foreground.js';

/** A seeded register-like sample: ties, −0/+0, negatives, whole numbers, unequal weights, many zero weights. */
function sample(n: number, seed: number) {
  let s = seed;
  const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const t = Uint8Array.from({ length: n }, () => (rnd() < 0.1 ? 1 : 0));
  const w = Float64Array.from({ length: n }, (_, i) => (t[i] ? (rnd() < 0.95 ? 1 : 0) : rnd() < 0.85 ? 0 : Math.ceil(rnd() * 3) / 3));
  const cont = Float64Array.from({ length: n }, () => (rnd() < 0.2 ? Math.round(rnd() * 40) / 10 - 2 : (rnd() - 0.5) * 1e3));
  cont[5] = -0;
  cont[6] = 0;
  const ints = Float64Array.from({ length: n }, () => Math.floor(rnd() * 60) + 18);
  const normal = Float64Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd()));
  return { t, w, cont, ints, normal };
}

/**
 * The eCDF statistics as the definition walks them: rows sorted by (value, row) with a
 * comparator, cumulative shares summed in that order (before: 1/n per unit; after: w/Σw per unit
 * of positive weight), one evaluation point per distinct value.
 */
function ecdfReference(v: Float64Array, t: Uint8Array, w: Float64Array): number[] {
  const n = v.length;
  let nT = 0,
    swT = 0,
    swC = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[i]! > 0 ? w[i]! : 0;
    if (t[i]) {
      nT++;
      swT += wi;
    } else swC += wi;
  }
  const nC = n - nT;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a]! - v[b]! || a - b);
  let fT0 = 0,
    fC0 = 0,
    fT1 = 0,
    fC1 = 0,
    sum0 = 0,
    max0 = 0,
    sum1 = 0,
    max1 = 0,
    m = 0;
  for (let j = 0; j < n; j++) {
    const i = idx[j]!;
    if (t[i]) {
      fT0 += 1 / nT;
      if (w[i]! > 0) fT1 += w[i]! / swT;
    } else {
      fC0 += 1 / nC;
      if (w[i]! > 0) fC1 += w[i]! / swC;
    }
    if (j + 1 < n && v[idx[j + 1]!] === v[i]) continue;
    const d0 = Math.abs(fT0 - fC0);
    const d1 = Math.abs(fT1 - fC1);
    sum0 += d0;
    sum1 += d1;
    if (d0 > max0) max0 = d0;
    if (d1 > max1) max1 = d1;
    m++;
  }
  return [sum0 / m, max0, sum1 / m, max1];
}

const same = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  for (let k = 0; k < a.length; k++) expect(Object.is(a[k], b[k]), `element ${k}: ${a[k]} vs ${b[k]}`).toBe(true);
};

describe('eCDF statistics: sorted once, ranked, the statistics after matching from the matched rows alone', () => {
  it('give the bits of the definition walked row by row (ties, −0/+0, zero weights); whole numbers, counted, agree to rounding', () => {
    const { t, w, cont, ints, normal } = sample(20_000, 11);
    const got = ecdfColumns([cont, ints, normal], t, w);
    same(got.subarray(0, 4), ecdfReference(cont, t, w));
    // Whole numbers are counted per value, the shares divided once (count / n), not summed 1/n at
    // a time: the same numbers up to rounding.
    const ref = ecdfReference(ints, t, w);
    for (let k = 0; k < 4; k++) expect(got[4 + k]!).toBeCloseTo(ref[k]!, 13);
    same(got.subarray(8, 12), ecdfReference(normal, t, w));
    // Values that agree in their top 42 bits and differ below (the sort leaves those runs to a
    // final step): long runs (a comparison sort) and short runs (insertion), with exact ties.
    let s = 3;
    const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const longRuns = Float64Array.from({ length: t.length }, () => 1e9 + Math.floor(rnd() * 4000) * 1e-3);
    const shortRuns = Float64Array.from({ length: t.length }, (_, i) => -(1e9 + Math.floor(i / 20) + Math.floor(rnd() * 8) * 0.0625));
    const e = ecdfColumns([longRuns, shortRuns], t, w);
    same(e.subarray(0, 4), ecdfReference(longRuns, t, w));
    same(e.subarray(4, 8), ecdfReference(shortRuns, t, w));
  });

  it('prepareParallelEcdf (sorted on a worker before matching) gives the bits of ecdfColumns; other columns and another treatment are computed in full', async () => {
    const n = 250_000;
    const { t, w, cont, ints, normal } = sample(n, 5);
    const expected = ecdfColumns([cont, ints, normal], t, w);
    const prep = prepareParallelEcdf([cont, ints, normal], t);
    try {
      // The worker works while this thread waits (as it would fit and match).
      await new Promise((r) => setTimeout(r, 50));
      same(prep([cont, ints, normal], t, w), expected);
      // Another order, and a column that was not prepared.
      const extra = Float64Array.from(normal, (x) => x * 3 + 1);
      same(prep([extra, normal], t, w), ecdfColumns([extra, normal], t, w));
      // Another treatment (as the ATC's swapped groups): computed in full.
      const t2 = Uint8Array.from(t, (g) => 1 - g);
      same(prep([cont, normal], t2, w), ecdfColumns([cont, normal], t2, w));
    } finally {
      prep.close();
    }
    // After close(): still the same numbers, computed in full.
    same(prep([cont], t, w), ecdfColumns([cont], t, w));
  });

  it('while a foreground pass (the fit) runs, the columns the worker has not taken are done on this thread at balance time: same bits', async () => {
    const n = 220_000;
    const { t, w, cont, normal } = sample(n, 9);
    const other = Float64Array.from(normal, (x) => x * x - 0.5);
    const expected = ecdfColumns([cont, normal, other], t, w);
    foregroundStart();
    let prep: ReturnType<typeof prepareParallelEcdf> | null = null;
    try {
      prep = prepareParallelEcdf([cont, normal, other], t);
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      foregroundEnd();
    }
    try {
      same(prep([cont, normal, other], t, w), expected);
    } finally {
      prep.close();
    }
  });
});

describe('balance group statistics after matching from the rows of positive weight', () => {
  it('are the bits of the sums over all rows (a zero-weight row adds a zero term)', () => {
    const { t, w, cont, normal } = sample(5_000, 3);
    const distance = Float64Array.from(normal, (x) => 1 / (1 + Math.exp(-x)));
    const base = buildMatchResult({
      method: 'r-weights',
      treatment: t,
      distance,
      pairs: { treated: new Int32Array(0), control: new Int32Array(0), weight: new Float64Array(0) },
      discarded: new Uint8Array(t.length),
      unmatchedTreated: [],
      settings: { method: 'custom' },
      warnings: [],
    });
    const match = { ...base, weights: w, matched: Uint8Array.from(w, (x) => (x > 0 ? 1 : 0)) };
    const bal = assessBalance(fromColumns({ cont: Array.from(cont), normal: Array.from(normal) }), match, ['cont', 'normal']);
    for (const [k, v] of [cont, normal].entries()) {
      // Over all rows, branch-free, as the definition: Σ g·w·x in row order, then Σ g·w·(x − x̄)².
      let swT = 0,
        swC = 0,
        sw2T = 0,
        sw2C = 0,
        sT = 0,
        sC = 0;
      for (let i = 0; i < v.length; i++) {
        const g = t[i]!;
        const wi = w[i]! > 0 ? w[i]! : 0;
        swT += g * wi;
        swC += (1 - g) * wi;
        sw2T += g * wi * wi;
        sw2C += (1 - g) * wi * wi;
        sT += g * wi * v[i]!;
        sC += (1 - g) * wi * v[i]!;
      }
      const mT = sT / swT,
        mC = sC / swC;
      let ssT = 0,
        ssC = 0;
      for (let i = 0; i < v.length; i++) {
        const g = t[i]!;
        const wi = w[i]! > 0 ? w[i]! : 0;
        ssT += g * wi * ((v[i]! - mT) * (v[i]! - mT));
        ssC += (1 - g) * wi * ((v[i]! - mC) * (v[i]! - mC));
      }
      const row = bal.rows[k]!;
      expect(Object.is(row.meanTreatedAfter, mT)).toBe(true);
      expect(Object.is(row.meanControlAfter, mC)).toBe(true);
      expect(Object.is(row.varianceRatioAfter, ssT / (swT - sw2T / swT) / (ssC / (swC - sw2C / swC)))).toBe(true);
    }
  });
});
