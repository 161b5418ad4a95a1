/**
 * The average treatment effect on the treated (ATT) from any MatchResult, with standard
 * errors: Abadie–Imbens (2006) as R Matching's `se`, MatchIt's recommended cluster-robust
 * regression on the matched sample, or none.
 */
import type { EffectEstimate, MatchResult, PropensityFit } from '../contracts.js';
import { getNumeric, toTable, type Table, type TableInput } from '../data/table.js';
import { badArgument, CounterfactError, describeRows } from '../problems.js';
import { normalQuantile, twoSidedP } from '../stats/distributions.js';
import { aiPsAdjustment, inverseInformation, linkDensity, meanOutcome, nearestIn, sortGroup, standardisedDesign, type Information } from './psAdjustment.js';

export interface AttOptions {
  /** Outcome column name, or one value per unit. */
  readonly outcome: string | Float64Array;
  /**
   * 'ai' (default), 'ai-ps' (Abadie–Imbens 2016: 'ai' adjusted for the estimated propensity
   * score; needs `propensity`), 'pairs', or 'none'.
   */
  readonly se?: 'ai' | 'ai-ps' | 'pairs' | 'none';
  /** For se 'ai-ps': the propensity fit the match used; `input` must be the table it was fitted on. */
  readonly propensity?: PropensityFit;
  /** For se 'ai-ps': L, the neighbours per group for the conditional covariances (default 2, Stata's nn(2)). */
  readonly psNeighbours?: number;
  /** For se 'ai-ps': V_θ from the 'expected' (default) or 'observed' information. */
  readonly information?: Information;
  /**
   * J for the Abadie–Imbens conditional variances: 0 (default) = one homoskedastic variance,
   * as Matching's `Var.calc = 0`; J ≥ 1 = the variance of the outcome over each unit and its J
   * nearest neighbours (on the match distance) in the same treatment group, as `Var.calc = J`
   * (needs a MatchResult with a distance).
   */
  readonly varMatches?: number;
  /** Confidence level (default 0.95). */
  readonly level?: number;
  /**
   * Control outcome per match, aligned with `match.pairs`: replaces the control's own outcome
   * in match m. For outcomes measured at the treated unit's reference date, so a control
   * reused by two treated units can have two values.
   */
  readonly pairOutcome?: Float64Array;
  /** Label for the outcome when `outcome` is an array (default 'outcome'). */
  readonly outcomeName?: string;
}

/**
 * Estimate the ATT: the mean over matched treated units of Y_i − Σ_m w_m Y_c(m) (pair weights
 * w_m = 1/M_i), which equals MatchIt's weighted difference in means.
 *
 * Standard errors:
 * - 'ai': Abadie & Imbens (2006), as R Matching::Match `se`:
 *   V = (1/N1²)[Σ_i (τ_i − τ̂)² + Σ_j (K_j² − KK_j) σ̂²_j], K_j = Σ of the pair weights of
 *   control j, KK_j = Σ of their squares. `seStandard` is Matching's `se.standard`, which
 *   ignores the reuse of controls. Neither accounts for the estimated propensity score.
 * - 'pairs': MatchIt's recommended route: weighted regression of Y on treatment in the matched
 *   sample with the matching weights and HC1 cluster-robust SEs by matched set (the treated
 *   unit and its controls). When controls are reused (with replacement) sets overlap, and the
 *   SE is HC1 robust by unit instead (as MatchIt's vignette suggests); with `pairOutcome`, the
 *   regression runs on one row per treated unit and per match, clustered by matched set.
 * - 'none'.
 * The CI is normal-based; the p-value two-sided.
 *
 * Cost: O(n + matches); 'ai' with J ≥ 1 adds a sort, O(n log n).
 * @throws CounterfactError when the outcome is unknown, not numeric or missing for a matched
 *   unit (count and first rows), or when nothing was matched.
 * @example
 * estimateATT(lalonde, matchNearest(fit, { replace: true, ties: true }), { outcome: 're78' })
 * // estimate 1933.39, se 1090.60 (R Matching 4.10: Match(ties = TRUE))
 */
