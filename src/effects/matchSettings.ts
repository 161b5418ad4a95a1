/**
 * The one place in src/effects that reads `MatchResult.settings`. Every option the effect
 * estimators depend on (replace, ratio, ties, caliper, exact strata, …) goes through these
 * accessors, so a change in how matchers record their settings is made here only. Field names
 * are the ones the matchers write today (src/matching/nearest.ts and siblings).
 */
import type { MatchResult } from '../contracts.js';

/** The matcher's method as recorded in settings ('nearest', 'mahalanobis', …), else `match.method`. */
export function methodOf(match: MatchResult): string {
  const m: unknown = match.settings.method;
  return typeof m === 'string' ? m : match.method;
}

/** Matching with replacement (controls may serve several treated units). */
export function replaceOf(match: MatchResult): boolean {
  const s = match.settings;
  return 'replace' in s && s.replace === true;
}

/** Controls per treated unit requested (1 when the matcher has no ratio). */
export function ratioOf(match: MatchResult): number {
  const s = match.settings;
  const r = 'ratio' in s ? Number(s.ratio) : 1;
  return Number.isFinite(r) && r >= 1 ? r : 1;
}

/** Ties at the nearest distance kept (R Matching `ties = TRUE`). */
export function tiesOf(match: MatchResult): boolean {
  const s = match.settings;
  return 'ties' in s && s.ties === true;
}

/** Matching's distance.tolerance in force for ties (default 1e-5 when none was recorded). */
export function tieToleranceOf(match: MatchResult): number {
  const s = match.settings;
  const t = 'tieTolerance' in s ? s.tieTolerance : null;
  return typeof t === 'number' ? t : 1e-5;
}

/** The caliper requested (any scale), or null. */
export function caliperOf(match: MatchResult): number | null {
  const s = match.settings;
  const c = 'caliper' in s ? s.caliper : 'caliperKm' in s ? s.caliperKm : null;
  return typeof c === 'number' ? c : null;
}

/** Exact-matching columns (empty when none). */
export function exactOf(match: MatchResult): readonly string[] {
  const s = match.settings;
  const e: unknown = 'exact' in s ? s.exact : null;
  return Array.isArray(e) ? (e as readonly string[]) : [];
}

/** Common-support rule ('none' when the matcher has none). */
export function discardOf(match: MatchResult): string {
  const s = match.settings;
  const d: unknown = 'discard' in s ? s.discard : null;
  return typeof d === 'string' ? d : 'none';
}

/**
 * What an SE method needs to know about a match to say whether it applies, in plain fields so
 * that a study file or CLI can describe a planned match the same way before matching.
 */
export interface MatchFacts {
  /** 'nearest', 'mahalanobis', 'kernel', 'ipw', … */
  readonly method: string;
  readonly replace: boolean;
  readonly ratio: number;
  readonly ties: boolean;
  readonly caliper: number | null;
  readonly exact: readonly string[];
  /** The match has a distance (score) to find neighbours on. */
  readonly hasDistance: boolean;
  /** The match has pairs (false for pure weighting). */
  readonly hasPairs: boolean;
  /**
   * Treated units left unmatched, discarded ones included. Before matching, when it is not yet
   * known, count a caliper or a discard rule as possibly dropping treated units (1).
   */
  readonly droppedTreated: number;
  /** 'ATC' when the controls are the focal group (nearest matching with estimand ATC). */
  readonly estimand?: 'ATT' | 'ATC';
}

/** The facts of an actual match. */
export function matchFacts(match: MatchResult): MatchFacts {
  return {
    method: methodOf(match),
    replace: replaceOf(match),
    ratio: ratioOf(match),
    ties: tiesOf(match),
    caliper: caliperOf(match),
    exact: exactOf(match),
    hasDistance: match.distance !== null,
    hasPairs: match.pairs.treated.length > 0,
    droppedTreated: Math.max(match.counts.unmatchedTreated, match.counts.discardedTreated),
    estimand: match.estimand,
  };
}
