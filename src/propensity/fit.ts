/**
 * Propensity score: binary regression of treatment on covariates by maximum likelihood
 * (iteratively reweighted least squares), following R's `glm.fit` step for step — the same
 * starting values (mustart = (y + 0.5) / 2), the same working responses and weights, the same
 * convergence rule |dev − dev_old| / (|dev| + 0.1) < 1e-8 and the same 25-iteration cap — so the
 * fitted values agree with `glm(..., family = binomial)` to about 1e-10.
 */
import type { Coefficient, Link, PropensityFit } from '../contracts.js';
import { buildDesign, resolveTreatment } from '../data/design.js';
import { toTable, type TableInput } from '../data/table.js';
import { badArgument, describeRows } from '../problems.js';
import { normalCdf, normalPdf, normalQuantile } from '../stats/distributions.js';

export interface PropensityOptions {
  /** Treatment column: 0/1, or two labels (see `treatedValue`). */
  readonly treatment: string;
  /** Covariate columns. String columns are categorical automatically. */
  readonly covariates: readonly string[];
  /** Numeric covariates to dummy-code as categorical (first level in sorted order is the reference). */
  readonly categorical?: readonly string[];
  /** 'logit' (default) or 'probit'. */
  readonly link?: Link;
  /** The treated label when the treatment column holds two labels that are not recognisably 0/1. */
  readonly treatedValue?: string | number;
  /** Iteration cap (R's `glm.control(maxit)`; default 25). */
  readonly maxIterations?: number;
  /** Convergence tolerance on the relative deviance change (R's `epsilon`; default 1e-8). */
  readonly tolerance?: number;
  /**
   * Where the X'WX accumulation runs: by default in this thread; `createParallelAccumulator`
   * (Node, `counterfact/node`) spreads the row chunks over worker threads. Results are
   * identical either way: rows are summed in fixed chunks, and chunks in a fixed order.
   */
  readonly accumulator?: Accumulator;
}

/** Rows per chunk of the deterministic X'WX reduction. */
export const IRLS_CHUNK = 65_536;

/**
 * Computes, for each chunk of rows [k·IRLS_CHUNK, (k+1)·IRLS_CHUNK), the partial sums
 * lower-triangle(X'WX) and X'Wz into `partials` (chunk k at offset k·(p·p + p)). The caller sums
 * the chunks in order, so any implementation that computes each chunk with
 * {@link accumulateChunk}'s arithmetic gives bit-identical results.
 */
export interface Accumulator {
  /** Allocate a column the accumulator can read (e.g. on a SharedArrayBuffer). */
  allocate(n: number): Float64Array;
  /** Fill `partials` for all chunks. */
  accumulate(X: readonly Float64Array[], w: Float64Array, z: Float64Array, partials: Float64Array): void;
  /** Release threads or other resources. */
  close?(): void;
}

/**
 * One chunk of the IRLS cross-products: lower triangle of X'WX and X'Wz for rows
 * [start, end), written to out (length p·p + p). Hot loop, hand-written for speed.
 */
export function accumulateChunk(X: readonly Float64Array[], w: Float64Array, z: Float64Array, start: number, end: number, out: Float64Array, outOffset: number): void {
  const p = X.length;
  const pp = p * p;
  for (let k = 0; k < pp + p; k++) out[outOffset + k] = 0;
  const row = new Float64Array(p);
  for (let i = start; i < end; i++) {
    const wi = w[i]!;
    const zi = z[i]!;
    for (let a = 0; a < p; a++) row[a] = X[a]![i]!;
    for (let a = 0; a < p; a++) {
      const wa = wi * row[a]!;
      out[outOffset + pp + a] += wa * zi;
      const base = outOffset + a * p;
      for (let b = 0; b <= a; b++) out[base + b] += wa * row[b]!;
    }
  }
}

/** The default accumulator: every chunk in this thread. */
export const serialAccumulator: Accumulator = {
  allocate: (n) => new Float64Array(n),
  accumulate(X, w, _z, partials) {
    const p = X.length;
    const n = w.length;
    const chunks = Math.ceil(n / IRLS_CHUNK);
    for (let k = 0; k < chunks; k++) accumulateChunk(X, w, _z, k * IRLS_CHUNK, Math.min(n, (k + 1) * IRLS_CHUNK), partials, k * (p * p + p));
  },
};

