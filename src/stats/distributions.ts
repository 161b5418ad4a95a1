/**
 * Distribution functions used across the library: a thin layer over jstat, plus a normal CDF
 * accurate in the far tails (jstat's erfc loses relative precision below about −5, which
 * matters for probit propensity models; R's `pnorm` is the reference).
 */
import jstatPkg from 'jstat';

const jStat = jstatPkg.jStat ?? jstatPkg;

const INV_SQRT_2PI = 0.3989422804014327;

/** Standard normal density φ(x). */
export function normalPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/**
 * Standard normal CDF Φ(x), as R `pnorm(x)`; relative error below 1e-13 over the whole line.
 * For x < −3 uses Laplace's continued fraction Φ(x) = φ(x) / (|x| + 1/(|x| + 2/(|x| + …)))
 * (evaluated by the modified Lentz method); elsewhere jstat's erfc.
 * @example normalCdf(-1.959963984540054) // 0.025
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x > 3) return 1 - normalCdf(-x);
  if (x >= -3) return 0.5 * jStat.erfc(-x / Math.SQRT2);
  const z = -x;
  // Continued fraction K = z + 1/(z + 2/(z + 3/(z + …))), Lentz.
  const tiny = 1e-300;
  let f = z;
  let c = z;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    d = z + k * d;
    if (d === 0) d = tiny;
    c = z + k / c;
    if (c === 0) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return normalPdf(z) / f;
}

/** Standard normal quantile Φ⁻¹(p), as R `qnorm(p)` (jstat, refined by two Newton steps). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    return NaN;
  }
  let x = jStat.normal.inv(p, 0, 1) as number;
  for (let i = 0; i < 2; i++) {
    const err = normalCdf(x) - p;
    const dens = normalPdf(x);
    if (dens > 0) x -= err / dens;
  }
  return x;
}

/** Two-sided normal p-value for a z statistic. */
export function twoSidedP(z: number): number {
  if (!Number.isFinite(z)) return Number.isNaN(z) ? NaN : 0;
  return 2 * normalCdf(-Math.abs(z));
}

/** Chi-square CDF with `df` degrees of freedom (jstat). */
export function chiSquareCdf(x: number, df: number): number {
  return jStat.chisquare.cdf(x, df);
}

/** Binomial probability mass P(X = k) for X ~ Bin(n, p) (jstat). */
export function binomialPmf(k: number, n: number, p: number): number {
  return jStat.binomial.pdf(k, n, p);
}
