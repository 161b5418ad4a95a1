/**
 * Cross-check estimators without matching: inverse-probability (odds) weighting for the ATT
 * and the doubly robust augmented version, with seeded bootstrap standard errors.
 */
import { Matrix, solve } from 'ml-matrix';
import type { EffectEstimate, MatchResult, PropensityFit } from '../contracts.js';
import { buildDesign } from '../data/design.js';
import { getNumeric, takeRows, type Table } from '../data/table.js';
import { buildMatchResult } from '../matching/result.js';
import { fitPropensity, type PropensityOptions } from '../propensity/index.js';
import { CounterfactError, describeRows } from '../problems.js';
import { createRng } from '../random.js';
import { normalQuantile, twoSidedP } from '../stats/distributions.js';

/**
 * ATT odds weights as a MatchResult (method 'ipw'): treated 1, controls e/(1 − e), rescaled
 * to sum to the number of controls. No pairs: pair-based SEs do not apply (use estimateIPW).
 * `trim` drops units with scores above 1 − trim or below trim (reported as discarded).
 */
export function weightIPW(fit: PropensityFit, options: { trim?: number } = {}): MatchResult {
  const n = fit.scores.length;
  const trim = options.trim ?? 0;
  if (!(trim >= 0 && trim < 0.5)) throw new CounterfactError({ code: 'bad_argument', column: 'trim', message: `trim must be in [0, 0.5), received ${trim}` });
  const discarded = new Uint8Array(n);
  const unmatched: { index: number; reason: 'discarded' }[] = [];
  for (let i = 0; i < n; i++) {
    const e = fit.scores[i]!;
    if (e < trim || e > 1 - trim || e >= 1) {
      discarded[i] = 1;
      if (fit.treatment[i]) unmatched.push({ index: i, reason: 'discarded' });
    }
  }
  const base = buildMatchResult({
    method: 'ipw',
    treatment: fit.treatment,
    distance: fit.scores,
    pairs: { treated: new Int32Array(0), control: new Int32Array(0), weight: new Float64Array(0) },
    discarded,
    unmatchedTreated: unmatched,
    settings: { method: 'ipw', weights: 'ATT odds e/(1 − e)', trim },
    warnings: [],
  });
  const weights = new Float64Array(n);
  const matched = new Uint8Array(n);
  let sw = 0,
    nc = 0,
    mt = 0;
  for (let i = 0; i < n; i++) {
    if (discarded[i]) continue;
    matched[i] = 1;
    if (fit.treatment[i]) {
      weights[i] = 1;
      mt++;
    } else {
      const e = fit.scores[i]!;
      weights[i] = e / (1 - e);
      sw += weights[i]!;
      nc++;
    }
  }
  for (let i = 0; i < n; i++) if (!fit.treatment[i] && matched[i]) weights[i]! *= nc / sw;
  return { ...base, weights, matched, counts: { ...base.counts, matchedTreated: mt, matchedControls: nc, unmatchedTreated: base.counts.treated - mt } };
}

function ipwPoint(y: Float64Array, t: Uint8Array, e: Float64Array, mu0: Float64Array | null): { est: number; mT: number; mC: number } {
  let st = 0,
    nt = 0,
    sc = 0,
    wc = 0;
  for (let i = 0; i < y.length; i++) {
    const r = y[i]! - (mu0 ? mu0[i]! : 0);
    if (t[i]) {
      st += r;
      nt++;
    } else {
      const w = e[i]! / (1 - e[i]!);
      sc += w * r;
      wc += w;
    }
  }
  return { est: st / nt - sc / wc, mT: st / nt, mC: sc / wc };
}

/** OLS of y on [1, X] among controls; fitted values for everyone (ml-matrix solve). */
function controlRegression(X: readonly Float64Array[], y: Float64Array, t: Uint8Array): Float64Array {
  const idx: number[] = [];
  for (let i = 0; i < y.length; i++) if (!t[i]) idx.push(i);
  const p = X.length + 1;
  const A = new Matrix(idx.length, p);
  const b = new Matrix(idx.length, 1);
  idx.forEach((i, r) => {
    A.set(r, 0, 1);
    X.forEach((col, j) => A.set(r, j + 1, col[i]!));
    b.set(r, 0, y[i]!);
  });
  const beta = solve(A, b, true); // least squares (QR/SVD)
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) {
    let v = beta.get(0, 0);
    X.forEach((col, j) => (v += beta.get(j + 1, 0) * col[i]!));
    out[i] = v;
  }
  return out;
}

export interface WeightingOptions extends Omit<PropensityOptions, 'accumulator'> {
  readonly outcome: string;
  /** 'bootstrap' (default; resamples units and refits the propensity and outcome models) or 'none'. */
  readonly se?: 'bootstrap' | 'none';
  readonly reps?: number;
  readonly seed?: number;
  readonly level?: number;
  /** AIPW only: covariates of the control outcome regression (default: the propensity covariates). */
  readonly outcomeCovariates?: readonly string[];
}

