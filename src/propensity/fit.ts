/**
 * Propensity score: binary regression of treatment on covariates by maximum likelihood
 * (iteratively reweighted least squares), following R's `glm.fit` step for step — the same
 * starting values (mustart = (y + 0.5) / 2), the same working responses and weights, the same
 * convergence rule |dev − dev_old| / (|dev| + 0.1) < 1e-8 and the same 25-iteration cap — so the
 * fitted values agree with `glm(..., family = binomial)` to about 1e-10. With many rows the
 * iterations start from a fit on a seeded subsample (as glm's `start`; see `warmStartRows`).
 */
import type { Coefficient, Link, PropensityFit } from '../contracts.js';
import { buildDesign, resolveTreatment } from '../data/design.js';
import { toTable, type TableInput } from '../data/table.js';
import { badArgument, describeRows } from '../problems.js';
import { normalCdf, normalPdf, normalQuantile } from '../stats/distributions.js';
import { wasmCrossprod } from '../stats/wasm/crossprodWasm.js';
import { aliasedColumns, crossprodChunk, invertSpd, packedIndex, packedLength, solveSpd, unpackSymmetric } from '../stats/linalg.js';
import { createRng } from '../random.js';

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
  /**
   * Warm start (default 0 = off; e.g. 50,000): with at least 4 × this many rows, the model is first
   * fitted on a seeded random subsample of this many rows, and glm's iterations on all rows
   * start from that fit (as `glm(..., start = )`), so only two or three passes over all rows
   * are needed. The optimum and the convergence rule are glm's; `iterations` counts the
   * full-data iterations and `warmStart` reports the subsample. If either stage does not
   * converge, the fit restarts from glm's usual starting values.
   */
  readonly warmStartRows?: number;
}

/** Rows per chunk of the deterministic cross-product reduction. */
export const IRLS_CHUNK = 65_536;

/**
 * Computes the weighted cross-products of the fit chunk by chunk: for each chunk of rows
 * [k·IRLS_CHUNK, (k+1)·IRLS_CHUNK), {@link crossprodChunk}`(columns, center, scale, w, …)` —
 * the packed upper triangle of Σ w·c·cᵀ over the chunk with c the standardised columns
 * (q = columns.length; a null column is the intercept; `w` null for unit weights) — into
 * `partials` at offset k·q(q + 1)/2. The caller sums the chunks in order, so any implementation
 * that computes each chunk with `crossprodChunk` gives bit-identical results.
 */
export interface Accumulator {
  /** Allocate a column of zeros the accumulator can read (e.g. on a SharedArrayBuffer). */
  allocate(n: number): Float64Array;
  /**
   * A column the accumulator can read with the values of `column`: the column itself when it
   * can already be read (default), else a copy made with `allocate`.
   */
  share?(column: Float64Array): Float64Array;
  /** Fill `partials` for all chunks. */
  accumulate(columns: readonly (Float64Array | null)[], center: Float64Array, scale: Float64Array, w: Float64Array | null, partials: Float64Array): void;
  /** Release threads or other resources. */
  close?(): void;
  /**
   * Optional: run {@link logitUpdateChunk} over all rows (on threads), writing η, μ and the next
   * working weights and responses into the given arrays (allocated with `allocate`). Element by
   * element, so the bits are those of the one-thread loop.
   */
  logitUpdate?(
    columns: readonly (Float64Array | null)[],
    center: Float64Array,
    scale: Float64Array,
    beta: Float64Array,
    y: Uint8Array,
    out: { eta: Float64Array; mu: Float64Array; w: Float64Array; z: Float64Array },
  ): void;
  /**
   * Optional: {@link standardisationAndRanges} for every column (on threads, a column per task:
   * each column's sums run over its rows in order, so the bits are those of this thread's loop).
   * `out[2j]`, `out[2j + 1]` = mean and sd of column j; `ranges` as that function writes them.
   * Columns as `share` gives them.
   */
  columnStats?(columns: readonly Float64Array[], y: Uint8Array, out: Float64Array, ranges: Float64Array): void;
}

