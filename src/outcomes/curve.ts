/**
 * Effect curves: the ATT at every horizon after the reference date, on one matched sample.
 */
import type { EffectEstimate, MatchResult } from '../contracts.js';
import { estimateATT } from '../effects/index.js';
import type { Table } from '../data/table.js';
import { statusForMatches, type Spells } from './spells.js';
import { requireAtt } from '../matching/result.js';

export interface CurvePoint {
  readonly horizon: number;
  readonly estimate: number;
  readonly se: number | null;
  readonly ciLower: number | null;
  readonly ciUpper: number | null;
  readonly pValue: number | null;
  readonly meanTreated: number;
  readonly meanControl: number;
  readonly nTreated: number;
}

export interface EffectCurve {
  readonly kind: 'EffectCurve';
  readonly outcome: string;
  readonly unit: 'months';
  readonly points: readonly CurvePoint[];
  readonly method: string;
  /** The full estimate at each horizon. */
  readonly estimates: readonly EffectEstimate[];
}

export interface CurveOptions {
  readonly spells: Spells;
  /** Reference date per unit in days (treated: course end / intake; controls: ignored). */
  readonly referenceDays: Float64Array;
  /** Months after the reference date, e.g. [1, 2, …, 24]. */
  readonly horizons: readonly number[];
  readonly se?: 'ai' | 'pairs' | 'none';
  readonly varMatches?: number;
  readonly level?: number;
  readonly outcomeName?: string;
}

/**
 * ATT on employment at each horizon, controls measured at their treated unit's reference date
 * plus the horizon. Each point equals a single-horizon `estimateATT` on the same match.
 * Cost: O(horizons × (n + matches)).
 * @example estimateATTCurve(table, match, { spells, referenceDays, horizons: [6, 12, 18] }).points[2].estimate // 0.13
 */
export function estimateATTCurve(data: Table, match: MatchResult, options: CurveOptions): EffectCurve {
  requireAtt(match, 'an effect curve over time');
  const name = options.outcomeName ?? 'employed';
  const outcomes = statusForMatches(options.spells, match, options.referenceDays, options.horizons);
  const estimates = outcomes.map((o) =>
    estimateATT(data, match, {
      outcome: o.unitOutcome,
      pairOutcome: o.pairOutcome,
      outcomeName: `${name} at ${o.horizon} months`,
      se: options.se ?? 'ai',
      varMatches: options.varMatches,
      level: options.level,
    }),
  );
  return Object.freeze({
    kind: 'EffectCurve',
    outcome: name,
    unit: 'months',
    points: estimates.map((e, k) => ({
      horizon: options.horizons[k]!,
      estimate: e.estimate,
      se: e.se,
      ciLower: e.ciLower,
      ciUpper: e.ciUpper,
      pValue: e.pValue,
      meanTreated: e.meanTreated,
      meanControl: e.meanControl,
      nTreated: e.nTreated,
    })),
    method: estimates[0]?.method ?? '',
    estimates,
  });
}
