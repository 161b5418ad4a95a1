/**
 * Propensity-score matching as Stata's `teffects psmatch` defines it, for cross-checking: every
 * unit of the target group matched with replacement to its M nearest units of the other group
 * on the estimated score, every tie at the M-th distance kept; Abadie–Imbens (2006) robust
 * variance with conditional variances from the L nearest units of the unit's own group; and the
 * Abadie–Imbens (2016) adjustment for the estimated score (see ./psAdjustment.ts).
 */
import type { PropensityFit } from '../contracts.js';
import { getNumeric, toTable, type TableInput } from '../data/table.js';
import { badArgument, CounterfactError, describeRows } from '../problems.js';
import { normalQuantile, twoSidedP } from '../stats/distributions.js';
import { aiPsAdjustment, inverseInformation, linkDensity, meanOutcome, nearestIn, sortGroup, standardisedDesign, type Information } from './psAdjustment.js';

export interface PsMatchingOptions {
  /** Outcome column, or one value per row. */
  readonly outcome: string | Float64Array;
  /** 'ATT' (default) or 'ATE'. */
  readonly estimand?: 'ATT' | 'ATE';
  /** M: matches per unit (Stata `nneighbor`, default 1). Ties at the M-th distance are all kept. */
  readonly neighbours?: number;
  /** L: own-group neighbours for the conditional variances and covariances (Stata `vce(robust, nn(L))`, default 2). */
  readonly varNeighbours?: number;
  /** V_θ from the 'expected' (default, as the paper and `glm`) or 'observed' information. */
  readonly information?: Information;
  /** Confidence level (default 0.95). */
  readonly level?: number;
  /** Label when `outcome` is an array. */
  readonly outcomeName?: string;
}

export interface PsMatchingEstimate {
  readonly kind: 'PsMatchingEstimate';
  readonly estimand: 'ATT' | 'ATE';
  readonly outcome: string;
  readonly estimate: number;
  /** Abadie–Imbens (2016): adjusted for the estimated propensity score. */
  readonly se: number;
  /** Abadie–Imbens (2006): the score taken as known. */
  readonly seUnadjusted: number;
  readonly ciLower: number;
  readonly ciUpper: number;
  readonly pValue: number;
  readonly nTreated: number;
  readonly nControls: number;
  /** Fewest and most matches a unit received (more than M when there are ties). */
  readonly matches: { readonly min: number; readonly max: number };
  readonly settings: {
    readonly neighbours: number;
    readonly varNeighbours: number;
    readonly information: Information;
    readonly link: string;
    readonly level: number;
  };
  readonly method: string;
  readonly warnings: readonly string[];
}

/**
 * Estimate the ATT or ATE by matching on the estimated propensity score, with the
 * Abadie–Imbens (2016) standard error. Needs the table the score was fitted on (to rebuild the
 * design) and the fit. Cost: O(N (log N + matches + k L) + N k²).
 * @throws CounterfactError for a bad option, a missing outcome, or a group too small to match.
 * @example
 * const fit = fitPropensity(births, { treatment: 'mbsmoke', covariates: [...], link: 'probit' });
 * estimatePSMatching(births, fit, { outcome: 'bweight', estimand: 'ATE' });
 */