/** The default accumulator: every chunk in this thread. */
export const serialAccumulator: Accumulator = {
  allocate: (n) => new Float64Array(n),
  accumulate(columns, center, scale, w, partials) {
    const n = rowsOf(columns);
    const stride = packedLength(columns.length);
    const chunks = Math.ceil(n / IRLS_CHUNK);
    // The WebAssembly SIMD kernel where available: the same bits as crossprodChunk, faster.
    const kernel = wasmCrossprod() ?? crossprodChunk;
    for (let k = 0; k < chunks; k++) {
      kernel(columns, center, scale, w, k * IRLS_CHUNK, Math.min(n, (k + 1) * IRLS_CHUNK), partials, k * stride);
    }
  },
};

/** Number of rows of a column set (the first non-null column). */
export function rowsOf(columns: readonly (Float64Array | null)[]): number {
  for (const c of columns) if (c) return c.length;
  throw new Error('rowsOf: no data column');
}

/** Σ w·c·cᵀ (packed upper triangle) over all rows: chunks by `acc`, summed in chunk order. */
function crossprod(
  acc: Accumulator,
  columns: readonly (Float64Array | null)[],
  center: Float64Array,
  scale: Float64Array,
  w: Float64Array | null,
  n: number,
): Float64Array {
  const stride = packedLength(columns.length);
  const chunks = Math.ceil(n / IRLS_CHUNK);
  const partials = new Float64Array(chunks * stride);
  acc.accumulate(columns, center, scale, w, partials);
  const total = new Float64Array(stride);
  for (let k = 0; k < chunks; k++) {
    const off = k * stride;
    for (let j = 0; j < stride; j++) total[j] += partials[off + j]!;
  }
  return total;
}

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
 * One IRLS row update for the logit link over rows [start, end): η = Xβ (standardised columns,
 * summed in column order per row, as `linearPredictor`), μ = linkinv(η), and the next working
 * weight w = μ.η² / (μ(1 − μ)) and response z = η + (y − μ) / μ.η — the same expressions as the
 * one-thread code (R's binomial() clamps included), so any thread gives the same bits; the
 * caller sums the deviance from μ in row order. Its only outer reference is
 * {@link linearPredictorRange} (constants inline): the worker-thread accumulator ships the
 * source of both.
 */
export function logitUpdateChunk(
  cols: readonly (Float64Array | null)[],
  center: Float64Array,
  scale: Float64Array,
  beta: Float64Array,
  y: Uint8Array,
  eta: Float64Array,
  mu: Float64Array,
  wv: Float64Array,
  zv: Float64Array,
  start: number,
  end: number,
): void {
  const EPS = 2.220446049250313e-16;
  const TH = 30;
  const B = 2048;
  for (let s = start; s < end; s += B) {
    const e = Math.min(end, s + B);
    linearPredictorRange(cols, center, scale, beta, eta, s, e);
    for (let i = s; i < e; i++) {
      const et = eta[i]!;
      // One exp per row: within ±TH the clamped t is exp(η) itself, which the derivative uses too.
      const t = et < -TH ? EPS : et > TH ? 1 / EPS : Math.exp(et);
      const m = t / (1 + t);
      mu[i] = m;
      const yi = y[i]!;
      const me = Math.abs(et) > TH ? EPS : t / ((1 + t) * (1 + t));
      const varmu = m * (1 - m);
      zv[i] = et + (yi - m) / me;
      wv[i] = (me * me) / varmu;
    }
  }
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
 * Cost: O((2 + iterations) × n × p²/2) multiply-adds (X'X, then X'WX per iteration), O(n × p)
 * memory for the design (read in place, standardised on the fly).
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
  const warmRows = options.warmStartRows ?? DEFAULT_WARM_START_ROWS;
  if (!(Number.isInteger(warmRows) && warmRows >= 0)) {
    badArgument('warmStartRows', `warmStartRows must be a whole number ≥ 0 (0 turns the warm start off), received ${warmRows}`);
  }

  const y = resolveTreatment(table, options.treatment, options.treatedValue);
  const acc = options.accumulator ?? serialAccumulator;
  // Dummy columns go straight into memory the accumulator reads (no copy by `share` below).
  const allocate = acc.share ? (m: number) => acc.allocate(m) : undefined;
  const design = buildDesign(table, options.covariates, { categorical: options.categorical, allocate });
  const n = table.nRows;
  const fns = link === 'logit' ? LOGIT : PROBIT;

  // Standardise the design columns (centre and scale) so X'WX is well conditioned; the fit is
  // invariant and coefficients are transformed back at the end.
  const pAll = design.columns.length + 1;
  const means = new Float64Array(pAll);
  const scales = new Float64Array(pAll).fill(1);
  // The columns are standardised on the fly where they are read (no copy of the design);
  // column 0 (null) is the intercept.
  const cols: (Float64Array | null)[] = [null];
  // Per column: min and max among the treated, then among the controls (for the separation check).
  const ranges = new Float64Array(4 * design.columns.length);
  const shared = design.columns.map((v) => (acc.share ? acc.share(v) : v));
  if (acc.columnStats) {
    const stats = new Float64Array(2 * shared.length);
    acc.columnStats(shared, y, stats, ranges);
    for (let j = 0; j < shared.length; j++) {
      means[j + 1] = stats[2 * j]!;
      scales[j + 1] = stats[2 * j + 1]!;
    }
  } else
    for (let j = 0; j < shared.length; j++) {
      const out = new Float64Array(2);
      standardisationAndRanges(shared[j]!, y, ranges, j, out);
      means[j + 1] = out[0]!;
      scales[j + 1] = out[1]!;
    }
  cols.push(...shared);

  // Rank: drop columns collinear with earlier ones (pivot-free Cholesky of the scaled cross
  // products, as R's QR with its default tolerance drops later aliased columns; the test is
  // relative to each column's own square sum, so it does not depend on the scale of the weights).
  // From glm's start (no warm start) the check uses the first IRLS pass itself: its working
  // weights are the same for every row up to rounding (μ₀ = 0.25 or 0.75), so X'W₀X is X'X times
  // a constant, and the kept columns' block of that pass is exactly what iteration 1 would
  // compute (each entry's sums depend only on its two columns and the chunks): one pass over the
  // data fewer, the same bits. With a warm start, X'X is a pass of its own.
  const warmRowsUsed = warmRows > 0 && n >= 4 * warmRows;
  let first: IrlsStart | null = null;
  let aliased: boolean[];
  if (warmRowsUsed) {
    aliased = aliasedColumns(unpackSymmetric(crossprod(acc, cols, means, scales, null, n), pAll), pAll);
  } else {
    first = glmStart(y, fns, acc);
    const cpAll = crossprod(acc, [...cols, first.z], Float64Array.from([...means, 0]), Float64Array.from([...scales, 1]), first.w, n);
    aliased = aliasedColumns(unpackSymmetric(cpAll, pAll + 1, pAll), pAll);
    first.cp = restrictPacked(cpAll, pAll + 1, [...aliased.flatMap((a, j) => (a ? [] : [j])), pAll]);
  }
  const keep: number[] = [];
  for (let j = 0; j < pAll; j++) if (!aliased[j]) keep.push(j);
  const X = keep.map((j) => cols[j]!);
  const xMeans = Float64Array.from(keep, (j) => means[j]!);
  const xScales = Float64Array.from(keep, (j) => scales[j]!);

  // Warm start: the same IRLS on a seeded subsample, then glm's iterations on all rows from
  // the subsample's coefficients (as glm(..., start = β_subsample)). Falls back to glm's own
  // start if the subsample fit or the warm full fit does not converge.
  let warm: { rows: number; iterations: number } | undefined;
  let fit: IrlsResult | null = null;
  if (warmRowsUsed) {
    const idx = seededSubsample(n, warmRows);
    const subX = X.map((col) => {
      if (col === null) return null;
      const out = new Float64Array(warmRows);
      for (let k = 0; k < warmRows; k++) out[k] = col[idx[k]!]!;
      return out;
    });
    const subY = new Uint8Array(warmRows);
    for (let k = 0; k < warmRows; k++) subY[k] = y[idx[k]!]!;
    const sub = irls(subX, xMeans, xScales, subY, null, serialAccumulator, fns, maxIt, epsilon);
    if (sub.converged && sub.beta.every(Number.isFinite)) {
      const full = irls(X, xMeans, xScales, y, sub.beta, acc, fns, maxIt, epsilon);
      if (full.converged) {
        fit = full;
        warm = { rows: warmRows, iterations: sub.iterations };
      }
    }
  }
  fit ??= irls(X, xMeans, xScales, y, null, acc, fns, maxIt, epsilon, first);
  return finish(fit, { keep, aliased, pAll, means, scales, design, ranges, y, n, link, options, maxIt, warm });
}

/**
 * glm's start for a binary response: μ₀ = (y + 0.5) / 2, η₀ = linkfun(μ₀), the deviance at μ₀,
 * and the first working weights and responses; `cp`, when set, the cross-products of [X z] at
 * these weights (packed, the kept columns then z).
 */
interface IrlsStart {
  eta: Float64Array;
  mu: Float64Array;
  w: Float64Array;
  z: Float64Array;
  dev: number;
  cp?: Float64Array;
}

function glmStart(y: Uint8Array, fns: LinkFns, acc: Accumulator): IrlsStart {
  const n = y.length;
  const shared = fns === LOGIT && acc.logitUpdate;
  const eta = shared ? acc.allocate(n) : new Float64Array(n);
  const mu = shared ? acc.allocate(n) : new Float64Array(n);
  const w = acc.allocate(n);
  const z = acc.allocate(n);
  // Every value is a function of y ∈ {0, 1} alone: computed once for each (the same
  // expressions as the IRLS loop, so the same bits), then written row by row; the deviance is
  // still summed in row order.
  const M = new Float64Array(2);
  const E = new Float64Array(2);
  const D = new Float64Array(2);
  const W = new Float64Array(2);
  const Z = new Float64Array(2);
  for (let v = 0; v < 2; v++) {
    const m0 = (v + 0.5) / 2;
    M[v] = m0;
    E[v] = fns.linkfun(m0);
    D[v] = devResid(v, m0);
    const me = fns.muEta(E[v]!);
    const varmu = m0 * (1 - m0);
    Z[v] = E[v]! + (v - m0) / me;
    W[v] = (me * me) / varmu;
  }
  let dev = 0;
  for (let i = 0; i < n; i++) {
    const v = y[i]!;
    mu[i] = M[v]!;
    eta[i] = E[v]!;
    w[i] = W[v]!;
    z[i] = Z[v]!;
    dev += D[v]!;
  }
  return { eta, mu, w, z, dev };
}

/** The packed upper triangle of the rows and columns `idx` (ascending) of a packed q × q matrix. */
function restrictPacked(packed: Float64Array, q: number, idx: readonly number[]): Float64Array {
  const r = idx.length;
  const out = new Float64Array(packedLength(r));
  for (let a = 0; a < r; a++) for (let b = a; b < r; b++) out[packedIndex(r, a, b)] = packed[packedIndex(q, idx[a]!, idx[b]!)]!;
  return out;
}

/** Outcome of one IRLS run (glm.fit's loop). */
interface IrlsResult {
  beta: Float64Array;
  eta: Float64Array;
  mu: Float64Array;
  deviance: number;
  iterations: number;
  converged: boolean;
  /** X'WX of the last iteration (full p × p), for the standard errors. */
  xtwx: Float64Array;
}

/**
 * glm.fit's IRLS loop on columns X (intercept included) and 0/1 response y: from glm's
 * mustart = (y + 0.5)/2 when `start` is null, else from η = X·start (glm's `start`). Working
 * weights and responses, the weighted least-squares step by Cholesky of X'WX (accumulated by
 * `acc` in fixed chunks), step halving while the deviance is not finite, and the convergence
 * rule |dev − dev_old| / (|dev| + 0.1) < ε, at most maxIt iterations.
 */
function irls(
  X: readonly (Float64Array | null)[],
  center: Float64Array,
  scale: Float64Array,
  y: Uint8Array,
  start: Float64Array | null,
  acc: Accumulator,
  fns: LinkFns,
  maxIt: number,
  epsilon: number,
  init: IrlsStart | null = null,
): IrlsResult {
  const n = y.length;
  const p = X.length;
  // The logit row updates on the accumulator's threads when it offers them (same bits).
  const fused = fns === LOGIT && acc.logitUpdate ? acc.logitUpdate.bind(acc) : null;
  const s0 = init ?? (start ? null : glmStart(y, fns, acc));
  const eta = s0 ? s0.eta : fused ? acc.allocate(n) : new Float64Array(n);
  const mu = s0 ? s0.mu : fused ? acc.allocate(n) : new Float64Array(n);
  let devOld = 0;
  if (s0) devOld = s0.dev;
  else if (start) {
    linearPredictor(X, center, scale, start, eta);
    for (let i = 0; i < n; i++) {
      const m = fns.linkinv(eta[i]!);
      mu[i] = m;
      devOld += devResid(y[i]!, m);
    }
  }
  let beta: Float64Array = start ? Float64Array.from(start) : new Float64Array(p);
  let haveOld = start !== null;
  let converged = false;
  let iter = 0;
  let dev = devOld;
  let lastXtwx: Float64Array = new Float64Array(p * p);
  const wv = s0 ? s0.w : acc.allocate(n);
  const zv = s0 ? s0.z : acc.allocate(n);
  const cols = [...X, zv];
  const q = p + 1;
  const cCenter = Float64Array.from([...center, 0]);
  const cScale = Float64Array.from([...scale, 1]);
  // True when wv/zv already hold the working weights and responses of the current η, μ.
  let wzReady = s0 !== null;
  for (iter = 1; iter <= maxIt; iter++) {
    // Working weights and responses (glm.fit), then the chunked cross-products of [X z].
    if (!wzReady) {
      for (let i = 0; i < n; i++) {
        const me = fns.muEta(eta[i]!);
        const varmu = mu[i]! * (1 - mu[i]!);
        zv[i] = eta[i]! + (y[i]! - mu[i]!) / me;
        wv[i] = (me * me) / varmu;
      }
    }
    wzReady = false;
    // Iteration 1 from glm's start may come with its cross-products already made (by the rank check).
    const cp = iter === 1 && init?.cp ? init.cp : crossprod(acc, cols, cCenter, cScale, wv, n);
    const xtwx = unpackSymmetric(cp, q, p);
    const xtwz = new Float64Array(p);
    for (let a = 0; a < p; a++) xtwz[a] = cp[packedIndex(q, a, p)]!;
    lastXtwx = xtwx;
    const next = solveSpd(xtwx, xtwz, p);
    if (!next) break;
    let newBeta: Float64Array = next;
    // Linear predictor, fitted values, deviance; halve the step while the deviance is not finite.
    for (let halving = 0; ; halving++) {
      if (fused) {
        fused(X, center, scale, newBeta, y, { eta, mu, w: wv, z: zv });
        // The deviance in this thread, in row order (one log per row), as glm.fit sums it.
        dev = 0;
        for (let i = 0; i < n; i++) dev += devResid(y[i]!, mu[i]!);
        wzReady = true;
      } else {
        linearPredictor(X, center, scale, newBeta, eta);
        dev = 0;
        for (let i = 0; i < n; i++) {
          const m = fns.linkinv(eta[i]!);
          mu[i] = m;
          dev += devResid(y[i]!, m);
        }
      }
      if (Number.isFinite(dev) || !haveOld || halving >= 30) break;
      const half = new Float64Array(p);
      for (let a = 0; a < p; a++) half[a] = (newBeta[a]! + beta[a]!) / 2;
      newBeta = half;
    }
    haveOld = true;
    beta = newBeta;
    if (Math.abs(dev - devOld) / (Math.abs(dev) + 0.1) < epsilon) {
      converged = true;
      break;
    }
    devOld = dev;
  }
  if (iter > maxIt) iter = maxIt;
  return { beta, eta, mu, deviance: dev, iterations: iter, converged, xtwx: lastXtwx };
}

/**
 * η = Xβ with X the standardised columns ((x − center)/scale, null = intercept), summed over
 * columns in column order for each row (the same arithmetic as a row-wise loop over a
 * standardised copy), in blocks of rows so the block of η stays in cache.
 */
function linearPredictor(X: readonly (Float64Array | null)[], center: Float64Array, scale: Float64Array, beta: Float64Array, eta: Float64Array): void {
  linearPredictorRange(X, center, scale, beta, eta, 0, eta.length);
}

/**
 * {@link linearPredictor} over rows [start, end). Self-contained: the worker-thread accumulator
 * ships its source (with {@link logitUpdateChunk}, which calls it).
 */
export function linearPredictorRange(
  X: readonly (Float64Array | null)[],
  center: Float64Array,
  scale: Float64Array,
  beta: Float64Array,
  eta: Float64Array,
  start: number,
  end: number,
): void {
  const p = X.length;
  const B = 2048;
  for (let s = start; s < end; s += B) {
    const e = Math.min(end, s + B);
    for (let i = s; i < e; i++) eta[i] = 0;
    for (let a = 0; a < p; a++) {
      const col = X[a];
      const b = beta[a]!;
      if (col === null || col === undefined) {
        for (let i = s; i < e; i++) eta[i] += b;
      } else {
        const m = center[a]!;
        const sd = scale[a]!;
        for (let i = s; i < e; i++) eta[i] += ((col[i]! - m) / sd) * b;
      }
    }
  }
}

/** Rows in a warm-start subsample, and the seed it is drawn with (fixed: same data → same fit). */
// Off by default: a warm start reaches glm's optimum within glm's tolerance but along another
// path, so fitted values move by ~1e-11 and near-tied scores can swap order at register scale
// (1.1M rows: ATT 0.0787854 vs R's 0.0787754). The default path stays glm's, step by step.
const DEFAULT_WARM_START_ROWS = 0;
const WARM_START_SEED = 20_240_611;

/** `m` distinct row indices out of n, ascending, from a fixed seed (Floyd's algorithm). */
function seededSubsample(n: number, m: number): Uint32Array {
  const rng = createRng(WARM_START_SEED);
  const chosen = new Uint8Array(n);
  for (let j = n - m; j < n; j++) {
    const t = rng.int(j + 1);
    if (chosen[t]) chosen[j] = 1;
    else chosen[t] = 1;
  }
  const out = new Uint32Array(m);
  for (let i = 0, k = 0; i < n; i++) if (chosen[i]) out[k++] = i;
  return out;
}

interface FinishContext {
  keep: number[];
  aliased: boolean[];
  pAll: number;
  means: Float64Array;
  scales: Float64Array;
  design: ReturnType<typeof buildDesign>;
  ranges: Float64Array;
  y: Uint8Array;
  n: number;
  link: Link;
  options: PropensityOptions;
  maxIt: number;
  warm: { rows: number; iterations: number } | undefined;
}

/** Coefficients on the original scale, standard errors, deviances and diagnostics. */
function finish(fit: IrlsResult, ctx: FinishContext): PropensityFit {
  const { keep, aliased, pAll, means, scales, design, ranges, y, n, link, options, maxIt, warm } = ctx;
  const p = keep.length;
  const beta = fit.beta;
  const mu = fit.mu;
  const eta = fit.eta;
  const dev = fit.deviance;
  const iter = fit.iterations;
  const converged = fit.converged;
  const lastXtwx = fit.xtwx;
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
  const suspects = separationSuspects(design.names, ranges, coefficients.slice(1));
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
        (suspects.length
          ? `; covariates that perfectly predict treatment: ${suspects.map((s) => `\`${s}\``).join(', ')} — remove them, coarsen them, or match exactly on them`
          : ''),
    );
  }
  const dropped: { column: string; reason: 'collinear' | 'constant' }[] = [];
  for (let j = 1; j < pAll; j++) {
    if (aliased[j]) {
      dropped.push({ column: names[j]!, reason: 'collinear' });
      warnings.push(
        `design column \`${names[j]}\` is collinear with earlier covariates and was dropped (R reports its coefficient as NA): remove it or one of the covariates it duplicates`,
      );
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
    ...(warm ? { warmStart: warm } : {}),
    deviance: dev,
    nullDeviance,
    diagnostics: {
      separation: { detected: separationDetected, rows: sepRows, count: sepCount, suspects },
      dropped,
      warnings,
    },
  });
}