const DBL_EPS = 2.220446049250313e-16;
const LOGIT_THRESH = 30;
const PROBIT_THRESH = -normalQuantile(DBL_EPS);

interface LinkFns {
  linkfun(mu: number): number;
  linkinv(eta: number): number;
  muEta(eta: number): number;
}

// R's binomial()$linkinv / mu.eta, including their clamping at the extremes.
const LOGIT: LinkFns = {
  linkfun: (mu) => Math.log(mu / (1 - mu)),
  linkinv: (eta) => {
    const t = eta < -LOGIT_THRESH ? DBL_EPS : eta > LOGIT_THRESH ? 1 / DBL_EPS : Math.exp(eta);
    return t / (1 + t);
  },
  muEta: (eta) => {
    if (Math.abs(eta) > LOGIT_THRESH) return DBL_EPS;
    const e = Math.exp(eta);
    return e / ((1 + e) * (1 + e));
  },
};

const PROBIT: LinkFns = {
  linkfun: (mu) => normalQuantile(mu),
  linkinv: (eta) => normalCdf(Math.min(Math.max(eta, -PROBIT_THRESH), PROBIT_THRESH)),
  muEta: (eta) => Math.max(normalPdf(eta), DBL_EPS),
};

function devResid(y: number, mu: number): number {
  return y === 1 ? -2 * Math.log(mu) : -2 * Math.log(1 - mu);
}

/**
 * Fit the propensity score model P(T = 1 | X) by maximum likelihood.
 *
 * Definition: logistic (or probit) regression of the treatment on an intercept and the
 * covariates, categorical covariates dummy-coded against their first level. Reference: R
 * `glm(treat ~ ..., family = binomial(link))`. Collinear design columns are dropped (R reports
 * them as NA) and named in `diagnostics.dropped`; separation (fitted values numerically 0 or 1)
 * is reported in `diagnostics.separation` with the covariates that cause it.
 *
 * Cost: O(iterations × n × p²) time, O(n × p) memory for the design.
 * @throws CounterfactError naming the column and the fix: unknown columns, missing or infinite
 *   covariate values, constant covariates, a treatment that is not 0/1 or has no treated/controls.
 * @example
 * const fit = fitPropensity(lalonde, {
 *   treatment: 'treat',
 *   covariates: ['age', 'educ', 'race', 'married', 'nodegree', 're74', 're75'],
 * });
 * fit.scores[0]; // 0.6387699 (R glm fitted value for NSW1)
 */
