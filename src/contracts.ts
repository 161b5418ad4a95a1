/**
 * The typed, immutable results each pipeline stage produces. Every stage takes earlier results
 * and returns a new one; nothing is mutated. A new matching method only has to produce a
 * {@link MatchResult}: balance, effects, reports and the CLI then work unchanged.
 *
 * Indices are zero-based row positions in the input table.
 */

import type { MatchSettings } from './matching/settings.js';

export type { MatchSettings };

export type Link = 'logit' | 'probit';

export interface Coefficient {
  readonly name: string;
  readonly estimate: number;
  /** Standard error from the inverse Fisher information (as `summary(glm)`). NaN if aliased. */
  readonly se: number;
  /** True when the column was dropped as collinear (R reports NA). */
  readonly aliased: boolean;
}

export interface PropensityDiagnostics {
  /** Quasi/complete separation: fitted probabilities numerically 0 or 1. */
  readonly separation: {
    readonly detected: boolean;
    /** Rows with fitted value within 1e-8 of 0 or 1 (first few) and their count. */
    readonly rows: readonly number[];
    readonly count: number;
    /** Covariates whose coefficients diverge (|z| tiny with huge |estimate|), named for the user. */
    readonly suspects: readonly string[];
  };
  /** Design columns dropped as collinear with earlier ones, or constant. */
  readonly dropped: readonly { readonly column: string; readonly reason: 'collinear' | 'constant' }[];
  readonly warnings: readonly string[];
}

/** Stage 1: the propensity model. */
export interface PropensityFit {
  readonly kind: 'PropensityFit';
  readonly link: Link;
  readonly treatmentColumn: string;
  readonly covariates: readonly string[];
  /** Numeric covariates that were dummy-coded as categorical (the `categorical` option). */
  readonly categorical?: readonly string[];
  /** 0/1 treatment per row. */
  readonly treatment: Uint8Array;
  /** Fitted probabilities P(T = 1 | X) per row. */
  readonly scores: Float64Array;
  /** Linear predictor Xβ per row. */
  readonly linearPredictor: Float64Array;
  /** Intercept first, then one per design column, in design order. */
  readonly coefficients: readonly Coefficient[];
  readonly converged: boolean;
  /** IRLS iterations on all rows (after the warm start, if any). */
  readonly iterations: number;
  /** Present when the fit was warm-started: the subsample's size and its IRLS iterations. */
  readonly warmStart?: { readonly rows: number; readonly iterations: number };
  readonly deviance: number;
  readonly nullDeviance: number;
  readonly diagnostics: PropensityDiagnostics;
}

export type DistanceScale = 'probability' | 'logit' | 'linear';
export type MatchOrder = 'largest' | 'smallest' | 'random' | 'data' | 'closest' | 'farthest';
export type Discard = 'none' | 'treated' | 'control' | 'both';

export type UnmatchedReason = 'discarded' | 'no-control-within-caliper' | 'controls-exhausted' | 'no-control-in-stratum';

export interface UnmatchedUnit {
  readonly index: number;
  readonly reason: UnmatchedReason;
}

/**
 * Matches in columnar form: match m links treated row `treated[m]` to control row `control[m]`
 * with weight `weight[m]` = 1 / (number of matches of that treated unit, ties included).
 * The weights of one treated unit's matches sum to 1.
 */
export interface MatchPairs {
  readonly treated: Int32Array;
  readonly control: Int32Array;
  readonly weight: Float64Array;
}

