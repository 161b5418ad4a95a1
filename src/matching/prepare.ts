/**
 * The matching design, prepared once (as MatchIt does before dispatching to a method): the
 * distance on the chosen scale, the common-support discard, the caliper width, the exact
 * strata and the scale of Matching's tie tolerance. Every score-based matcher starts from a
 * {@link MatchDesign}; none recomputes these itself.
 */
import type { Discard, DistanceScale, PropensityFit } from '../contracts.js';
import { getColumn, type Table } from '../data/table.js';
import { badArgument, CounterfactError } from '../problems.js';

/** Scores and treatment, for matching without a PropensityFit. */
export interface ScoreInput {
  readonly scores: Float64Array;
  readonly treatment: Uint8Array;
  /** The linear predictor, needed for distance 'linear' (and used by 'logit' when given). */
  readonly linearPredictor?: Float64Array;
}

export function isPropensityFit(x: PropensityFit | ScoreInput): x is PropensityFit {
  return (x as PropensityFit).kind === 'PropensityFit';
}

export interface MatchDesignOptions {
  /**
   * Scale matched on:
   * - 'probability' (default, MatchIt's default): the fitted probability;
   * - 'linear': the linear predictor of the model's link (MatchIt `link = "linear.logit"` or
   *   `"linear.probit"`);
   * - 'logit': the log-odds of the fitted probability, qlogis(p). With the logit link this is the
   *   linear predictor (as 'linear'); with the probit link it is qlogis(pnorm(Xβ)), which MatchIt
   *   has no name for.
   */
  readonly distance?: DistanceScale;
  /** Common-support rule: 'none' (default), 'treated', 'control', 'both' (as MatchIt). */
  readonly discard?: Discard;
  /** Maximum distance between matched units; none by default. */
  readonly caliper?: number;
  /** 'sd' (default, as MatchIt): caliper in SDs of the distance over all non-discarded units; 'raw': in distance units. */
  readonly caliperScale?: 'sd' | 'raw';
  /** Match only within strata of these columns (needs `data`). */
  readonly exact?: readonly string[];
  /** The data, needed for `exact`. */
  readonly data?: Table;
}

/** What every score-based matcher starts from. Immutable. */
export interface MatchDesign {
  readonly kind: 'MatchDesign';
  readonly treatment: Uint8Array;
  /** The distance matched on, per unit. */
  readonly distance: Float64Array;
  readonly distanceScale: DistanceScale;
  readonly discard: Discard;
  /** 1 for units dropped by the common-support rule. */
  readonly discarded: Uint8Array;
  readonly caliper: number | null;
  readonly caliperScale: 'sd' | 'raw';
  /** Caliper in distance units (Infinity without a caliper). */
  readonly caliperWidth: number;
  readonly exact: readonly string[];
  /** Stratum id per unit (first-appearance order), or null without exact matching. */
  readonly strata: Int32Array | null;
  readonly nStrata: number;
  /** Variance of the distance over all units (n − 1 divisor): the scale of Matching's tie tolerance. */
  readonly distanceVariance: number;
}

const SCALES: readonly DistanceScale[] = ['probability', 'logit', 'linear'];
const DISCARDS: readonly Discard[] = ['none', 'treated', 'control', 'both'];

/**
 * The distance on the chosen scale (see {@link MatchDesignOptions.distance}).
 * @throws CounterfactError naming `distance` when the scale cannot be computed, or `scores` for
 *   missing or infinite values.
 */
export function resolveDistance(input: PropensityFit | ScoreInput, scale: DistanceScale = 'probability'): Float64Array {
  if (!SCALES.includes(scale)) badArgument('distance', `distance must be one of ${SCALES.map((s) => `'${s}'`).join(', ')}, received ${JSON.stringify(scale)}`);
  const n = input.treatment.length;
  if (input.scores.length !== n) badArgument('scores', `scores has ${input.scores.length} values but treatment has ${n}`);
  const link = isPropensityFit(input) ? input.link : null;
  const lp = input.linearPredictor ?? null;
  if (scale === 'linear' && !lp) {
    badArgument(
      'distance',
      "distance 'linear' needs the linear predictor: pass a PropensityFit (or linearPredictor with the scores), or use distance 'probability'",
    );
  }
  // 'logit' is the linear predictor itself when the link is logit (or unknown but given).
  const useLp = scale === 'linear' || (scale === 'logit' && lp !== null && link !== 'probit');
  const d = new Float64Array(n);
  const bad: number[] = [];
  let nBad = 0;
  for (let i = 0; i < n; i++) {
    const s = input.scores[i]!;
    let v: number;
    if (scale === 'probability') v = s;
    else if (useLp) v = lp![i]!;
    else {
      if (!(s > 0 && s < 1)) {
        badArgument(
          'distance',
          `distance 'logit' needs scores strictly between 0 and 1, but row ${i + 1} has ${s}: use distance 'linear' (the linear predictor) or 'probability'`,
        );
      }
      v = Math.log(s / (1 - s));
    }
    if (!Number.isFinite(v)) {
      if (bad.length < 5) bad.push(i);
      nBad++;
    }
    d[i] = v;
  }
  if (nBad > 0) {
    throw new CounterfactError({
      code: 'non_finite',
      column: 'scores',
      rows: bad,
      count: nBad,
      message: `${nBad} propensity scores are missing or not finite (rows ${bad.map((r) => r + 1).join(', ')}): check the propensity model`,
    });
  }
  return d;
}

