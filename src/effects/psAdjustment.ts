/**
 * Abadie & Imbens (2016), "Matching on the estimated propensity score", Econometrica 84(2):
 * the large-sample variance of a propensity-score matching estimator when the score was
 * estimated by maximum likelihood in a first step, θ̂ with inverse information V_θ.
 *
 *   ATE:  V = σ²_AI − c'V_θ c
 *         c = (1/N) Σ_i f_i [cov(X, μ(1,X) | p_i) / p_i + cov(X, μ(0,X) | p_i) / (1 − p_i)]
 *   ATT:  V = σ²_AI − c_t'V_θ c_t + d'V_θ d
 *         c_t = (1/N1) Σ_i f_i [cov(X, μ(1,X) | p_i) + p_i / (1 − p_i) · cov(X, μ(0,X) | p_i)]
 *         d   = (1/N1) Σ_i f_i X_i (τ̂_i − τ̂),  τ̂_i = Ŷ_i(1) − Ŷ_i(0) for every unit
 *
 * σ²_AI is the Abadie–Imbens (2006) variance that treats the score as known, f_i = dF/dη at
 * X_i'θ̂ (logit p(1 − p), probit φ(η)), and the sums run over all N units. The terms come from
 * two facts: matching on a perturbed score p(X; θ) changes which covariate values count as
 * comparable, by the conditional covariances of X with the regression functions (c), and the
 * ATT's own weights p(X; θ) move with θ (d). For the ATE the adjustment only lowers the
 * variance; for the ATT it can go either way.
 *
 * cov(X, μ(w,X) | p_i) is estimated by matching, as in the paper: the sample covariance
 * (divisor h − 1) of X and Y over the L units of group w nearest to unit i on the matching
 * distance (i itself left out, every unit tied with the L-th kept, so h ≥ L).
 *
 * V_θ is computed on the standardised design (intercept, centred and scaled columns): the
 * quadratic forms are invariant to that reparametrisation and the information matrix stays
 * well conditioned when covariates are on very different scales (earnings next to dummies).
 */
import type { Link, PropensityFit } from '../contracts.js';
import { buildDesign } from '../data/design.js';
import type { Table } from '../data/table.js';
import { standardiseInto } from '../propensity/fit.js';
import { invertSpd } from '../stats/linalg.js';
import { badArgument } from '../problems.js';
import { normalCdf, normalPdf } from '../stats/distributions.js';

/** Units of one treatment group sorted by the matching distance (ties keep row order). */
export interface SortedGroup {
  readonly idx: Int32Array;
  readonly val: Float64Array;
}

export function sortGroup(d: Float64Array, treatment: Uint8Array, group: 0 | 1, include?: Uint8Array): SortedGroup {
  const members: number[] = [];
  for (let i = 0; i < d.length; i++) if (treatment[i] === group && (!include || include[i])) members.push(i);
  members.sort((a, b) => d[a]! - d[b]! || a - b);
  const idx = Int32Array.from(members);
  const val = Float64Array.from(members, (i) => d[i]!);
  return { idx, val };
}

/**
 * The units of `g` nearest to the value v: m of them (fewer if the group is smaller), plus,
 * with `ties`, every unit at exactly the m-th distance. `self` (a row index, or −1) is skipped.
 * A two-pointer walk out from v's position: O(log n + units returned). Hand-written because it
 * runs once per unit and per group, N times per standard error.
 */
export function nearestIn(g: SortedGroup, v: number, m: number, ties: boolean, self: number): number[] {
  const val = g.val;
  const idx = g.idx;
  let lo = 0;
  let hi = val.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (val[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  let l = lo - 1;
  let r = lo;
  const out: number[] = [];
  let cut = Infinity;
  for (;;) {
    while (l >= 0 && idx[l] === self) l--;
    while (r < val.length && idx[r] === self) r++;
    const dl = l >= 0 ? v - val[l]! : Infinity;
    const dr = r < val.length ? val[r]! - v : Infinity;
    const dist = Math.min(dl, dr);
    if (dist === Infinity) break;
    if (out.length >= m && !(ties && dist === cut)) break;
    if (dl <= dr) out.push(idx[l--]!);
    else out.push(idx[r++]!);
    if (out.length === m) cut = dist;
  }
  return out;
}

/** Mean of y over a neighbour set. */
export function meanOutcome(units: readonly number[], y: Float64Array): number {
  let s = 0;
  for (const j of units) s += y[j]!;
  return s / units.length;
}

/** The propensity design as the fit used it: intercept then kept columns, standardised. */
export function standardisedDesign(table: Table, fit: PropensityFit): Float64Array[] {
  const design = buildDesign(table, fit.covariates, { categorical: fit.categorical });
  const n = table.nRows;
  if (n !== fit.scores.length) {
    badArgument('propensity', `the propensity fit has ${fit.scores.length} units but the data have ${n} rows: pass the table the score was fitted on`);
  }
  const names = ['(Intercept)', ...design.names];
  const fitNames = fit.coefficients.map((c) => c.name);
  if (names.length !== fitNames.length || names.some((nm, j) => nm !== fitNames[j])) {
    badArgument('propensity', `the data do not rebuild the propensity design (${fitNames.slice(1).join(', ')}): pass the table and fit from the same call`);
  }
  const cols: Float64Array[] = [new Float64Array(n).fill(1)];
  design.columns.forEach((v, j) => {
    if (fit.coefficients[j + 1]!.aliased) return;
    const z = new Float64Array(n);
    standardiseInto(v, z);
    cols.push(z);
  });
  return cols;
}

/** dF/dη per unit: logit p(1 − p), probit φ(η). */
export function linkDensity(link: Link, scores: Float64Array, eta: Float64Array): Float64Array {
  const f = new Float64Array(scores.length);
  for (let i = 0; i < f.length; i++) f[i] = link === 'logit' ? scores[i]! * (1 - scores[i]!) : normalPdf(eta[i]!);
  return f;
}

export type Information = 'expected' | 'observed';

/**
 * V_θ = (Σ_i w_i X_i X_i')⁻¹ on the given design. Expected (Fisher) information: w = f²/(p(1 − p)),
 * what `glm` reports and what the paper uses. Observed (minus the Hessian of the log-likelihood):
 * the same for logit; for probit w = λ(λ + η) when treated and λ₀(λ₀ − η) otherwise, with
 * λ = φ/Φ and λ₀ = φ/(1 − Φ).
 */
export function inverseInformation(
  X: readonly Float64Array[],
  link: Link,
  treatment: Uint8Array,
  scores: Float64Array,
  eta: Float64Array,
  kind: Information,
): Float64Array {
  const k = X.length;
  const n = scores.length;
  const A = new Float64Array(k * k);
  for (let i = 0; i < n; i++) {
    const p = scores[i]!;
    let w: number;
    if (link === 'logit') w = p * (1 - p);
    else if (kind === 'expected') w = normalPdf(eta[i]!) ** 2 / (p * (1 - p));
    else {
      const e = eta[i]!;
      const phi = normalPdf(e);
      if (treatment[i]) {
        const lam = phi / normalCdf(e);
        w = lam * (lam + e);
      } else {
        const lam0 = phi / (1 - normalCdf(e));
        w = lam0 * (lam0 - e);
      }
    }
    if (!(w > 0)) continue;
    for (let a = 0; a < k; a++) {
      const xa = w * X[a]![i]!;
      for (let b = 0; b <= a; b++) A[a * k + b] += xa * X[b]![i]!;
    }
  }
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) A[b * k + a] = A[a * k + b]!;
  const inv = invertSpd(A, k);
  if (!inv)
    badArgument(
      'propensity',
      "the information matrix of the propensity model is singular (separation or collinear covariates): fix the propensity model before asking for se 'ai-ps'",
    );
  return inv;
}

function quadratic(v: Float64Array, V: Float64Array): number {
  const k = v.length;
  let s = 0;
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) s += v[a]! * V[a * k + b]! * v[b]!;
  return s;
}