export function fitPropensity(data: TableInput, options: PropensityOptions): PropensityFit {
  const table = toTable(data);
  const link = options.link ?? 'logit';
  if (link !== 'logit' && link !== 'probit') {
    badArgument('link', `link must be 'logit' or 'probit', received ${JSON.stringify(link)}`);
  }
  if (!options.covariates || options.covariates.length === 0) {
    badArgument('covariates', 'give at least one covariate for the propensity model');
  }
  if (options.covariates.includes(options.treatment)) {
    badArgument('covariates', `the treatment \`${options.treatment}\` cannot also be a covariate: remove it from the covariates`);
  }
  const maxIt = options.maxIterations ?? 25;
  const epsilon = options.tolerance ?? 1e-8;
  if (!(Number.isInteger(maxIt) && maxIt >= 1)) badArgument('maxIterations', 'maxIterations must be a positive integer');
  if (!(epsilon > 0)) badArgument('tolerance', 'tolerance must be a positive number');

  const y = resolveTreatment(table, options.treatment, options.treatedValue);
  const design = buildDesign(table, options.covariates, { categorical: options.categorical });
  const n = table.nRows;
  const fns = link === 'logit' ? LOGIT : PROBIT;

  // Standardise the design columns (centre and scale) so X'WX is well conditioned; the fit is
  // invariant and coefficients are transformed back at the end.
  const pAll = design.columns.length + 1;
  const means = new Float64Array(pAll);
  const scales = new Float64Array(pAll).fill(1);
  const acc = options.accumulator ?? serialAccumulator;
  const cols: Float64Array[] = [acc.allocate(n).fill(1)];
  for (let j = 0; j < design.columns.length; j++) {
    const v = design.columns[j]!;
    const z = acc.allocate(n);
    const { mean: m, sd } = standardiseInto(v, z);
    means[j + 1] = m;
    scales[j + 1] = sd;
    cols.push(z);
  }

  // Rank: drop columns collinear with earlier ones (pivot-free Cholesky of the scaled X'X,
  // as R's QR with its default tolerance drops later aliased columns).
  const aliased = detectAliased(cols, n);
  const keep: number[] = [];
  for (let j = 0; j < pAll; j++) if (!aliased[j]) keep.push(j);
  const X = keep.map((j) => cols[j]!);
  const p = X.length;

  // glm.fit: start from mustart = (y + 0.5) / 2.
  const eta = new Float64Array(n);
  const mu = new Float64Array(n);
  let devOld = 0;
  for (let i = 0; i < n; i++) {
    const m0 = (y[i]! + 0.5) / 2;
    mu[i] = m0;
    eta[i] = fns.linkfun(m0);
    devOld += devResid(y[i]!, m0);
  }
  let beta: Float64Array = new Float64Array(p);
  let betaOld: Float64Array | null = null;
  let converged = false;
  let iter = 0;
  let dev = devOld;
  const xtwx = new Float64Array(p * p);
  const xtwz = new Float64Array(p);
  let lastXtwx = new Float64Array(p * p);
  const wv = acc.allocate(n);
  const zv = acc.allocate(n);
  const chunks = Math.ceil(n / IRLS_CHUNK);
  const stride = p * p + p;
  const partials = new Float64Array(chunks * stride);
  try {
  for (iter = 1; iter <= maxIt; iter++) {
    // Working weights and responses (glm.fit), then the chunked cross-products.
    for (let i = 0; i < n; i++) {
      const me = fns.muEta(eta[i]!);
      const varmu = mu[i]! * (1 - mu[i]!);
      zv[i] = eta[i]! + (y[i]! - mu[i]!) / me;
      wv[i] = (me * me) / varmu;
    }
    acc.accumulate(X, wv, zv, partials);
    xtwx.fill(0);
    xtwz.fill(0);
    for (let k = 0; k < chunks; k++) {
      const off = k * stride;
      for (let a = 0; a < p; a++) {
        xtwz[a] += partials[off + p * p + a]!;
        for (let b = 0; b <= a; b++) xtwx[a * p + b] += partials[off + a * p + b]!;
      }
    }
    for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) xtwx[b * p + a] = xtwx[a * p + b]!;
    lastXtwx = xtwx.slice();
    const next = solveSpd(xtwx, xtwz, p);
    if (!next) break;
    let newBeta: Float64Array = next;
    // Linear predictor, fitted values, deviance; halve the step while the deviance is not finite.
    for (let halving = 0; ; halving++) {
      dev = 0;
      for (let i = 0; i < n; i++) {
        let e = 0;
        for (let a = 0; a < p; a++) e += X[a]![i]! * newBeta[a]!;
        eta[i] = e;
        const m = fns.linkinv(e);
        mu[i] = m;
        dev += devResid(y[i]!, m);
      }
      if (Number.isFinite(dev) || !betaOld || halving >= 30) break;
      const half = new Float64Array(p);
      for (let a = 0; a < p; a++) half[a] = (newBeta[a]! + beta[a]!) / 2;
      newBeta = half;
    }
    betaOld = beta;
    beta = newBeta;
    if (Math.abs(dev - devOld) / (Math.abs(dev) + 0.1) < epsilon) {
      converged = true;
      break;
    }
    devOld = dev;
  }
  } finally {
    if (options.accumulator === undefined) serialAccumulator.close?.();
  }
  if (iter > maxIt) iter = maxIt;

  // Standard errors from the last weighted cross-product (as summary.glm: dispersion 1).
  const cov = invertSpd(lastXtwx, p);
  const scaledBeta = new Float64Array(pAll).fill(NaN);
  const scaledSe = new Float64Array(pAll).fill(NaN);
  keep.forEach((j, a) => {
    scaledBeta[j] = beta[a]!;
    scaledSe[j] = cov ? Math.sqrt(cov[a * p + a]!) : NaN;
  });
  // Back to the original scale: β_j = β'_j / s_j, intercept β_0 = β'_0 − Σ β'_j m_j / s_j.
  const names = ['(Intercept)', ...design.names];
  const coefficients: Coefficient[] = [];
  let intercept = scaledBeta[0]!;
  for (let j = 1; j < pAll; j++) if (!aliased[j]) intercept -= (scaledBeta[j]! * means[j]!) / scales[j]!;
  // Intercept SE on the original scale needs the covariance of the scaled coefficients.
  let interceptSe = NaN;
  if (cov) {
    const g = new Float64Array(p);
    keep.forEach((j, a) => {
      g[a] = j === 0 ? 1 : -means[j]! / scales[j]!;
    });
    let v = 0;
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) v += g[a]! * cov[a * p + b]! * g[b]!;
    interceptSe = Math.sqrt(v);
  }
  coefficients.push({ name: names[0]!, estimate: intercept, se: interceptSe, aliased: false });
  for (let j = 1; j < pAll; j++) {
    coefficients.push({
      name: names[j]!,
      estimate: aliased[j] ? NaN : scaledBeta[j]! / scales[j]!,
      se: aliased[j] ? NaN : scaledSe[j]! / scales[j]!,
      aliased: aliased[j]!,
    });
  }

  // Null deviance (intercept only).
  let nt = 0;
  for (let i = 0; i < n; i++) nt += y[i]!;
  const pbar = nt / n;
  const nullDeviance = -2 * (nt * Math.log(pbar) + (n - nt) * Math.log(1 - pbar));

  // Diagnostics.
  const warnings: string[] = [];
  const sepEps = 10 * DBL_EPS;
  const sepRows: number[] = [];
  let sepCount = 0;
  for (let i = 0; i < n; i++) {
    if (mu[i]! > 1 - sepEps || mu[i]! < sepEps) {
      sepCount++;
      if (sepRows.length < 5) sepRows.push(i);
    }
  }
  const suspects = separationSuspects(design.names, design.columns, y, coefficients.slice(1));
  const separationDetected = sepCount > 0 || suspects.length > 0;
  if (!converged) {
    warnings.push(
      `the propensity model did not converge in ${maxIt} iterations` +
        (separationDetected ? ' (separation: see below)' : ': raise maxIterations or simplify the model'),
    );
  }
  if (separationDetected) {
    warnings.push(
      `separation in the propensity model: ${sepCount} fitted probabilities are numerically 0 or 1` +
        (sepCount > 0 ? ` (${describeRows(sepRows, sepCount)})` : '') +
        (suspects.length ? `; covariates that perfectly predict treatment: ${suspects.map((s) => `\`${s}\``).join(', ')} — remove them, coarsen them, or match exactly on them` : ''),
    );
  }
  const dropped: { column: string; reason: 'collinear' | 'constant' }[] = [];
  for (let j = 1; j < pAll; j++) {
    if (aliased[j]) {
      dropped.push({ column: names[j]!, reason: 'collinear' });
      warnings.push(`design column \`${names[j]}\` is collinear with earlier covariates and was dropped (R reports its coefficient as NA): remove it or one of the covariates it duplicates`);
    }
  }

  return Object.freeze({
    kind: 'PropensityFit',
    link,
    treatmentColumn: options.treatment,
    covariates: [...options.covariates],
    categorical: [...(options.categorical ?? [])],
    treatment: y,
    scores: mu,
    linearPredictor: eta,
    coefficients,
    converged,
    iterations: iter,
    deviance: dev,
    nullDeviance,
    diagnostics: {
      separation: { detected: separationDetected, rows: sepRows, count: sepCount, suspects },
      dropped,
      warnings,
    },
  });
}