export function estimateATT(input: TableInput, match: MatchResult, options: AttOptions): EffectEstimate {
  const data: Table = toTable(input);
  const se = options.se ?? 'ai';
  const J = options.varMatches ?? 0;
  const level = options.level ?? 0.95;
  if (!['ai', 'ai-ps', 'pairs', 'none'].includes(se)) badArgument('se', `se must be 'ai', 'ai-ps', 'pairs' or 'none', received ${JSON.stringify(se)}`);
  if (!(Number.isInteger(J) && J >= 0)) badArgument('varMatches', `varMatches must be a whole number ≥ 0, received ${J}`);
  if (!(level > 0 && level < 1)) badArgument('level', `level must be between 0 and 1, received ${level}`);
  const n = match.nUnits;
  const name = typeof options.outcome === 'string' ? options.outcome : options.outcomeName ?? 'outcome';
  const y = typeof options.outcome === 'string' ? getNumeric(data, options.outcome, 'outcome', true) : options.outcome;
  if (y.length !== n) badArgument('outcome', `outcome has ${y.length} values but the match has ${n} units`);
  const p = match.pairs;
  const M = p.treated.length;
  const pairY = options.pairOutcome;
  if (pairY && pairY.length !== M) badArgument('pairOutcome', `pairOutcome has ${pairY.length} values but the match has ${M} matches`);
  if (match.counts.matchedTreated === 0) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: 'match',
      message: 'no treated unit was matched, so there is no ATT to estimate: relax the caliper or check the common-support rule',
    });
  }
  if (M === 0) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: 'match',
      message: `the ${match.method} result has no matched pairs: use estimateIPW for weighting methods`,
    });
  }
  // Outcomes of matched units must be present.
  const bad: number[] = [];
  let badCount = 0;
  for (let i = 0; i < n; i++) {
    if (match.matched[i] && !Number.isFinite(y[i]!) && !(pairY && !match.treatment[i])) {
      badCount++;
      if (bad.length < 5) bad.push(i);
    }
  }
  if (pairY) {
    for (let m = 0; m < M; m++) {
      if (!Number.isFinite(pairY[m]!)) {
        badCount++;
        if (bad.length < 5) bad.push(p.control[m]!);
      }
    }
  }
  if (badCount > 0) {
    throw new CounterfactError({
      code: 'missing_values',
      column: name,
      rows: bad,
      count: badCount,
      message: `outcome \`${name}\` is missing or not finite for ${badCount} matched unit(s) (${describeRows(bad, badCount)}): impute them, or drop those units before matching`,
    });
  }
  const yc = (m: number) => (pairY ? pairY[m]! : y[p.control[m]!]!);

  // τ_i per matched treated unit (pairs are grouped by treated in any order).
  const yhat0 = new Float64Array(n);
  for (let m = 0; m < M; m++) yhat0[p.treated[m]!] += p.weight[m]! * yc(m);
  let n1 = 0;
  let sumT = 0;
  let sumC = 0;
  for (let i = 0; i < n; i++) {
    if (match.treatment[i] && match.matched[i]) {
      n1++;
      sumT += y[i]!;
      sumC += yhat0[i]!;
    }
  }
  const meanTreated = sumT / n1;
  const meanControl = sumC / n1;
  const estimate = meanTreated - meanControl;

  // Naive difference over all units with an outcome.
  let nt = 0, st = 0, nc = 0, sc = 0, missingUnmatched = 0;
  for (let i = 0; i < n; i++) {
    const v = y[i]!;
    if (!Number.isFinite(v)) {
      missingUnmatched++;
      continue;
    }
    if (match.treatment[i]) {
      nt++;
      st += v;
    } else {
      nc++;
      sc += v;
    }
  }
  const naive = nt > 0 && nc > 0 ? st / nt - sc / nc : NaN;
  const warnings: string[] = [];
  // With pair-level control outcomes, controls have no outcome of their own: no naive difference.
  if (missingUnmatched > 0 && !pairY) {
    warnings.push(`outcome \`${name}\` is missing for ${missingUnmatched} unmatched unit(s): they are left out of the naive difference only`);
  }

  let seValue: number | null = null;
  let seStandard: number | null = null;
  let seUnadjusted: number | null = null;
  let method = 'none';
  if (se === 'ai' || se === 'ai-ps') {
    if (se === 'ai-ps') checkAiPs(match, options, pairY);
    const r = abadieImbens(match, y, yhat0, estimate, n1, J, pairY);
    seValue = r.se;
    seStandard = r.seStandard;
    method = `ai (Abadie–Imbens 2006, ${J === 0 ? 'homoskedastic, varMatches = 0' : `heteroskedastic, varMatches = ${J}`})`;
    if (se === 'ai-ps') {
      const L = options.psNeighbours ?? 2;
      const information = options.information ?? 'expected';
      const adj = estimatedScoreAdjustment(data, match, options.propensity!, y, name, yhat0, estimate, L, information);
      const v = r.se * r.se - adj.cVc + adj.dVd;
      if (!(v > 0)) {
        throw new CounterfactError({ code: 'bad_argument', column: 'se', message: `se 'ai-ps': the adjusted variance is not positive (${v.toPrecision(3)}; the estimated-score correction exceeds the Abadie–Imbens variance): raise psNeighbours or use se 'ai'` });
      }
      if (adj.thinUnits > 0) warnings.push(`se 'ai-ps': ${adj.thinUnits} unit-group covariance(s) had fewer than 2 neighbours and were taken as 0`);
      seUnadjusted = r.se;
      seValue = Math.sqrt(v);
      method = `ai-ps (Abadie–Imbens 2016: Abadie–Imbens 2006 variance, ${J === 0 ? 'varMatches = 0' : `varMatches = ${J}`}, adjusted for the estimated propensity score; covariances from ${L} neighbours, ${information} information)`;
    }
  } else if (se === 'pairs') {
    const r = pairsClusterSe(match, y, pairY);
    seValue = r.se;
    method = r.method;
  }
  const z = normalQuantile(1 - (1 - level) / 2);
  const ok = seValue !== null && Number.isFinite(seValue);
  return Object.freeze({
    kind: 'EffectEstimate',
    estimand: 'ATT',
    outcome: name,
    estimate,
    se: seValue,
    seStandard,
    ...(seUnadjusted !== null ? { seUnadjusted } : {}),
    ciLower: ok ? estimate - z * seValue! : null,
    ciUpper: ok ? estimate + z * seValue! : null,
    pValue: ok && seValue! > 0 ? twoSidedP(estimate / seValue!) : null,
    meanTreated,
    meanControl,
    naive,
    nTreated: n1,
    nControls: match.counts.matchedControls,
    method,
    level,
    warnings,
  });
}

