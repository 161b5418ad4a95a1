/**
 * Turning matches into the common MatchResult: unit weights (MatchIt's rule), matched flags
 * and counts. Every matching method ends here, so the contract holds for all of them.
 */
import type { MatchPairs, MatchResult, MatchSettings, UnmatchedUnit } from '../contracts.js';
import { CounterfactError } from '../problems.js';

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

/**
 * An ATC result from a match made with the controls as the focal group (`treatment` flipped):
 * `treatment` and the group counts back in the user's terms, the focal fields left as they are.
 * See {@link MatchResult.estimand}.
 */
export function asAtc(focalMatch: MatchResult, treatment: Uint8Array): MatchResult {
  const warnings = focalMatch.warnings.map((w) => w.replaceAll('treated unit(s)', 'control unit(s) (the focal group for the ATC)'));
  return Object.freeze({
    ...focalMatch,
    estimand: 'ATC',
    treatment,
    counts: swapGroups(focalMatch.counts),
    settings: { ...focalMatch.settings, estimand: 'ATC' } as MatchSettings,
    warnings,
  });
}

/**
 * The match seen from its focal group, for code written for the ATT (effects, balance): for an
 * ATC result, `treatment` flipped so the focal controls read as 1 and the counts swapped back.
 * The identity for an ATT result.
 */
export function focalView(match: MatchResult): MatchResult {
  if (match.estimand !== 'ATC') return match;
  return Object.freeze({
    ...match,
    estimand: 'ATT',
    treatment: Uint8Array.from(match.treatment, (t) => 1 - t),
    counts: swapGroups(match.counts),
  });
}

/**
 * The counts with treated and controls exchanged (focal terms ↔ the user's terms); the
 * unmatched count is of focal units either way, so it stays.
 */
function swapGroups(c: MatchResult['counts']): MatchResult['counts'] {
  return {
    treated: c.controls,
    controls: c.treated,
    matchedTreated: c.matchedControls,
    matchedControls: c.matchedTreated,
    unmatchedTreated: c.unmatchedTreated,
    discardedTreated: c.discardedControls,
    discardedControls: c.discardedTreated,
  };
}

/**
 * Refuse an ATC match where only the ATT is defined (curves over time, subgroups, Rosenbaum
 * bounds, the simulated confounder): names what refused and the fix.
 */
export function requireAtt(match: MatchResult, what: string): void {
  if (match.estimand === 'ATC') {
    throw new CounterfactError({
      code: 'bad_argument',
      column: 'estimand',
      message: `${what} is defined for the ATT only, and this match was made for the ATC (estimand 'ATC', CLI --estimand ATC): match for the ATT, or estimate the ATC on a single outcome`,
    });
  }
}