/** Columns linearly dependent on earlier ones (relative pivot below 1e-7 in a Cholesky of X'X). */
function detectAliased(cols: readonly Float64Array[], n: number): boolean[] {
  const p = cols.length;
  const g = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    for (let b = 0; b <= a; b++) {
      let s = 0;
      const ca = cols[a]!;
      const cb = cols[b]!;
      for (let i = 0; i < n; i++) s += ca[i]! * cb[i]!;
      g[a * p + b] = s;
      g[b * p + a] = s;
    }
  }
  const aliased = new Array<boolean>(p).fill(false);
  const L = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    let d = g[j * p + j]!;
    for (let k = 0; k < j; k++) if (!aliased[k]) d -= L[j * p + k]! ** 2;
    if (!(d > 1e-7 * g[j * p + j]!) || g[j * p + j]! === 0) {
      aliased[j] = true;
      continue;
    }
    const ljj = Math.sqrt(d);
    L[j * p + j] = ljj;
    for (let i = j + 1; i < p; i++) {
      let s = g[i * p + j]!;
      for (let k = 0; k < j; k++) if (!aliased[k]) s -= L[i * p + k]! * L[j * p + k]!;
      L[i * p + j] = s / ljj;
    }
  }
  return aliased;
}

/**
 * Write (v − mean) / sd into `out` (sd with n − 1 divisor; 1 for a constant column) and return
 * mean and sd. The propensity fit and the estimated-score adjustment standardise alike.
 */
