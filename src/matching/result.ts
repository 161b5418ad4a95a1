/**
 * Turning matches into the common MatchResult: unit weights (MatchIt's rule), matched flags
 * and counts. Every matching method ends here, so the contract holds for all of them.
 */
import type { MatchPairs, MatchResult, MatchSettings, UnmatchedUnit } from '../contracts.js';

export interface MatchParts {
  readonly method: string;
  readonly treatment: Uint8Array;
  readonly distance: Float64Array | null;
  readonly pairs: MatchPairs;
  readonly discarded: Uint8Array;
  readonly unmatchedTreated: readonly UnmatchedUnit[];
  readonly settings: MatchSettings;
  readonly warnings: readonly string[];
}

/**
 * Build a MatchResult from pairs: treated weight 1 when matched; a control gets the sum of
 * the pair weights (1/M_i) of the treated it serves, then control weights are rescaled to sum
 * to the number of matched controls (MatchIt). Cost: O(n + matches).
 * @example buildMatchResult({ …, pairs: { treated: [0], control: [2], weight: [1] } }).weights // [1, 0, 1]
 */
export function buildMatchResult(parts: MatchParts): MatchResult {
  const { treatment, pairs } = parts;
  const n = treatment.length;
  const weights = new Float64Array(n);
  const matched = new Uint8Array(n);
  for (let m = 0; m < pairs.treated.length; m++) {
    const t = pairs.treated[m]!;
    const c = pairs.control[m]!;
    weights[t] = 1;
    matched[t] = 1;
    weights[c] += pairs.weight[m]!;
    matched[c] = 1;
  }
  let nT = 0,
    nC = 0,
    mT = 0,
    mC = 0,
    dT = 0,
    dC = 0,
    wC = 0;
  for (let i = 0; i < n; i++) {
    if (treatment[i]) {
      nT++;
      if (matched[i]) mT++;
      if (parts.discarded[i]) dT++;
    } else {
      nC++;
      if (matched[i]) {
        mC++;
        wC += weights[i]!;
      }
      if (parts.discarded[i]) dC++;
    }
  }
  if (wC > 0) {
    const s = mC / wC;
    for (let i = 0; i < n; i++) if (!treatment[i] && matched[i]) weights[i]! *= s;
  }
  return Object.freeze({
    kind: 'MatchResult',
    method: parts.method,
    estimand: 'ATT',
    nUnits: n,
    treatment,
    distance: parts.distance,
    pairs,
    weights,
    matched,
    discarded: parts.discarded,
    unmatchedTreated: parts.unmatchedTreated,
    counts: {
      treated: nT,
      controls: nC,
      matchedTreated: mT,
      matchedControls: mC,
      unmatchedTreated: nT - mT,
      discardedTreated: dT,
      discardedControls: dC,
    },
    settings: parts.settings,
    warnings: parts.warnings,
  });
}