/**
 * Mean and sd of a column as the fit standardises it: sd with n − 1 divisor, 1 for a constant
 * column. The standardised value is (v − mean) / sd.
 */
export function standardisation(v: Float64Array): { mean: number; sd: number } {
  const n = v.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += v[i]!;
  m /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = v[i]! - m;
    ss += d * d;
  }
  return { mean: m, sd: Math.sqrt(ss / Math.max(1, n - 1)) || 1 };
}

/**
 * Write (v − mean) / sd into `out` (see {@link standardisation}) and return mean and sd. The
 * propensity fit and the estimated-score adjustment standardise alike.
 */
export function standardiseInto(v: Float64Array, out: Float64Array): { mean: number; sd: number } {
  const { mean, sd } = standardisation(v);
  for (let i = 0; i < v.length; i++) out[i] = (v[i]! - mean) / sd;
  return { mean, sd };
}

/**
 * {@link standardisation} of a design column (the same sums, the same bits), and in its second
 * pass the column's range among the treated and among the controls, written to
 * ranges[4j … 4j + 3] = min_T, max_T, min_C, max_C (for the separation check: no extra pass);
 * out[0], out[1] = mean and sd. Self-contained: the worker-thread accumulator ships its source.
 */
export function standardisationAndRanges(v: Float64Array, y: Uint8Array, ranges: Float64Array, j: number, out: Float64Array): void {
  const n = v.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += v[i]!;
  m /= n;
  let ss = 0;
  let minT = Infinity;
  let maxT = -Infinity;
  let minC = Infinity;
  let maxC = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = v[i]!;
    const d = x - m;
    ss += d * d;
    if (y[i]) {
      if (x < minT) minT = x;
      if (x > maxT) maxT = x;
    } else {
      if (x < minC) minC = x;
      if (x > maxC) maxC = x;
    }
  }
  ranges[4 * j] = minT;
  ranges[4 * j + 1] = maxT;
  ranges[4 * j + 2] = minC;
  ranges[4 * j + 3] = maxC;
  out[0] = m;
  out[1] = Math.sqrt(ss / Math.max(1, n - 1)) || 1;
}

/**
 * Covariates that separate treated from controls on their own: the treated range and the
 * control range do not overlap (or a dummy level occurs in one group only), or the fitted
 * coefficient diverged (|β| large on the standardised scale with |z| < 0.01). `ranges` as
 * {@link standardisationAndRanges} writes them.
 */
function separationSuspects(names: readonly string[], ranges: Float64Array, coefs: readonly Coefficient[]): string[] {
  const out: string[] = [];
  for (let j = 0; j < names.length; j++) {
    const minT = ranges[4 * j]!;
    const maxT = ranges[4 * j + 1]!;
    const minC = ranges[4 * j + 2]!;
    const maxC = ranges[4 * j + 3]!;
    const c = coefs[j];
    const diverged = c && !c.aliased && Number.isFinite(c.se) && Math.abs(c.estimate / c.se) < 0.01 && Math.abs(c.estimate) > 10;
    if (maxT < minC || maxC < minT || diverged) out.push(names[j]!);
  }
  return out;
}