export interface AdjustmentInput {
  readonly X: readonly Float64Array[];
  readonly y: Float64Array;
  readonly treatment: Uint8Array;
  readonly scores: Float64Array;
  /** dF/dη per unit. */
  readonly f: Float64Array;
  /** The distance matched on (score or its logit). */
  readonly distance: Float64Array;
  /** Ŷ_i(1) − Ŷ_i(0) for every unit (ATT: needed for d). */
  readonly unitEffects: Float64Array;
  readonly tau: number;
  readonly estimand: 'ATT' | 'ATE';
  /** L: neighbours for the conditional covariances (≥ 2). */
  readonly neighbours: number;
  readonly Vtheta: Float64Array;
  /** Units taking part (default all). */
  readonly include?: Uint8Array;
}

export interface Adjustment {
  /** c'V_θc (subtracted). */
  readonly cVc: number;
  /** d'V_θd (added; 0 for the ATE). */
  readonly dVd: number;
  /** Units whose covariance could not be estimated (fewer than 2 neighbours in a group). */
  readonly thinUnits: number;
}

/** The Abadie–Imbens (2016) adjustment terms. O(N (log N + k L)) plus O(N k²) for V_θ. */
export function aiPsAdjustment(a: AdjustmentInput): Adjustment {
  const { X, y, treatment, scores, f, distance, unitEffects, tau, estimand, neighbours: L, Vtheta } = a;
  const k = X.length;
  const n = y.length;
  const inc = a.include;
  const groups = [sortGroup(distance, treatment, 0, inc), sortGroup(distance, treatment, 1, inc)];
  const c = new Float64Array(k);
  const d = new Float64Array(k);
  const cov = [new Float64Array(k), new Float64Array(k)];
  let thin = 0;
  let n1 = 0;
  let nAll = 0;
  for (let i = 0; i < n; i++) {
    if (inc && !inc[i]) continue;
    nAll++;
    if (treatment[i]) n1++;
    for (const w of [0, 1] as const) {
      const set = nearestIn(groups[w]!, distance[i]!, L, true, i);
      const h = set.length;
      const cv = cov[w]!;
      cv.fill(0);
      if (h < 2) {
        thin++;
        continue;
      }
      const my = meanOutcome(set, y);
      for (let col = 1; col < k; col++) {
        const x = X[col]!;
        let mx = 0;
        for (const j of set) mx += x[j]!;
        mx /= h;
        let s = 0;
        for (const j of set) s += (x[j]! - mx) * (y[j]! - my);
        cv[col] = s / (h - 1);
      }
    }
    const p = scores[i]!;
    const fi = f[i]!;
    for (let col = 1; col < k; col++) {
      if (estimand === 'ATE') c[col] += fi * (cov[1]![col]! / p + cov[0]![col]! / (1 - p));
      else c[col] += fi * (cov[1]![col]! + (p / (1 - p)) * cov[0]![col]!);
    }
    if (estimand === 'ATT') {
      const r = fi * (unitEffects[i]! - tau);
      for (let col = 0; col < k; col++) d[col] += r * X[col]![i]!;
    }
  }
  const scale = estimand === 'ATE' ? nAll : n1;
  for (let col = 0; col < k; col++) {
    c[col] /= scale;
    d[col] /= scale;
  }
  return { cVc: quadratic(c, Vtheta), dVd: estimand === 'ATT' ? quadratic(d, Vtheta) : 0, thinUnits: thin };
}
