/**
 * Weighted least squares with HC1 cluster-robust standard errors, as R's
 * `lm(y ~ ..., weights = w)` followed by `sandwich::vcovCL(fit, cluster = g, type = "HC1")`:
 *
 *   β̂ = (X'WX)⁻¹ X'Wy,   V = c (X'WX)⁻¹ [Σ_g u_g u_g'] (X'WX)⁻¹,   u_g = Σ_{i∈g} w_i e_i x_i,
 *   c = G/(G − 1) · (N − 1)/(N − K)
 *
 * with K the rank. With one row per cluster this is vcovHC's HC1. Columns that are (numerically)
 * linear combinations of earlier ones are dropped (src/stats/linalg.ts aliasedColumns), as lm
 * reports them NA; the caller names them.
 */
import { aliasedColumns, invertSpd } from '../stats/linalg.js';

export interface WlsResult {
  /** Coefficients in the column order given; NaN for dropped (aliased) columns. */
  readonly beta: Float64Array;
  /** HC1 cluster-robust SEs (NaN for dropped columns, or all NaN without clusters). */
  readonly se: Float64Array;
  /** false for columns dropped as linear combinations of earlier ones. */
  readonly kept: readonly boolean[];
  readonly rank: number;
  /** Clusters used (0 without clusters). */
  readonly clusters: number;
}

/**
 * Fit y on the columns X (give the intercept as a column of ones) with weights w ≥ 0; rows with
 * w = 0 do not count. `cluster` (one id per row, any integers) asks for the HC1 cluster-robust
 * covariance; null skips it. Scale wide-ranging covariates before calling (the normal
 * equations are formed explicitly). O(N K² + K³).
 */
export function weightedLeastSquares(X: readonly Float64Array[], y: Float64Array, w: Float64Array, cluster: Int32Array | null): WlsResult {
  const p = X.length;
  const n = y.length;
  const A = new Float64Array(p * p);
  const b = new Float64Array(p);
  let N = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[i]!;
    if (!(wi > 0)) continue;
    N++;
    for (let a = 0; a < p; a++) {
      const xa = wi * X[a]![i]!;
      b[a] += xa * y[i]!;
      for (let c = 0; c <= a; c++) A[a * p + c] += xa * X[c]![i]!;
    }
  }
  for (let a = 0; a < p; a++) for (let c = 0; c < a; c++) A[c * p + a] = A[a * p + c]!;
  const kept = aliasedColumns(A, p).map((a) => !a);
  const idx = kept.flatMap((k, j) => (k ? [j] : []));
  const k = idx.length;
  const sub = new Float64Array(k * k);
  for (let r = 0; r < k; r++) for (let c = 0; c < k; c++) sub[r * k + c] = A[idx[r]! * p + idx[c]!]!;
  const bread = invertSpd(sub, k);
  const beta = new Float64Array(p).fill(NaN);
  const se = new Float64Array(p).fill(NaN);
  if (!bread) return { beta, se, kept, rank: 0, clusters: 0 };
  const bk = new Float64Array(k);
  for (let r = 0; r < k; r++) {
    let s = 0;
    for (let c = 0; c < k; c++) s += bread[r * k + c]! * b[idx[c]!]!;
    bk[r] = s;
    beta[idx[r]!] = s;
  }
  if (!cluster) return { beta, se, kept, rank: k, clusters: 0 };
  // Scores per cluster, u_g = Σ w e x over the kept columns.
  const scores = new Map<number, Float64Array>();
  for (let i = 0; i < n; i++) {
    const wi = w[i]!;
    if (!(wi > 0)) continue;
    let fitted = 0;
    for (let r = 0; r < k; r++) fitted += bk[r]! * X[idx[r]!]![i]!;
    const we = wi * (y[i]! - fitted);
    let u = scores.get(cluster[i]!);
    if (!u) scores.set(cluster[i]!, (u = new Float64Array(k)));
    for (let r = 0; r < k; r++) u[r] += we * X[idx[r]!]![i]!;
  }
  const meat = new Float64Array(k * k);
  for (const u of scores.values()) for (let r = 0; r < k; r++) for (let c = 0; c < k; c++) meat[r * k + c] += u[r]! * u[c]!;
  const G = scores.size;
  const adj = (G / (G - 1)) * ((N - 1) / (N - k));
  // diag(bread · meat · bread)
  for (let r = 0; r < k; r++) {
    let v = 0;
    for (let a = 0; a < k; a++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += meat[a * k + c]! * bread[c * k + r]!;
      v += bread[r * k + a]! * s;
    }
    se[idx[r]!] = Math.sqrt(adj * v);
  }
  return { beta, se, kept, rank: k, clusters: G };
}

/** Centre and scale a column (n − 1 divisor) over the rows with w > 0; constant columns are only centred. */
export function scaledColumn(v: Float64Array, w: Float64Array): Float64Array {
  let n = 0,
    m = 0;
  for (let i = 0; i < v.length; i++)
    if (w[i]! > 0) {
      n++;
      m += v[i]!;
    }
  m /= Math.max(1, n);
  let ss = 0;
  for (let i = 0; i < v.length; i++) if (w[i]! > 0) ss += (v[i]! - m) ** 2;
  const sd = Math.sqrt(ss / Math.max(1, n - 1)) || 1;
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = (v[i]! - m) / sd;
  return out;
}