/** Preconditions of the Abadie–Imbens (2016) theory, each failure named with its fix. */
function checkAiPs(match: MatchResult, options: AttOptions, pairY: Float64Array | undefined): void {
  const fit = options.propensity;
  const L = options.psNeighbours ?? 2;
  if (!fit || fit.kind !== 'PropensityFit') badArgument('propensity', "se 'ai-ps' needs the propensity fit the match used: pass { propensity: fit }");
  if (!(Number.isInteger(L) && L >= 2)) badArgument('psNeighbours', `psNeighbours must be a whole number ≥ 2 (a covariance needs two neighbours), received ${L}`);
  const info = options.information ?? 'expected';
  if (info !== 'expected' && info !== 'observed') badArgument('information', `information must be 'expected' or 'observed', received ${JSON.stringify(info)}`);
  const s = match.settings;
  const why =
    s.method !== 'nearest' ? `it applies to nearest-neighbour matching on the score, not to ${match.method}`
    : s.replace !== true ? 'it applies to matching with replacement: match with { replace: true }'
    : Array.isArray(s.exact) && s.exact.length > 0 ? 'it has no version for exact strata: drop `exact`'
    : match.counts.unmatchedTreated > 0 || match.counts.discardedTreated > 0 ? 'it needs every treated unit matched (no caliper or common-support rule drops treated units): drop the caliper/discard'
    : pairY ? 'it has no version for pair-level outcomes (pairOutcome)'
    : !match.distance ? 'the match has no distance'
    : null;
  if (why) badArgument('se', `se 'ai-ps' (Abadie–Imbens 2016) is not available here: ${why}; or use se 'ai'`);
  if (fit!.scores.length !== match.nUnits) badArgument('propensity', `the propensity fit has ${fit!.scores.length} units but the match has ${match.nUnits}: pass the fit the match was made from`);
}

