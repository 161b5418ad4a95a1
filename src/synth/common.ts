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

/** Fisher–Yates shuffled 0..n−1. */
export function shuffledRange(n: number, rng: Rng): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