/** Stage 2: any matching or weighting method. */
export interface MatchResult {
  readonly kind: 'MatchResult';
  /** e.g. 'nearest', 'nearest-exact', 'geographic', 'radius', 'kernel', 'mahalanobis', 'ipw'. */
  readonly method: string;
  /**
   * 'ATT': the treated are the focal group, each matched to controls. 'ATC' (nearest matching
   * with `estimand: 'ATC'`, as MatchIt): the controls are the focal group, each matched to
   * treated units. In an ATC result `treatment` still marks the treated (1) and the controls (0),
   * `counts` count the two groups as they are, but the focal-unit fields are about controls:
   * `pairs.treated[m]` is the focal control row and `pairs.control[m]` a treated row matched to it,
   * `unmatchedTreated` (and `counts.unmatchedTreated`) list the controls left without a match, and
   * `weights` give each matched control 1 and the matched treated the rescaled 1/M weights.
   */
  readonly estimand: 'ATT' | 'ATC';
  readonly nUnits: number;
  readonly treatment: Uint8Array;
  /** The distance the method matched on (e.g. propensity score on the chosen scale), or null. */
  readonly distance: Float64Array | null;
  /** Empty for pure weighting methods. */
  readonly pairs: MatchPairs;
  /**
   * Unit weights as MatchIt: matched treated 1; a control gets the sum over the treated it
   * serves of 1/M_i, then control weights are rescaled to sum to the number of matched
   * controls; unmatched and discarded units 0.
   */
  readonly weights: Float64Array;
  /** 1 if the unit is in the matched sample (weight > 0). */
  readonly matched: Uint8Array;
  /** 1 if dropped by the common-support rule before matching. */
  readonly discarded: Uint8Array;
  /** Treated units left without a match, with the reason. Controls left unmatched are not listed. */
  readonly unmatchedTreated: readonly UnmatchedUnit[];
  readonly counts: {
    readonly treated: number;
    readonly controls: number;
    readonly matchedTreated: number;
    readonly matchedControls: number;
    readonly unmatchedTreated: number;
    readonly discardedTreated: number;
    readonly discardedControls: number;
  };
  /** Every option in force, defaults filled in, including the seed when randomness was used; typed per method. */
  readonly settings: MatchSettings;
  readonly warnings: readonly string[];
}

export interface BalanceRow {
  /** Design column: covariate name, or `name[level]` for a level of a categorical covariate. */
  readonly covariate: string;
  readonly type: 'binary' | 'continuous';
  readonly meanTreatedBefore: number;
  readonly meanControlBefore: number;
  readonly meanTreatedAfter: number;
  readonly meanControlAfter: number;
  /** MatchIt definition: (mean_T − mean_C) / SD of treated in the unmatched sample, binaries too. */
  readonly smdBefore: number;
  readonly smdAfter: number;
  /** cobalt's default for binaries: the raw difference in proportions (continuous: same as SMD). */
  readonly cobaltBefore: number;
  readonly cobaltAfter: number;
  /** var_T / var_C; null for binary covariates. */
  readonly varianceRatioBefore: number | null;
  readonly varianceRatioAfter: number | null;
  readonly ecdfMeanBefore: number;
  readonly ecdfMaxBefore: number;
  readonly ecdfMeanAfter: number;
  readonly ecdfMaxAfter: number;
  /** |smdAfter| ≥ threshold. */
  readonly flagged: boolean;
}

/** Stage 3: balance diagnostics. */
export interface BalanceTable {
  readonly kind: 'BalanceTable';
  readonly rows: readonly BalanceRow[];
  readonly threshold: number;
  readonly summary: {
    readonly flaggedBefore: number;
    readonly flaggedAfter: number;
    readonly maxAbsSmdBefore: number;
    readonly maxAbsSmdAfter: number;
    readonly balanced: boolean;
    /** Effective sample sizes (Kish) of the weighted control group before and after. */
    readonly effectiveControlsAfter: number;
  };
  readonly notes: readonly string[];
}

export type SeMethod = 'ai' | 'ai-ps' | 'pairs' | 'bootstrap' | 'none';

/** Stage 4: a treatment effect. */
export interface EffectEstimate {
  readonly kind: 'EffectEstimate';
  /** 'ATC' when the match was made for the ATC: the effect on the controls (still treated minus control). */
  readonly estimand: 'ATT' | 'ATC';
  readonly outcome: string;
  readonly estimate: number;
  readonly se: number | null;
  /** Matching's `se.standard` (ignores the reuse of controls), for 'ai' only. */
  readonly seStandard?: number | null;
  /** For 'ai-ps': the Abadie–Imbens (2006) SE before the adjustment for the estimated score. */
  readonly seUnadjusted?: number | null;
  readonly ciLower: number | null;
  readonly ciUpper: number | null;
  readonly pValue: number | null;
  readonly meanTreated: number;
  readonly meanControl: number;
  /** Unmatched difference of means, treated minus all controls. */
  readonly naive: number;
  readonly nTreated: number;
  readonly nControls: number;
  /** e.g. 'ai (Abadie–Imbens 2006, varMatches = 0)'. */
  readonly method: string;
  readonly level: number;
  readonly warnings: readonly string[];
}