/**
 * The Abadie–Imbens (2016) terms for a nearest-neighbour match with replacement: Ŷ(1) for each
 * control from its M nearest treated units on the match distance (ties as the match), then
 * c_t and d (see ./psAdjustment.ts).
 */
function estimatedScoreAdjustment(data: Table, match: MatchResult, fit: PropensityFit, y: Float64Array, name: string, yhat0: Float64Array, tau: number, L: number, information: Information) {
  const n = match.nUnits;
  const d = match.distance!;
  const include = new Uint8Array(n);
  for (let i = 0; i < n; i++) include[i] = match.discarded[i] ? 0 : 1;
  const treatedGroup = sortGroup(d, match.treatment, 1, include);
  const ratio = Number(match.settings.ratio ?? 1);
  const ties = match.settings.ties === true;
  // Every included control's outcome enters d: report all that are missing at once.
  const bad: number[] = [];
  let badCount = 0;
  for (let i = 0; i < n; i++) {
    if (include[i] && !match.treatment[i] && !Number.isFinite(y[i]!)) {
      badCount++;
      if (bad.length < 5) bad.push(i);
    }
  }
  if (badCount > 0) {
    throw new CounterfactError({ code: 'missing_values', column: name, rows: bad, count: badCount, message: `se 'ai-ps' uses every control's outcome, and \`${name}\` is missing for ${badCount} control(s) (${describeRows(bad, badCount)}): impute them, or drop those rows before fitting the score` });
  }
  const effects = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!include[i]) continue;
    effects[i] = match.treatment[i] ? y[i]! - yhat0[i]! : meanOutcome(nearestIn(treatedGroup, d[i]!, ratio, ties, -1), y) - y[i]!;
  }
  const X = standardisedDesign(data, fit);
  const Vtheta = inverseInformation(X, fit.link, fit.treatment, fit.scores, fit.linearPredictor, information);
  return aiPsAdjustment({
    X, y, treatment: match.treatment, scores: fit.scores, f: linkDensity(fit.link, fit.scores, fit.linearPredictor), distance: d,
    unitEffects: effects, tau, estimand: 'ATT', neighbours: L, Vtheta, include,
  });
}