function run(data: Table, options: WeightingOptions, augmented: boolean): EffectEstimate {
  const y = getNumeric(data, options.outcome, 'outcome', true);
  const bad: number[] = [];
  y.forEach((v, i) => !Number.isFinite(v) && bad.length < 5 && bad.push(i));
  const badCount = y.reduce((c, v) => c + (Number.isFinite(v) ? 0 : 1), 0);
  if (badCount)
    throw new CounterfactError({
      code: 'missing_values',
      column: options.outcome,
      rows: bad,
      count: badCount,
      message: `outcome \`${options.outcome}\` has ${badCount} missing values (${describeRows(bad, badCount)}): weighting uses every unit; impute or drop them`,
    });
  const point = (tab: Table) => {
    const fit = fitPropensity(tab, options);
    for (let i = 0; i < fit.scores.length; i++) {
      if (fit.scores[i]! >= 1 - 1e-12)
        throw new CounterfactError({
          code: 'separation',
          message: 'some propensity scores are 1: odds weights are infinite; trim or remove the separating covariate',
        });
    }
    const yy = getNumeric(tab, options.outcome, 'outcome');
    const mu0 = augmented
      ? controlRegression(buildDesign(tab, options.outcomeCovariates ?? options.covariates, { categorical: options.categorical }).columns, yy, fit.treatment)
      : null;
    return { ...ipwPoint(yy, fit.treatment, fit.scores, mu0), fit, yy };
  };
  const main = point(data);
  let nt = 0;
  for (const v of main.fit.treatment) nt += v;
  const reps = options.reps ?? 200;
  const seed = options.seed ?? 1;
  let se: number | null = null;
  if ((options.se ?? 'bootstrap') === 'bootstrap') {
    const rng = createRng(seed);
    const draws: number[] = [];
    const n = data.nRows;
    for (let r = 0; r < reps; r++) {
      const idx = new Int32Array(n);
      for (let i = 0; i < n; i++) idx[i] = rng.int(n);
      try {
        draws.push(point(takeRows(data, idx)).est);
      } catch {
        // A resample without treated or controls, or with separation: skipped and counted.
      }
    }
    const m = draws.reduce((a, b) => a + b, 0) / draws.length;
    se = Math.sqrt(draws.reduce((a, b) => a + (b - m) ** 2, 0) / (draws.length - 1));
  }
  const level = options.level ?? 0.95;
  const z = normalQuantile(1 - (1 - level) / 2);
  let mT = 0,
    mC = 0,
    nc = 0;
  for (let i = 0; i < main.yy.length; i++) {
    if (main.fit.treatment[i]) mT += main.yy[i]!;
    else {
      mC += main.yy[i]!;
      nc++;
    }
  }
  const mTreated = mT / nt;
  return {
    kind: 'EffectEstimate',
    estimand: 'ATT',
    outcome: options.outcome,
    estimate: main.est,
    se,
    ciLower: se === null ? null : main.est - z * se,
    ciUpper: se === null ? null : main.est + z * se,
    pValue: se === null || se === 0 ? null : twoSidedP(main.est / se),
    meanTreated: mTreated,
    meanControl: mTreated - main.est,
    naive: mTreated - mC / nc,
    nTreated: nt,
    nControls: nc,
    method: `${augmented ? 'AIPW (doubly robust, control outcome regression by OLS)' : 'IPW (ATT odds weights, normalised)'}; SE ${options.se === 'none' ? 'none' : `bootstrap, ${reps} resamples of units, models refitted, seed ${seed}`}`,
    level,
    warnings: [],
  };
}

/**
 * ATT by inverse-probability (odds) weighting: mean_T(Y) − Σ_C w Y / Σ_C w with
 * w = e/(1 − e) (normalised, Hájek). Reference: Imbens (2004); R: weighted.mean.
 * Cost: O(n p²) per fit; the bootstrap multiplies by `reps`.
 * @example estimateIPW(lalonde, { treatment: 'treat', outcome: 're78', covariates }).estimate // 1214.07 (R weighted.mean)
 */
export function estimateIPW(data: Table, options: WeightingOptions): EffectEstimate {
  return run(data, options, false);
}

/**
 * Doubly robust (augmented IPW) ATT: (1/N₁) Σ_T (Y − μ̂₀(X)) − Σ_C w (Y − μ̂₀(X)) / Σ_C w, with
 * μ̂₀ the OLS regression of Y on the outcome covariates among controls and w = e/(1 − e).
 * Consistent if either the propensity model or the outcome model is right.
 */
export function estimateAIPW(data: Table, options: WeightingOptions): EffectEstimate {
  return run(data, options, true);
}
