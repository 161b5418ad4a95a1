/**
 * Subgroup effects: re-match with exact matching on the moderator (so every matched set lies
 * inside one subgroup), then estimate the ATT within each subgroup from its own matched sets.
 * The overall ATT of the same match equals the treated-weighted mean of the subgroup ATTs, so
 * each subgroup's difference from the overall effect has an exact variance under independence
 * across subgroups (no control is shared between exact strata).
 */
import type { EffectEstimate, MatchResult } from '../contracts.js';
import { estimateATT } from '../effects/index.js';
import { evaluateDesign, type DesignResult, type EvaluateSpec } from '../evaluate.js';
import { statusForMatches, type Spells } from '../outcomes/spells.js';
import { columnLabels, compareCodePoints, getColumn, toTable, type TableInput } from '../data/table.js';
import { resolveTreatment } from '../data/design.js';
import { badArgument, CounterfactError, describeRows } from '../problems.js';
import { matchingMethod } from '../matching/methods.js';
import { twoSidedP } from '../stats/distributions.js';
import { restrictMatch } from './restrict.js';

export interface SubgroupOptions {
  /** Moderator column (categorical, or numeric read as labels). */
  readonly by: string;
  /** Cells with fewer matched treated or matched controls than this are suppressed (default 10). */
  readonly minCellCount?: number;
  /** Display labels for moderator values, e.g. { '1': 'long-term unemployed' }. */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Employment from spells instead of an outcome column: status `horizon` months after each
   * treated unit's reference date, controls measured at their treated unit's date.
   */
  readonly spellOutcome?: { readonly spells: Spells; readonly referenceDays: Float64Array; readonly horizon: number };
  /**
   * The moderator describes the programme (course hours, course sector), so only treated units
   * have it: subgroups are the matched sets of the treated in each level of one overall match
   * (no exact re-matching; controls' values may be missing).
   */
  readonly treatedOnly?: boolean;
}

export interface SubgroupRow {
  readonly subgroup: string;
  /** True when the cell is under `minCellCount`: every number below is then null. */
  readonly suppressed: boolean;
  readonly nTreated: number | null;
  readonly nControls: number | null;
  readonly estimate: number | null;
  readonly se: number | null;
  readonly ciLower: number | null;
  readonly ciUpper: number | null;
  readonly pValue: number | null;
  readonly meanTreated: number | null;
  readonly meanControl: number | null;
  /** Subgroup ATT minus the overall ATT, with SE and a two-sided z-test. */
  readonly difference: number | null;
  readonly differenceSe: number | null;
  readonly differencePValue: number | null;
  readonly note: string | null;
}

export interface SubgroupEffects {
  readonly kind: 'SubgroupEffects';
  readonly by: string;
  readonly outcome: string;
  readonly overall: EffectEstimate;
  readonly rows: readonly SubgroupRow[];
  readonly minCellCount: number;
  /** The design (match exact on the moderator) the subgroup effects come from. */
  readonly evaluation: DesignResult;
}

/**
 * ATT by subgroup, re-matching exactly on the moderator.
 * Cost: one `evaluate` plus O(n) per subgroup.
 * @throws CounterfactError for an unknown or incomplete moderator column, or a bad minCellCount.
 * @example
 * const s = estimateBySubgroup(data, spec, { by: 'age_band', minCellCount: 10 });
 * s.rows.map((r) => [r.subgroup, r.estimate]); // [['<30', 0.15], ['30-49', 0.12], ['50+', null]] (50+ suppressed)
 */
