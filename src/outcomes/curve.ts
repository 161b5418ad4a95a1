/**
 * Effect curves: the ATT at every horizon after the reference date, on one matched sample.
 */
import type { EffectEstimate, MatchResult } from '../contracts.js';
import { estimateATT } from '../effects/index.js';
import type { Table } from '../data/table.js';
import { createRng } from '../random.js';
import { pseudoReferenceDates, statusAt, statusForMatches, type Spells } from './spells.js';

/** Seed of the pseudo reference dates the naive (unmatched) comparison gives controls without one. */
export const NAIVE_PSEUDO_DATE_SEED = 7;
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
  /** Unmatched difference: all treated at their own date + h, all controls at theirs or a seeded pseudo-date (see `naive` on the curve). */
  readonly naive: number | null;
  readonly nTreated: number;
}

export interface EffectCurve {
  readonly kind: 'EffectCurve';
  readonly outcome: string;
  readonly unit: 'months';
  readonly points: readonly CurvePoint[];
  readonly method: string;
  /** The full estimate at each horizon (its `naive` the unmatched difference at that horizon). */
  readonly estimates: readonly EffectEstimate[];
  /** How the naive difference was measured. */
  readonly naive: string;
  /** E.g. horizons that reach past the last date in the spells for some treated units. */
  readonly warnings: readonly string[];
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
  /** Seed of the controls' pseudo reference dates in the naive difference [7]. */
  readonly naiveSeed?: number;
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
  const warnings: string[] = [];
  for (const o of outcomes) {
    if (o.beyondLastDate > 0)
      warnings.push(
        `${name} at ${o.horizon} months: ${o.beyondLastDate} matched treated unit(s) reach it after the last date in the spells, where their employment is unknown; drop that horizon or use spells that reach further`,
      );
  }
  const naive = naiveDifferences(match.treatment, options.spells, options.referenceDays, options.horizons, options.naiveSeed ?? NAIVE_PSEUDO_DATE_SEED);
  const estimates = outcomes.map((o, k) =>
    Object.freeze({
      ...estimateATT(data, match, {
        outcome: o.unitOutcome,
        pairOutcome: o.pairOutcome,
        outcomeName: `${name} at ${o.horizon} months`,
        se: options.se ?? 'ai',
        varMatches: options.varMatches,
        level: options.level,
      }),
      naive: naive[k]!,
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
      naive: Number.isFinite(e.naive) ? e.naive : null,
      nTreated: e.nTreated,
    })),
    method: estimates[0]?.method ?? '',
    estimates,
    naive: `unmatched difference: every treated unit at its own reference date, every control at its own or, without one, at a pseudo-date drawn from the treated dates (seed ${options.naiveSeed ?? NAIVE_PSEUDO_DATE_SEED})`,
    warnings,
  });
}

/**
 * The naive (unmatched) difference in employment at each horizon: mean status of every treated
 * unit with a reference date minus that of every control, controls without a reference date
 * measured at a seeded pseudo-date drawn from the treated dates (`pseudoReferenceDates`).
 * Cost: O(horizons × (units + spells)).
 */
export function naiveDifferences(treatment: Uint8Array, spells: Spells, referenceDays: Float64Array, horizons: readonly number[], seed: number): number[] {
  const pseudo = pseudoReferenceDates(treatment, referenceDays, createRng(seed));
  return statusAt(spells, pseudo, horizons).map((y) => {
    let st = 0,
      nt = 0,
      sc = 0,
      nc = 0;
    for (let i = 0; i < y.length; i++) {
      const v = y[i]!;
      if (!Number.isFinite(v)) continue;
      if (treatment[i]) {
        st += v;
        nt++;
      } else {
        sc += v;
        nc++;
      }
    }
    return nt > 0 && nc > 0 ? st / nt - sc / nc : NaN;
  });
}