function abadieImbens(
  match: MatchResult,
  y: Float64Array,
  yhat0: Float64Array,
  tau: number,
  n1: number,
  J: number,
  pairY: Float64Array | undefined,
): { se: number; seStandard: number } {
  const p = match.pairs;
  const M = p.treated.length;
  const n = match.nUnits;
  const yc = (m: number) => (pairY ? pairY[m]! : y[p.control[m]!]!);
  // First term: Σ_i (τ_i − τ̂)².
  let s1 = 0;
  for (let i = 0; i < n; i++) {
    if (match.treatment[i] && match.matched[i]) s1 += (y[i]! - yhat0[i]! - tau) ** 2;
  }
  // K_j and KK_j.
  const K = new Float64Array(n);
  const KK = new Float64Array(n);
  for (let m = 0; m < M; m++) {
    const w = p.weight[m]!;
    K[p.control[m]!] += w;
    KK[p.control[m]!] += w * w;
  }
  // Pair-level residual variance (Matching's Var.calc = 0): half the weighted mean of (τ_pair − τ̂)².
  let sw = 0;
  let swe = 0;
  for (let m = 0; m < M; m++) {
    const w = p.weight[m]!;
    sw += w;
    swe += w * (y[p.treated[m]!]! - yc(m) - tau) ** 2;
  }
  const sigmaHomo = (0.5 * swe) / sw;
  let sigma: Float64Array | null = null;
  if (J > 0) sigma = conditionalVariances(match, y, J);
  let s2 = 0;
  for (let j = 0; j < n; j++) {
    if (K[j]! > 0) s2 += (K[j]! * K[j]! - KK[j]!) * (sigma ? sigma[j]! : sigmaHomo);
  }
  const v = (s1 + s2) / (n1 * n1);
  // Matching's se.standard: from the weighted pair residuals, ignoring the reuse of controls.
  return { se: Math.sqrt(v), seStandard: Math.sqrt(swe / (sw * n1)) };
}

/**
 * σ̂²_j as Matching's Var.calc = J: the sample variance (n − 1 divisor) of the outcome over unit
 * j and its J nearest neighbours on the match distance among all non-discarded units of the
 * same treatment group, every unit tied with the J-th kept (ties as Matching: squared
 * standardised distances within `distance.tolerance`, 1e-5). O(n log n + n J).
 */
function conditionalVariances(match: MatchResult, y: Float64Array, J: number): Float64Array {
  const d = match.distance;
  if (!d) badArgument('varMatches', `varMatches ≥ 1 needs a distance to find neighbours; the ${match.method} result has none: use varMatches 0`);
  const n = match.nUnits;
  const out = new Float64Array(n);
  // Matching's distance.tolerance (1e-5) on the squared standardised distance.
  const tol = typeof match.settings.tieTolerance === 'number' ? (match.settings.tieTolerance as number) : 1e-5;
  let mean0 = 0;
  for (let i = 0; i < n; i++) mean0 += d![i]!;
  mean0 /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (d![i]! - mean0) ** 2;
  const variance = ss / (n - 1);
  for (const group of [0, 1]) {
    const idx: number[] = [];
    for (let i = 0; i < n; i++) if (match.treatment[i] === group && !match.discarded[i] && Number.isFinite(y[i]!)) idx.push(i);
    idx.sort((a, b) => d![a]! - d![b]! || a - b);
    const L = idx.length;
    for (let k = 0; k < L; k++) {
      const i = idx[k]!;
      const di = d![i]!;
      // Collect the J nearest (ties at the J-th kept) by walking outward.
      let l = k - 1;
      let r = k + 1;
      const nb: number[] = [];
      let cut = Infinity;
      while (l >= 0 || r < L) {
        const dl = l >= 0 ? di - d![idx[l]!]! : Infinity;
        const dr = r < L ? d![idx[r]!]! - di : Infinity;
        const dist = Math.min(dl, dr);
        if (nb.length >= J && dist > cut) break;
        if (dl <= dr) nb.push(idx[l--]!);
        else nb.push(idx[r++]!);
        // Ties with the J-th distance, on Matching's squared standardised scale.
        if (nb.length === J) cut = Math.sqrt(dist * dist + tol * variance);
      }
      const vals = [y[i]!, ...nb.map((u) => y[u]!)];
      const mv = vals.reduce((acc, v) => acc + v, 0) / vals.length;
      out[i] = vals.length > 1 ? vals.reduce((acc, v) => acc + (v - mv) ** 2, 0) / (vals.length - 1) : 0;
    }
  }
  return out;
}

