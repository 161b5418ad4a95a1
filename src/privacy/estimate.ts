/**
 * Small-cell suppression for `counterfact estimate --min-cell-count N`: the counts table, the
 * JSON object, the sensitivity block and the warnings go through here right before they are
 * printed. Without the flag `estimate` prints every count (it is an analyst's tool on unit
 * data); `counterfact run` always suppresses, with the study's `minCellCount`.
 */
import { suppressEstimateCounts, type EstimateCounts, type PublicCounts, type SuppressionReport } from './study.js';
import { redactSmallCounts } from './suppress.js';

export interface EstimatePrivacy {
  readonly minCellCount: number;
  readonly counts: PublicCounts;
  readonly unmatchedKeptTreated: number | null;
  readonly unmatchedKeptControls: number | null;
  /** The effect rests on fewer than minCellCount matched treated or controls: its numbers are hidden. */
  readonly effectHidden: boolean;
  readonly suppression: SuppressionReport;
}

/** Decide what `estimate` may print. */
export function estimatePrivacy(counts: EstimateCounts, effect: { nTreated: number; nControls: number }, minCellCount: number): EstimatePrivacy {
  const s = suppressEstimateCounts(counts, effect, minCellCount);
  const small = (n: number) => n > 0 && n < minCellCount;
  return {
    minCellCount,
    counts: s.counts,
    unmatchedKeptTreated: s.unmatchedKeptTreated,
    unmatchedKeptControls: s.unmatchedKeptControls,
    effectHidden: small(effect.nTreated) || small(effect.nControls),
    suppression: s.suppression,
  };
}

const EFFECT_KEYS = ['estimate', 'se', 'seUnadjusted', 'ciLower', 'ciUpper', 'pValue', 'meanTreated', 'meanControl', 'naive'];

/** The `estimate --json` object with suppression applied (`counts` nulled where hidden, a `suppression` key added). */
export function privateEstimateJson(json: Record<string, unknown>, p: EstimatePrivacy): Record<string, unknown> {
  const out: Record<string, unknown> = { ...json, counts: p.counts };
  if (p.effectHidden) {
    for (const k of EFFECT_KEYS) if (k in out) out[k] = null;
    if (Array.isArray(out.curve)) out.curve = (out.curve as Record<string, unknown>[]).map((c) => ({ horizon: c.horizon }));
  }
  if (Array.isArray(out.warnings)) out.warnings = (out.warnings as unknown[]).map((w) => (typeof w === 'string' ? redactSmallCounts(w, p.minCellCount) : w));
  if (out.sensitivity && typeof out.sensitivity === 'object') out.sensitivity = privateSensitivity(out.sensitivity as Record<string, unknown>, p.minCellCount);
  out.suppression = {
    ...p.suppression,
    effectHidden: p.effectHidden,
  };
  return out;
}

/** Sensitivity results with small discordant-pair counts hidden. */
export function privateSensitivity(s: Record<string, unknown>, minCellCount: number): Record<string, unknown> {
  const r = s.rosenbaum as Record<string, unknown> | undefined;
  if (!r) return s;
  const hide = (v: unknown) => (typeof v === 'number' && v > 0 && v < minCellCount ? null : v);
  return { ...s, rosenbaum: { ...r, discordantTreated: hide(r.discordantTreated), discordantControl: hide(r.discordantControl) } };
}