export function estimateBySubgroup(data: TableInput, spec: Omit<EvaluateSpec, 'outcome'> & { outcome?: string }, options: SubgroupOptions): SubgroupEffects {
  const table = toTable(data);
  const minCell = options.minCellCount ?? 10;
  if (!(Number.isInteger(minCell) && minCell >= 0)) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: 'minCellCount',
      message: `minCellCount must be a non-negative whole number, received ${minCell}`,
    });
  }
  const labels = columnLabels(getColumn(table, options.by, 'subgroup'));
  const missing: number[] = [];
  let missingCount = 0;
  const treatedFlag = options.treatedOnly ? resolveTreatment(table, spec.treatment, spec.treatedValue) : null;
  labels.forEach((l, i) => {
    if (l === null && (!treatedFlag || treatedFlag[i] === 1)) {
      missingCount++;
      if (missing.length < 5) missing.push(i);
    }
  });
  if (missingCount > 0) {
    throw new CounterfactError({
      code: 'missing_values',
      column: options.by,
      rows: missing,
      count: missingCount,
      message: `subgroup column \`${options.by}\` has ${missingCount} missing values (${describeRows(missing, missingCount)}): recode them as their own level (e.g. "unknown") or drop those rows`,
    });
  }
  const prior = Array.isArray(spec.matching?.exact) ? (spec.matching.exact as string[]) : [];
  const methodName = spec.matching?.method ?? 'nearest';
  if (!options.treatedOnly && !('exact' in matchingMethod(methodName).options)) {
    badArgument(
      'by',
      `a subgroup re-matches exactly on \`${options.by}\`, and ${methodName} matching has no exact strata: use nearest or geographic matching, or treatedOnly: true`,
    );
  }
  const exact = options.treatedOnly ? prior : [...new Set([...prior, options.by])];
  const evaluation = evaluateDesign(table, { ...spec, matching: { ...(spec.matching ?? {}), exact } });
  const match = evaluation.match;
  const level = spec.level ?? 0.95;
  if (!spec.outcome && !options.spellOutcome) {
    throw new CounterfactError({ code: 'bad_argument', column: 'outcome', message: 'give an outcome column, or spellOutcome for employment from spells' });
  }
  const effectOf = (m: MatchResult): EffectEstimate => {
    if (options.spellOutcome) {
      const o = options.spellOutcome;
      const [st] = statusForMatches(o.spells, m, o.referenceDays, [o.horizon]);
      return estimateATT(table, m, {
        outcome: st!.unitOutcome,
        pairOutcome: st!.pairOutcome,
        outcomeName: `employed at ${o.horizon} months`,
        se: spec.se ?? 'ai',
        varMatches: spec.varMatches,
        level,
      });
    }
    return estimateATT(table, m, { outcome: spec.outcome!, se: spec.se ?? 'ai', varMatches: spec.varMatches, level });
  };
  const overall = effectOf(match);
  const levels = [...new Set(labels.filter((l): l is string => l !== null))].sort(compareCodePoints);

  // First pass: per-subgroup estimates.
  const per = levels.map((g) => {
    const mask = new Uint8Array(table.nRows);
    for (let i = 0; i < table.nRows; i++) if (match.treatment[i] && labels[i] === g) mask[i] = 1;
    const sub = restrictMatch(match, mask, `${options.by} = ${g}`);
    const effect = sub.counts.matchedTreated > 0 ? effectOf(sub) : null;
    return { g, sub, effect };
  });
  const totalMatched = per.reduce((s, x) => s + x.sub.counts.matchedTreated, 0);
  const rows: SubgroupRow[] = per.map(({ g, sub, effect }) => {
    const label = options.labels?.[g] ?? g;
    const nT = sub.counts.matchedTreated;
    const nC = sub.counts.matchedControls;
    const suppressed = nT < minCell || nC < minCell;
    if (suppressed || !effect) {
      return {
        subgroup: label,
        suppressed,
        nTreated: suppressed ? null : nT,
        nControls: suppressed ? null : nC,
        estimate: null,
        se: null,
        ciLower: null,
        ciUpper: null,
        pValue: null,
        meanTreated: null,
        meanControl: null,
        difference: null,
        differenceSe: null,
        differencePValue: null,
        note: suppressed ? `fewer than ${minCell} matched treated or controls: suppressed` : 'no matched treated units in this subgroup',
      };
    }
    // Var(τ_g − τ) with τ = Σ_h w_h τ_h, subgroups independent: (1 − w_g)² V_g + Σ_{h≠g} w_h² V_h.
    const wg = nT / totalMatched;
    let v = 0;
    let seAvailable = true;
    for (const other of per) {
      if (!other.effect) continue;
      const wh = other.sub.counts.matchedTreated / totalMatched;
      const se = other.effect.se;
      if (se === null) {
        seAvailable = false;
        break;
      }
      v += other.g === g ? (1 - wg) ** 2 * se * se : wh * wh * se * se;
    }
    const difference = effect.estimate - overall.estimate;
    const dse = seAvailable ? Math.sqrt(v) : null;
    return {
      subgroup: label,
      suppressed: false,
      nTreated: nT,
      nControls: nC,
      estimate: effect.estimate,
      se: effect.se,
      ciLower: effect.ciLower,
      ciUpper: effect.ciUpper,
      pValue: effect.pValue,
      meanTreated: effect.meanTreated,
      meanControl: effect.meanControl,
      difference,
      differenceSe: dse,
      differencePValue: dse && dse > 0 ? twoSidedP(difference / dse) : null,
      note: null,
    };
  });
  return Object.freeze({ kind: 'SubgroupEffects', by: options.by, outcome: overall.outcome, overall, rows, minCellCount: minCell, evaluation });
}