/** HC1 cluster-robust SE of the treatment coefficient in the weighted regression Y ~ 1 + T. */
function pairsClusterSe(match: MatchResult, y: Float64Array, pairY: Float64Array | undefined): { se: number; method: string } {
  const p = match.pairs;
  const n = match.nUnits;
  const M = p.treated.length;
  // Is any control in more than one matched set?
  const sets = new Int32Array(n).fill(-1);
  let overlap = false;
  for (let m = 0; m < M; m++) {
    const c = p.control[m]!;
    const t = p.treated[m]!;
    if (sets[c] !== -1 && sets[c] !== t) overlap = true;
    sets[c] = t;
    sets[t] = t;
  }
  const rows: { y: number; t: number; w: number; g: number }[] = [];
  let method: string;
  if (pairY) {
    for (let i = 0; i < n; i++) if (match.treatment[i] && match.matched[i]) rows.push({ y: y[i]!, t: 1, w: 1, g: i });
    for (let m = 0; m < M; m++) rows.push({ y: pairY[m]!, t: 0, w: p.weight[m]!, g: p.treated[m]! });
    method = 'pairs (weighted regression, HC1 cluster-robust by matched set, one row per match)';
  } else if (overlap) {
    for (let i = 0; i < n; i++) if (match.matched[i]) rows.push({ y: y[i]!, t: match.treatment[i]!, w: match.weights[i]!, g: i });
    method = 'pairs (weighted regression, HC1 robust by unit: controls are reused, so matched sets overlap)';
  } else {
    for (let i = 0; i < n; i++) if (match.matched[i]) rows.push({ y: y[i]!, t: match.treatment[i]!, w: match.weights[i]!, g: sets[i]! });
    method = 'pairs (weighted regression, HC1 cluster-robust by matched set)';
  }
  return { se: wlsClusterSe(rows), method };
}

/**
 * For Y ~ 1 + T by weighted least squares: the HC1 cluster-robust SE of the T coefficient,
 * V = c (X'WX)⁻¹ [Σ_g u_g u_g'] (X'WX)⁻¹, u_g = Σ_{i∈g} w_i e_i x_i,
 * c = G/(G − 1) · (N − 1)/(N − 2) (sandwich::vcovCL type HC1). With one row per cluster this is
 * the plain HC1 robust SE.
 */
export function wlsClusterSe(rows: readonly { y: number; t: number; w: number; g: number }[]): number {
  let s00 = 0, s01 = 0, s11 = 0, b0 = 0, b1 = 0;
  for (const r of rows) {
    s00 += r.w;
    s01 += r.w * r.t;
    s11 += r.w * r.t * r.t;
    b0 += r.w * r.y;
    b1 += r.w * r.y * r.t;
  }
  const det = s00 * s11 - s01 * s01;
  const i00 = s11 / det, i01 = -s01 / det, i11 = s00 / det;
  const beta0 = i00 * b0 + i01 * b1;
  const beta1 = i01 * b0 + i11 * b1;
  const u = new Map<number, [number, number]>();
  for (const r of rows) {
    const e = r.y - beta0 - beta1 * r.t;
    const cur = u.get(r.g) ?? [0, 0];
    cur[0] += r.w * e;
    cur[1] += r.w * e * r.t;
    u.set(r.g, cur);
  }
  let m00 = 0, m01 = 0, m11 = 0;
  for (const [a, b] of u.values()) {
    m00 += a * a;
    m01 += a * b;
    m11 += b * b;
  }
  // (bread · meat · bread)[1][1]
  const r0 = i01 * m00 + i11 * m01;
  const r1 = i01 * m01 + i11 * m11;
  const v11 = r0 * i01 + r1 * i11;
  const G = u.size;
  const N = rows.length;
  const c = (G / (G - 1)) * ((N - 1) / (N - 2));
  return Math.sqrt(c * v11);
}