export function estimatePSMatching(input: TableInput, fit: PropensityFit, options: PsMatchingOptions): PsMatchingEstimate {
  const table = toTable(input);
  const estimand = options.estimand ?? 'ATT';
  const M = options.neighbours ?? 1;
  const L = options.varNeighbours ?? 2;
  const information = options.information ?? 'expected';
  const level = options.level ?? 0.95;
  if (estimand !== 'ATT' && estimand !== 'ATE') badArgument('estimand', `estimand must be 'ATT' or 'ATE', received ${JSON.stringify(estimand)}`);
  if (!(Number.isInteger(M) && M >= 1)) badArgument('neighbours', `neighbours must be a whole number ≥ 1, received ${M}`);
  if (!(Number.isInteger(L) && L >= 2))
    badArgument('varNeighbours', `varNeighbours must be a whole number ≥ 2 (covariances need two neighbours), received ${L}`);
  if (information !== 'expected' && information !== 'observed')
    badArgument('information', `information must be 'expected' or 'observed', received ${JSON.stringify(information)}`);
  if (!(level > 0 && level < 1)) badArgument('level', `level must be between 0 and 1, received ${level}`);
  const n = table.nRows;
  const name = typeof options.outcome === 'string' ? options.outcome : (options.outcomeName ?? 'outcome');
  const y = typeof options.outcome === 'string' ? getNumeric(table, options.outcome, 'outcome', true) : options.outcome;
  if (y.length !== n) badArgument('outcome', `outcome has ${y.length} values but the data have ${n} rows`);
  const bad: number[] = [];
  let badCount = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(y[i]!)) {
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
      message: `outcome \`${name}\` is missing or not finite for ${badCount} unit(s) (${describeRows(bad, badCount)}): every unit is matched, so impute them or drop those rows before fitting the score`,
    });
  }
  const t = fit.treatment;
  const d = fit.scores;
  const groups = [sortGroup(d, t, 0), sortGroup(d, t, 1)] as const;
  const n1 = groups[1].idx.length;
  const n0 = groups[0].idx.length;
  for (const [g, label] of [
    [n0, 'control'],
    [n1, 'treated'],
  ] as const) {
    if (g < Math.max(M, L + 1)) badArgument('propensity', `only ${g} ${label} unit(s): matching needs at least ${Math.max(M, L + 1)} in each group`);
  }

  // Imputed potential outcomes and how often each unit serves as a match.
  const y1 = Float64Array.from(y);
  const y0 = Float64Array.from(y);
  const K = new Float64Array(n);
  const KK = new Float64Array(n);
  let minM = Infinity;
  let maxM = 0;
  for (let i = 0; i < n; i++) {
    const other = t[i] ? 0 : 1;
    const J = nearestIn(groups[other], d[i]!, M, true, -1);
    if (t[i]) y0[i] = meanOutcome(J, y);
    else y1[i] = meanOutcome(J, y);
    // The ATT uses controls' imputations only for the adjustment (d), not their matches.
    if (estimand === 'ATE' || t[i]) {
      for (const j of J) {
        K[j] += 1 / J.length;
        KK[j] += 1 / J.length ** 2;
      }
      minM = Math.min(minM, J.length);
      maxM = Math.max(maxM, J.length);
    }
  }
  const effects = new Float64Array(n);
  for (let i = 0; i < n; i++) effects[i] = y1[i]! - y0[i]!;
  let tau = 0;
  for (let i = 0; i < n; i++) if (estimand === 'ATE' || t[i]) tau += effects[i]!;
  tau /= estimand === 'ATE' ? n : n1;

  // Conditional variances: σ²_i = h/(h + 1) (Y_i − mean of its h own-group neighbours)².
  const sigma2 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const H = nearestIn(groups[t[i] as 0 | 1], d[i]!, L, true, i);
    const h = H.length;
    sigma2[i] = (h / (h + 1)) * (y[i]! - meanOutcome(H, y)) ** 2;
  }
  let v = 0;
  if (estimand === 'ATE') {
    for (let i = 0; i < n; i++) v += (effects[i]! - tau) ** 2 + (K[i]! ** 2 + 2 * K[i]! - KK[i]!) * sigma2[i]!;
    v /= n * n;
  } else {
    for (let i = 0; i < n; i++) {
      if (t[i]) v += (effects[i]! - tau) ** 2;
      else v += (K[i]! ** 2 - KK[i]!) * sigma2[i]!;
    }
    v /= n1 * n1;
  }

  const X = standardisedDesign(table, fit);
  const Vtheta = inverseInformation(X, fit.link, t, fit.scores, fit.linearPredictor, information);
  const adj = aiPsAdjustment({
    X,
    y,
    treatment: t,
    scores: fit.scores,
    f: linkDensity(fit.link, fit.scores, fit.linearPredictor),
    distance: d,
    unitEffects: effects,
    tau,
    estimand,
    neighbours: L,
    Vtheta,
  });
  const vAdj = v - adj.cVc + adj.dVd;
  if (!(vAdj > 0)) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: 'varNeighbours',
      message: `the adjusted variance is not positive (${vAdj.toPrecision(3)}: the estimated-score correction exceeds the Abadie–Imbens variance); raise varNeighbours or use a larger sample`,
    });
  }
  const warnings: string[] = [];
  if (adj.thinUnits > 0) warnings.push(`${adj.thinUnits} unit-group covariance(s) had fewer than 2 neighbours and were taken as 0`);
  const se = Math.sqrt(vAdj);
  const z = normalQuantile(1 - (1 - level) / 2);
  return Object.freeze({
    kind: 'PsMatchingEstimate',
    estimand,
    outcome: name,
    estimate: tau,
    se,
    seUnadjusted: Math.sqrt(v),
    ciLower: tau - z * se,
    ciUpper: tau + z * se,
    pValue: twoSidedP(tau / se),
    nTreated: n1,
    nControls: n0,
    matches: { min: minM, max: maxM },
    settings: { neighbours: M, varNeighbours: L, information, link: fit.link, level },
    method: `propensity-score matching with replacement, ${M} match(es) and ties; Abadie–Imbens (2016) SE for the estimated score (nn(${L}), ${information} information)`,
    warnings,
  });
}