/**
 * Stratum id per row from the exact-matching columns (missing is a level of its own), in order
 * of first appearance. Cost: O(n × columns).
 */
export function strataOf(data: Table, exact: readonly string[]): { strata: Int32Array; nStrata: number } {
  const n = data.nRows;
  let strata = new Int32Array(n);
  let nStrata = 1;
  for (const name of exact) {
    const col = getColumn(data, name, 'exact-matching');
    const codes = new Int32Array(n);
    let nLevels: number;
    if (col.kind === 'categorical') {
      for (let i = 0; i < n; i++) codes[i] = col.codes[i]! + 1; // missing (-1) → 0
      nLevels = col.levels.length + 1;
    } else {
      const ids = new Map<number, number>();
      for (let i = 0; i < n; i++) {
        const v = col.values[i]!;
        const key = Number.isNaN(v) ? NaN : v === 0 ? 0 : v;
        let c = ids.get(key);
        if (c === undefined) ids.set(key, (c = ids.size));
        codes[i] = c;
      }
      nLevels = ids.size;
    }
    // Combine with the strata so far and renumber densely in first-appearance order.
    const next = new Int32Array(n);
    const dense = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const key = strata[i]! * nLevels + codes[i]!;
      let s = dense.get(key);
      if (s === undefined) dense.set(key, (s = dense.size));
      next[i] = s;
    }
    strata = next;
    nStrata = dense.size;
  }
  return { strata, nStrata };
}

/**
 * Prepare the design: distance, discard, caliper width, strata, tie scale.
 * @throws CounterfactError naming the option and the fix for bad options.
 * @example const design = prepareDesign(fit, { caliper: 0.2, distance: 'linear' });
 */
export function prepareDesign(input: PropensityFit | ScoreInput, options: MatchDesignOptions = {}): MatchDesign {
  const treatment = input.treatment;
  const n = treatment.length;
  const scale = options.distance ?? 'probability';
  const discard = options.discard ?? 'none';
  const caliperScale = options.caliperScale ?? 'sd';
  if (options.caliper !== undefined && !(options.caliper > 0 && Number.isFinite(options.caliper))) {
    badArgument('caliper', `caliper must be a positive number, received ${options.caliper}`);
  }
  if (caliperScale !== 'sd' && caliperScale !== 'raw')
    badArgument('caliperScale', `caliperScale must be 'sd' or 'raw', received ${JSON.stringify(caliperScale)}`);
  if (!DISCARDS.includes(discard)) {
    badArgument('discard', `discard must be one of 'none', 'treated', 'control', 'both', received ${JSON.stringify(discard)}`);
  }
  const exact = [...(options.exact ?? [])];
  if (exact.length > 0 && !options.data) {
    badArgument('exact', 'exact matching needs the data: pass options.data (the table the columns come from)');
  }
  if (exact.length > 0 && options.data!.nRows !== n) badArgument('data', `data has ${options.data!.nRows} rows but the scores have ${n}`);
  const d = resolveDistance(input, scale);

  // Common support on the distance.
  const discarded = new Uint8Array(n);
  if (discard !== 'none') {
    let minT = Infinity,
      maxT = -Infinity,
      minC = Infinity,
      maxC = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = d[i]!;
      if (treatment[i]) {
        if (v < minT) minT = v;
        if (v > maxT) maxT = v;
      } else {
        if (v < minC) minC = v;
        if (v > maxC) maxC = v;
      }
    }
    for (let i = 0; i < n; i++) {
      const t = treatment[i];
      const v = d[i]!;
      if (t && (discard === 'treated' || discard === 'both') && (v < minC || v > maxC)) discarded[i] = 1;
      if (!t && (discard === 'control' || discard === 'both') && (v < minT || v > maxT)) discarded[i] = 1;
    }
  }

  // Caliper width: SD over all non-discarded units (n − 1 divisor), as MatchIt.
  let width = Infinity;
  if (options.caliper !== undefined) {
    if (caliperScale === 'raw') width = options.caliper;
    else width = options.caliper * Math.sqrt(variance(d, discarded));
  }
  const { strata, nStrata } = exact.length > 0 ? strataOf(options.data!, exact) : { strata: null, nStrata: 1 };
  return Object.freeze({
    kind: 'MatchDesign',
    treatment,
    distance: d,
    distanceScale: scale,
    discard,
    discarded,
    caliper: options.caliper ?? null,
    caliperScale,
    caliperWidth: width,
    exact,
    strata,
    nStrata,
    distanceVariance: variance(d, null),
  });
}

/** Sample variance (n − 1) of the values not excluded. */
function variance(x: Float64Array, excluded: Uint8Array | null): number {
  let m = 0,
    c = 0;
  for (let i = 0; i < x.length; i++)
    if (!excluded || !excluded[i]) {
      m += x[i]!;
      c++;
    }
  m /= c;
  let ss = 0;
  for (let i = 0; i < x.length; i++) if (!excluded || !excluded[i]) ss += (x[i]! - m) ** 2;
  return ss / (c - 1);
}
