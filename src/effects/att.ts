/**
 * The average treatment effect on the treated (ATT) from any MatchResult, with standard
 * errors: Abadie–Imbens (2006) as R Matching's `se`, MatchIt's recommended cluster-robust
 * regression on the matched sample, or none.
 */
import type { EffectEstimate, MatchResult, PropensityFit } from '../contracts.js';
import { getNumeric, toTable, type Table, type TableInput } from '../data/table.js';
import { badArgument, CounterfactError, describeRows } from '../problems.js';
import { buildDesign } from '../data/design.js';
import { normalQuantile, twoSidedP } from '../stats/distributions.js';
import { aiMoments, aiStatistics } from './aiStats.js';
import { matchFacts, ratioOf, tieToleranceOf, tiesOf } from './matchSettings.js';
import { focalView } from '../matching/result.js';
import { scaledColumn, weightedLeastSquares } from './regression.js';
import { seMethod, seMethodProblem, SE_METHOD_NAMES, type SeMethodName } from './seMethods.js';
import { aiPsAdjustment, inverseInformation, linkDensity, meanOutcome, nearestIn, sortGroup, standardisedDesign, type Information } from './psAdjustment.js';

export interface AttOptions {
  /** Outcome column name, or one value per unit. */
  readonly outcome: string | Float64Array;
  /**
   * 'ai' (default), 'ai-ps' (Abadie–Imbens 2016: 'ai' adjusted for the estimated propensity
   * score; needs `propensity`), 'pairs', or 'none'. Declared in ./seMethods.ts (SE_METHODS),
   * which also says where each applies.
   */
  readonly se?: SeMethodName;
  /**
   * Covariates to adjust for the imbalance matching leaves (string columns and `categorical`
   * ones dummy-coded). With se 'ai' or 'none': the Abadie–Imbens (2011) bias-corrected matching
   * estimator, as R Matching::Match(BiasAdjust = TRUE, Z = adjust): each matched control's
   * outcome is moved by μ̂₀(X_treated) − μ̂₀(X_control), μ̂₀ the linear regression of the outcome
   * on the covariates over the matched controls weighted by their use, and the SE is Matching's
   * for that estimator. With se 'pairs': MatchIt's regression on the matched sample,
   * lm(y ~ treat + adjust, weights), the estimate being the treatment coefficient, with the same
   * cluster-robust SE. Not with 'ai-ps'. Default: none.
   */
  readonly adjust?: readonly string[];
  /**
   * For se 'pairs' with `adjust`: 'interacted' (default) fits y ~ treat * (covariates), the
   * covariates centred at the matched treated units' mean, so the treatment coefficient is the
   * g-computation ATT MatchIt's vignette recommends (marginaleffects::avg_comparisons on the
   * treated) and is unbiased when the effect varies with the covariates; 'additive' fits
   * y ~ treat + covariates, a constant-effect model.
   */
  readonly adjustModel?: 'interacted' | 'additive';
  /**
   * For se 'pairs' with `adjust` and the 'interacted' model: true reports the SE of the treatment
   * coefficient alone (lm + sandwich::vcovCL, = marginaleffects::avg_comparisons with the treated
   * as fixed newdata), which is conditional on the treated units' covariates. Default false:
   * the SE for the population ATT, which adds (1/N1²) Σ_treated (τ̂(X_i) − τ̂)², the spread of the
   * fitted effects (as Stata's teffects ra does for the ATET). The two agree when the effect is
   * constant.
   */
  readonly conditionalSe?: boolean;
  /** Numeric columns of `adjust` to dummy-code (default: the propensity fit's `categorical`, if given). */
  readonly categorical?: readonly string[];
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
 * With `adjust`: 'ai'/'none' give the Abadie–Imbens (2011) bias-corrected estimate (as Matching's
 * BiasAdjust), 'pairs' the regression on the matched sample (interacted by default: the same
 * estimate, with a regression SE for the population ATT). Which SE applies to which match is
 * declared in ./seMethods.ts; a method that does not apply is refused with the reason.
 * The CI is normal-based; the p-value two-sided.
 *
 * Cost: O(n + matches); 'ai' with J ≥ 1 adds a sort, O(n log n); `adjust` with k design
 * columns adds O((n + matches) k² + k³).
 * @throws CounterfactError when the outcome is unknown, not numeric or missing for a matched
 *   unit (count and first rows), or when nothing was matched.
 * @example
 * estimateATT(lalonde, matchNearest(fit, { replace: true, ties: true }), { outcome: 're78' })
 * // estimate 1933.39, se 1090.60 (R Matching 4.10: Match(ties = TRUE))
 */
export function estimateATT(input: TableInput, match: MatchResult, options: AttOptions): EffectEstimate {
  if (match.estimand !== 'ATC') return estimateFocal(input, match, options);
  // The ATC: the same estimator with the controls as the focal group, then read back as
  // treated minus control (the estimate and its CI change sign; the SE does not).
  if (options.se === 'ai-ps')
    badArgument(
      'se',
      `se 'ai-ps' is not available here: ${seMethod('ai-ps')!.appliesTo({ ...matchFacts(match), pairOutcome: false, adjust: false, propensity: true })}`,
    );
  const e = estimateFocal(input, focalView(match), options);
  return Object.freeze({
    ...e,
    estimand: 'ATC',
    estimate: -e.estimate,
    ciLower: e.ciUpper === null ? null : -e.ciUpper,
    ciUpper: e.ciLower === null ? null : -e.ciLower,
    meanTreated: e.meanControl,
    meanControl: e.meanTreated,
    naive: -e.naive,
    nTreated: e.nControls,
    nControls: e.nTreated,
  });
}

function estimateFocal(input: TableInput, match: MatchResult, options: AttOptions): EffectEstimate {
  const data: Table = toTable(input);
  const se = options.se ?? 'ai';
  const J = options.varMatches ?? 0;
  const level = options.level ?? 0.95;
  if (!(SE_METHOD_NAMES as readonly string[]).includes(se))
    badArgument('se', `se must be ${SE_METHOD_NAMES.map((x) => `'${x}'`).join(', ')}; received ${JSON.stringify(se)}`);
  if (!(Number.isInteger(J) && J >= 0)) badArgument('varMatches', `varMatches must be a whole number ≥ 0, received ${J}`);
  if (!(level > 0 && level < 1)) badArgument('level', `level must be between 0 and 1, received ${level}`);
  const n = match.nUnits;
  const name = typeof options.outcome === 'string' ? options.outcome : (options.outcomeName ?? 'outcome');
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
  // Weighting and subclass results (ipw, cem, subclass) have weights but no pairs: the estimate is
  // the weighted difference in means, and the SE comes from the weighted regression ('pairs').
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
  const adjust = options.adjust ?? [];
  if (!Array.isArray(adjust)) badArgument('adjust', `adjust must be a list of covariate columns, received ${JSON.stringify(adjust)}`);
  if (options.adjustModel !== undefined && options.adjustModel !== 'interacted' && options.adjustModel !== 'additive') {
    badArgument('adjustModel', `adjustModel must be 'interacted' or 'additive', received ${JSON.stringify(options.adjustModel)}`);
  }
  // Is this SE method defined for this match? (./seMethods.ts; reasons in CLI terms.)
  if (se === 'ai-ps') checkAiPsOptions(options);
  const facts = { ...matchFacts(match), pairOutcome: pairY !== undefined, adjust: adjust.length > 0, propensity: options.propensity !== undefined };
  const why = seMethodProblem(se, facts);
  if (why) badArgument('se', `se '${se}' is not available here: ${why}`);
  if (se === 'ai-ps' && options.propensity!.scores.length !== n) {
    badArgument('propensity', `the propensity fit has ${options.propensity!.scores.length} units but the match has ${n}: pass the fit the match was made from`);
  }

  const warnings: string[] = [];
  // Bias correction (Abadie–Imbens 2011): every match's control outcome moved to the treated
  // unit's covariates by the regression on the matched controls. Regression adjustment ('pairs')
  // happens in the regression itself.
  const Z = adjust.length > 0 ? adjustmentDesign(data, adjust, options) : null;
  let yPair = pairY;
  let adjustedBy = '';
  if (Z && se !== 'pairs') {
    yPair = biasCorrectedOutcomes(match, y, pairY, Z, warnings);
    adjustedBy = `, bias-corrected (Abadie–Imbens 2011) for ${Z.names.join(', ')}`;
  }

  // τ_i per matched treated unit and the Abadie–Imbens sums (./aiStats.ts).
  const stats = aiStatistics(match, y, yPair);
  const moments = aiMoments(stats.sums);
  const n1 = stats.sums.n1;
  let meanTreated = moments.meanTreated;
  let meanControl = moments.meanControl;
  if (M === 0) [meanTreated, meanControl] = weightedMeans(match, y);
  let estimate = meanTreated - meanControl;

  // Naive difference over all units with an outcome.
  let nt = 0,
    st = 0,
    nc = 0,
    sc = 0,
    missingUnmatched = 0;
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
  // With pair-level control outcomes, controls have no outcome of their own: no naive difference.
  if (missingUnmatched > 0 && !pairY) {
    warnings.push(`outcome \`${name}\` is missing for ${missingUnmatched} unmatched unit(s): they are left out of the naive difference only`);
  }

  let seValue: number | null = null;
  let seStandard: number | null = null;
  let seUnadjusted: number | null = null;
  let method = 'none' + adjustedBy;
  if (se === 'ai' || se === 'ai-ps') {
    let v = moments.variance;
    if (J > 0) {
      const sigma = conditionalVariances(match, y, J);
      let s2 = 0;
      for (let j = 0; j < n; j++) if (stats.K[j]! > 0) s2 += (stats.K[j]! ** 2 - stats.KK[j]!) * sigma[j]!;
      v = (moments.tauSpread + s2) / (n1 * n1);
    }
    seValue = Math.sqrt(v);
    // Matching's se.standard is that of the unadjusted pair differences, bias correction or not.
    seStandard = yPair === pairY ? moments.seStandard : aiMoments(aiStatistics(match, y, pairY).sums).seStandard;
    method = `ai (Abadie–Imbens 2006, ${J === 0 ? 'homoskedastic, varMatches = 0' : `heteroskedastic, varMatches = ${J}`}${adjustedBy})`;
    if (se === 'ai-ps') {
      const L = options.psNeighbours ?? 2;
      const information = options.information ?? 'expected';
      const adj = estimatedScoreAdjustment(data, match, options.propensity!, y, name, stats.yhat0, estimate, L, information);
      const va = v - adj.cVc + adj.dVd;
      if (!(va > 0)) {
        throw new CounterfactError({
          code: 'bad_argument',
          column: 'se',
          message: `se 'ai-ps': the adjusted variance is not positive (${va.toPrecision(3)}; the estimated-score correction exceeds the Abadie–Imbens variance): raise psNeighbours or use se 'ai'`,
        });
      }
      if (adj.thinUnits > 0) warnings.push(`se 'ai-ps': ${adj.thinUnits} unit-group covariance(s) had fewer than 2 neighbours and were taken as 0`);
      seUnadjusted = seValue;
      seValue = Math.sqrt(va);
      method = `ai-ps (Abadie–Imbens 2016: Abadie–Imbens 2006 variance, ${J === 0 ? 'varMatches = 0' : `varMatches = ${J}`}, adjusted for the estimated propensity score; covariates from ${L} neighbours, ${information} information)`;
    }
  } else if (se === 'pairs') {
    const r = matchedRegression(match, y, pairY, Z, options.adjustModel ?? 'interacted', options.conditionalSe === true, warnings);
    seValue = r.se;
    method = r.method;
    if (Z) {
      estimate = r.estimate;
      meanControl = meanTreated - estimate;
    }
  }
  // Sums that overflow (outcomes near 1e308) are refused naming the column, never a null estimate.
  let big = 0;
  for (let i = 0; i < n; i++) if (Math.abs(y[i]!) > big) big = Math.abs(y[i]!);
  if (
    n1 > 0 &&
    (!Number.isFinite(estimate) || (nt > 0 && nc > 0 && !Number.isFinite(naive)) || (seValue !== null && !Number.isFinite(seValue) && big > 1e150))
  ) {
    badArgument(
      name,
      `outcome \`${name}\` is too large to average or square in double precision (values up to ${big.toPrecision(3)}): rescale it (e.g. divide by 1e6, in thousands or millions) and run again`,
    );
  }
  // An SE of 0 (1 treated and 1 control, or no variation at all) cannot be estimated: null with a warning, never a zero-width CI.
  if (seValue !== null && !(seValue > 0 && Number.isFinite(seValue))) {
    warnings.push(
      `the ${se} standard error of \`${name}\` cannot be estimated (it comes out ${seValue === 0 ? '0' : 'undefined'}: ${n1} matched treated unit(s)${n1 < 2 ? '' : ', no variation in the outcome differences'}): SE, CI and p-value are left empty`,
    );
    seValue = null;
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

/** The options 'ai-ps' needs (where it applies to the match is ./seMethods.ts's to say). */
function checkAiPsOptions(options: AttOptions): void {
  const fit = options.propensity;
  const L = options.psNeighbours ?? 2;
  if (!fit || fit.kind !== 'PropensityFit') badArgument('propensity', "se 'ai-ps' needs the propensity fit the match used: pass { propensity: fit }");
  if (!(Number.isInteger(L) && L >= 2))
    badArgument('psNeighbours', `psNeighbours must be a whole number ≥ 2 (a covariance needs two neighbours), received ${L}`);
  const info = options.information ?? 'expected';
  if (info !== 'expected' && info !== 'observed') badArgument('information', `information must be 'expected' or 'observed', received ${JSON.stringify(info)}`);
}

/**
 * The Abadie–Imbens (2016) terms for a nearest-neighbour match with replacement: Ŷ(1) for each
 * control from its M nearest treated units on the match distance (ties as the match), then
 * c_t and d (see ./psAdjustment.ts).
 */
function estimatedScoreAdjustment(
  data: Table,
  match: MatchResult,
  fit: PropensityFit,
  y: Float64Array,
  name: string,
  yhat0: Float64Array,
  tau: number,
  L: number,
  information: Information,
) {
  const n = match.nUnits;
  const d = match.distance!;
  const include = new Uint8Array(n);
  for (let i = 0; i < n; i++) include[i] = match.discarded[i] ? 0 : 1;
  const treatedGroup = sortGroup(d, match.treatment, 1, include);
  const ratio = ratioOf(match);
  const ties = tiesOf(match);
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
    throw new CounterfactError({
      code: 'missing_values',
      column: name,
      rows: bad,
      count: badCount,
      message: `se 'ai-ps' uses every control's outcome, and \`${name}\` is missing for ${badCount} control(s) (${describeRows(bad, badCount)}): impute them, or drop those rows before fitting the score`,
    });
  }
  const effects = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!include[i]) continue;
    effects[i] = match.treatment[i] ? y[i]! - yhat0[i]! : meanOutcome(nearestIn(treatedGroup, d[i]!, ratio, ties, -1), y) - y[i]!;
  }
  const X = standardisedDesign(data, fit);
  const Vtheta = inverseInformation(X, fit.link, fit.treatment, fit.scores, fit.linearPredictor, information);
  return aiPsAdjustment({
    X,
    y,
    treatment: match.treatment,
    scores: fit.scores,
    f: linkDensity(fit.link, fit.scores, fit.linearPredictor),
    distance: d,
    unitEffects: effects,
    tau,
    estimand: 'ATT',
    neighbours: L,
    Vtheta,
    include,
  });
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
  const tol = tieToleranceOf(match);
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

/** The covariates of `adjust` as scaled design columns over all units (intercept not included). */
interface AdjustmentDesign {
  readonly names: readonly string[];
  readonly columns: readonly Float64Array[];
}

function adjustmentDesign(data: Table, adjust: readonly string[], options: AttOptions): AdjustmentDesign {
  if (data.nRows === 0) badArgument('adjust', 'adjust needs the data table with the covariate columns: pass the table the match was made from');
  const categorical = options.categorical ?? options.propensity?.categorical ?? [];
  const design = buildDesign(data, adjust, { categorical: categorical.filter((c) => adjust.includes(c)) });
  const all = new Float64Array(data.nRows).fill(1);
  return { names: design.names, columns: design.columns.map((v) => scaledColumn(v, all)) };
}

/**
 * Abadie & Imbens (2011) bias correction, as R Matching's BiasAdjust for the ATT: μ̂₀ is the
 * weighted least-squares regression of the control outcome on [1, Z] over the matches (weight
 * w_m = 1/M_i, so a control counts K_j times, as Matching's Kcount), and each match's control
 * outcome becomes Y_c + μ̂₀(Z_t) − μ̂₀(Z_c). Covariates that are linear combinations of others
 * among the matched controls are dropped (Matching adds a small ridge instead) and named.
 */
function biasCorrectedOutcomes(match: MatchResult, y: Float64Array, pairY: Float64Array | undefined, Z: AdjustmentDesign, warnings: string[]): Float64Array {
  const p = match.pairs;
  const M = p.treated.length;
  const cols: Float64Array[] = [new Float64Array(M).fill(1), ...Z.columns.map((z) => Float64Array.from(p.control, (c) => z[c]!))];
  const yc = Float64Array.from(p.control, (c, m) => (pairY ? pairY[m]! : y[c]!));
  const fit = weightedLeastSquares(cols, yc, Float64Array.from(p.weight), null);
  if (fit.rank === 0)
    badArgument('adjust', 'the regression of the outcome on the adjust covariates over the matched controls cannot be fitted: check the covariates');
  const dropped = Z.names.filter((_, k) => !fit.kept[k + 1]);
  if (dropped.length > 0)
    warnings.push(`adjust: ${dropped.join(', ')} dropped from the bias correction (a linear combination of the other covariates among the matched controls)`);
  const out = new Float64Array(M);
  for (let m = 0; m < M; m++) {
    const t = p.treated[m]!;
    const c = p.control[m]!;
    let shift = 0;
    for (let k = 0; k < Z.columns.length; k++) {
      if (fit.kept[k + 1]) shift += fit.beta[k + 1]! * (Z.columns[k]![t]! - Z.columns[k]![c]!);
    }
    out[m] = yc[m]! + shift;
  }
  return out;
}

/**
 * MatchIt's route: the weighted regression y ~ treat (+ the adjust covariates) on the matched
 * sample, HC1 cluster-robust by matched set (MatchIt's subclass: the treated unit and its
 * controls). When controls are reused (with replacement) sets overlap and the SE is HC1 robust
 * by unit instead (as MatchIt's vignette suggests); with `pairOutcome`, one row per treated unit
 * and per match, clustered by matched set.
 */
/** Weighted means of matched treated and matched control outcomes (the match's unit weights). */
function weightedMeans(match: MatchResult, y: Float64Array): [number, number] {
  let st = 0,
    wt = 0,
    sc = 0,
    wc = 0;
  for (let i = 0; i < match.nUnits; i++) {
    const w = match.weights[i]!;
    if (!(w > 0)) continue;
    if (match.treatment[i]) {
      st += w * y[i]!;
      wt += w;
    } else {
      sc += w * y[i]!;
      wc += w;
    }
  }
  return [st / wt, sc / wc];
}

function matchedRegression(
  match: MatchResult,
  y: Float64Array,
  pairY: Float64Array | undefined,
  Z: AdjustmentDesign | null,
  model: 'interacted' | 'additive',
  conditional: boolean,
  warnings: string[],
): { estimate: number; se: number; method: string } {
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
  const unit: number[] = [],
    ys: number[] = [],
    ts: number[] = [],
    ws: number[] = [],
    gs: number[] = [];
  const row = (u: number, yv: number, t: number, w: number, g: number) => {
    unit.push(u);
    ys.push(yv);
    ts.push(t);
    ws.push(w);
    gs.push(g);
  };
  let how: string;
  // Subclass-based results (cem, subclass) carry a stratum per unit: cluster on it, as MatchIt advises.
  const sub = (match as MatchResult & { subclass?: Int32Array }).subclass;
  if (M === 0) {
    for (let i = 0; i < n; i++) if (match.matched[i]) row(i, y[i]!, match.treatment[i]!, match.weights[i]!, sub ? sub[i]! : i);
    how = sub ? 'HC1 cluster-robust by subclass' : 'HC1 robust by unit (weighting: no matched sets)';
  } else if (pairY) {
    for (let i = 0; i < n; i++) if (match.treatment[i] && match.matched[i]) row(i, y[i]!, 1, 1, i);
    for (let m = 0; m < M; m++) row(p.control[m]!, pairY[m]!, 0, p.weight[m]!, p.treated[m]!);
    how = 'HC1 cluster-robust by matched set, one row per match';
  } else if (overlap) {
    for (let i = 0; i < n; i++) if (match.matched[i]) row(i, y[i]!, match.treatment[i]!, match.weights[i]!, i);
    how = 'HC1 robust by unit: controls are reused, so matched sets overlap';
  } else {
    for (let i = 0; i < n; i++) if (match.matched[i]) row(i, y[i]!, match.treatment[i]!, match.weights[i]!, sets[i]!);
    how = 'HC1 cluster-robust by matched set';
  }
  const w = Float64Array.from(ws);
  const t = Float64Array.from(ts);
  const cols: Float64Array[] = [new Float64Array(ys.length).fill(1), t];
  const names = Z?.names ?? [];
  const zs = (Z?.columns ?? []).map((z) =>
    scaledColumn(
      Float64Array.from(unit, (u) => z[u]!),
      w,
    ),
  );
  if (model === 'interacted') {
    // Centred at the matched treated units' mean, so the treatment coefficient is the average of
    // the fitted Ŷ(1) − Ŷ(0) over them: MatchIt's g-computation for the ATT.
    for (const z of zs) {
      let s = 0,
        c = 0;
      for (let r = 0; r < z.length; r++)
        if (t[r] === 1) {
          s += z[r]!;
          c++;
        }
      const mean = s / c;
      for (let r = 0; r < z.length; r++) z[r]! -= mean;
    }
    cols.push(...zs, ...zs.map((z) => Float64Array.from(z, (v, r) => v * t[r]!)));
  } else cols.push(...zs);
  const fit = weightedLeastSquares(cols, Float64Array.from(ys), w, Int32Array.from(gs));
  if (!fit.kept[1])
    badArgument(
      'adjust',
      'treatment is a linear combination of the adjust covariates in the matched sample: drop the covariate that separates treated from controls',
    );
  const dropped = names.filter((_, k) => !fit.kept[k + 2]);
  const droppedT = model === 'interacted' ? names.filter((_, k) => fit.kept[k + 2] && !fit.kept[k + 2 + names.length]) : [];
  const kept = names.filter((_, k) => fit.kept[k + 2]);
  if (dropped.length > 0)
    warnings.push(
      `adjust: ${dropped.join(', ')} dropped from the regression (constant or a linear combination of the other covariates in the matched sample; lm reports NA)`,
    );
  if (droppedT.length > 0)
    warnings.push(`adjust: the interaction of treatment with ${droppedT.join(', ')} dropped (constant or collinear among the matched treated units)`);
  const rhs = kept.map((k) => ` + ${k}`).join('');
  const formula = !Z
    ? 'weighted regression'
    : model === 'interacted'
      ? `regression on the matched sample, y ~ treat * (${kept.join(' + ')}) with the covariates centred at the treated mean, weighted (g-computation)`
      : `regression on the matched sample, y ~ treat${rhs}, weighted`;
  let se = fit.se[1]!;
  let target = '';
  if (Z && model === 'interacted' && !conditional) {
    // The population ATT also varies with the treated units' covariates: add
    // (1/N1²) Σ_treated (τ̂(X_i) − τ̂)², τ̂(X_i) − τ̂ = γ̂'(X_i − X̄_treated) (the interaction terms).
    const k = zs.length;
    let n1 = 0,
      ss = 0;
    for (let r = 0; r < t.length; r++) {
      if (t[r] !== 1) continue;
      n1++;
      let d = 0;
      for (let j = 0; j < k; j++) if (fit.kept[2 + k + j]) d += fit.beta[2 + k + j]! * zs[j]![r]!;
      ss += d * d;
    }
    se = Math.sqrt(se * se + ss / (n1 * n1));
    target = ', plus the spread of the fitted effects over the treated (population ATT)';
  }
  return { estimate: fit.beta[1]!, se, method: `pairs (${formula}, ${how}${target})` };
}

/**
 * For Y ~ 1 + T by weighted least squares: the HC1 cluster-robust SE of the T coefficient, as
 * sandwich::vcovCL type HC1 (./regression.ts). With one row per cluster this is the plain HC1
 * robust SE.
 */
export function wlsClusterSe(rows: readonly { y: number; t: number; w: number; g: number }[]): number {
  const cols = [new Float64Array(rows.length).fill(1), Float64Array.from(rows, (r) => r.t)];
  const fit = weightedLeastSquares(
    cols,
    Float64Array.from(rows, (r) => r.y),
    Float64Array.from(rows, (r) => r.w),
    Int32Array.from(rows, (r) => r.g),
  );
  return fit.se[1]!;
}
