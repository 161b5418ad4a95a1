/**
 * Building blocks shared by the study fixtures' data-generating processes.
 */
import type { Rng } from '../random.js';

export const logistic = (x: number): number => 1 / (1 + Math.exp(-x));
export const logit = (p: number): number => Math.log(p / (1 - p));

/** Root of a monotone function on [lo, hi] by bisection (to 1e-12). */
export function bisect(f: (x: number) => number, lo: number, hi: number): number {
  let flo = f(lo);
  for (let it = 0; it < 200 && hi - lo > 1e-12; it++) {
    const mid = (lo + hi) / 2;
    const fm = f(mid);
    if (fm === 0) return mid;
    if (Math.sign(fm) === Math.sign(flo)) {
      lo = mid;
      flo = fm;
    } else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Draw a category index from shares summing to 1. */
export function drawCategory(rng: Rng, shares: readonly number[]): number {
  let u = rng.next();
  for (let k = 0; k < shares.length - 1; k++) {
    if (u < shares[k]!) return k;
    u -= shares[k]!;
  }
  return shares.length - 1;
}

/**
 * Systematic (unequal-probability) sampling of Bernoulli outcomes: units in the given order,
 * one uniform start v; unit i is a success when the running sum of probabilities crosses an
 * integer. Each unit's success probability is exactly p_i (so the DGP is unchanged), but the
 * number of successes in the group is within 1 of Σ p_i: Monte Carlo noise in group means is
 * removed. Used for treated groups, documented in each fixture.
 */
export function systematicBernoulli(order: readonly number[], p: ArrayLike<number>, rng: Rng): Map<number, number> {
  const v = rng.next();
  let c = v;
  const out = new Map<number, number>();
  for (const i of order) {
    const prev = Math.floor(c);
    c += p[i]!;
    out.set(i, Math.floor(c) - prev);
  }
  return out;
}

/**
 * Given an outcome drawn at probability p (y = 1{u < p}), a uniform u consistent with it:
 * uniform on [0, p) when y = 1 and on [p, 1) otherwise. Marginally u is uniform, so later
 * horizons defined by the same u keep their exact probabilities.
 */
export function uniformGiven(y: number, p: number, rng: Rng): number {
  return y ? rng.next() * p : p + rng.next() * (1 - p);
}

/** Fisher–Yates shuffled 0..n−1. */
export function shuffledRange(n: number, rng: Rng): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