export function standardiseInto(v: Float64Array, out: Float64Array): { mean: number; sd: number } {
  const n = v.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += v[i]!;
  m /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (v[i]! - m) ** 2;
  const sd = Math.sqrt(ss / Math.max(1, n - 1)) || 1;
  for (let i = 0; i < n; i++) out[i] = (v[i]! - m) / sd;
  return { mean: m, sd };
}

/** Solve A x = b for symmetric positive definite A (p × p, row-major) by Cholesky; null if not SPD. */
export function solveSpd(A: Float64Array, b: Float64Array, p: number): Float64Array | null {
  const L = cholesky(A, p);
  if (!L) return null;
  const z = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * p + k]! * z[k]!;
    z[i] = s / L[i * p + i]!;
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let k = i + 1; k < p; k++) s -= L[k * p + i]! * x[k]!;
    x[i] = s / L[i * p + i]!;
  }
  return x;
}

/** Inverse of a symmetric positive definite matrix (row-major); null if not SPD. */
export function invertSpd(A: Float64Array, p: number): Float64Array | null {
  const inv = new Float64Array(p * p);
  const e = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    e.fill(0);
    e[j] = 1;
    const col = solveSpd(A, e, p);
    if (!col) return null;
    for (let i = 0; i < p; i++) inv[i * p + j] = col[i]!;
  }
  return inv;
}

function cholesky(A: Float64Array, p: number): Float64Array | null {
  const L = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    let d = A[j * p + j]!;
    for (let k = 0; k < j; k++) d -= L[j * p + k]! ** 2;
    if (!(d > 0)) return null;
    const ljj = Math.sqrt(d);
    L[j * p + j] = ljj;
    for (let i = j + 1; i < p; i++) {
      let s = A[i * p + j]!;
      for (let k = 0; k < j; k++) s -= L[i * p + k]! * L[j * p + k]!;
      L[i * p + j] = s / ljj;
    }
  }
  return L;
}

/**
 * Covariates that separate treated from controls on their own: the treated range and the
 * control range do not overlap (or a dummy level occurs in one group only), or the fitted
 * coefficient diverged (|β| large on the standardised scale with |z| < 0.01).
 */
function separationSuspects(
  names: readonly string[],
  columns: readonly Float64Array[],
  y: Uint8Array,
  coefs: readonly Coefficient[],
): string[] {
  const out: string[] = [];
  for (let j = 0; j < columns.length; j++) {
    const v = columns[j]!;
    let minT = Infinity;
    let maxT = -Infinity;
    let minC = Infinity;
    let maxC = -Infinity;
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (y[i]) {
        if (x < minT) minT = x;
        if (x > maxT) maxT = x;
      } else {
        if (x < minC) minC = x;
        if (x > maxC) maxC = x;
      }
    }
    const c = coefs[j];
    const diverged = c && !c.aliased && Number.isFinite(c.se) && Math.abs(c.estimate / c.se) < 0.01 && Math.abs(c.estimate) > 10;
    if (maxT < minC || maxC < minT || diverged) out.push(names[j]!);
  }
  return out;
}
