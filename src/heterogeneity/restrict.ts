/**
 * Restricting a MatchResult to a subset of its treated units: the matched sets of those
 * treated units, with weights recomputed exactly as the MatchResult contract defines them.
 * Used for subgroup effects (where matching was exact on the moderator, so sets never mix
 * subgroups) and for effects by arm.
 */
import type { MatchResult, UnmatchedUnit } from '../contracts.js';
import { requireAtt } from '../matching/result.js';

/**
 * The matched sets of the treated units with `keepTreated[i] = 1`, as a new MatchResult.
 * Cost: O(n + matches).
 * @example restrictMatch(match, subgroupMask).counts.matchedTreated // treated of the subgroup that were matched
 */
export function restrictMatch(match: MatchResult, keepTreated: Uint8Array, label = 'subset'): MatchResult {
  requireAtt(match, 'restricting a match to a subgroup');
  const n = match.nUnits;
  const p = match.pairs;
  let m = 0;
  for (let k = 0; k < p.treated.length; k++) if (keepTreated[p.treated[k]!]) m++;
  const treated = new Int32Array(m);
  const control = new Int32Array(m);
  const weight = new Float64Array(m);
  const weights = new Float64Array(n);
  const matched = new Uint8Array(n);
  let j = 0;
  for (let k = 0; k < p.treated.length; k++) {
    const t = p.treated[k]!;
    if (!keepTreated[t]) continue;
    treated[j] = t;
    control[j] = p.control[k]!;
    weight[j] = p.weight[k]!;
    weights[t] = 1;
    matched[t] = 1;
    weights[p.control[k]!] += p.weight[k]!;
    matched[p.control[k]!] = 1;
    j++;
  }
  // Pure weighting methods (no pairs): keep the weights of kept treated and of all controls.
  if (p.treated.length === 0) {
    for (let i = 0; i < n; i++) {
      if (match.treatment[i] ? keepTreated[i] : 1) {
        weights[i] = match.weights[i]!;
        matched[i] = match.matched[i]!;
      }
    }
  }
  let nc = 0;
  let wsum = 0;
  let nt = 0;
  let mt = 0;
  let dt = 0;
  let dc = 0;
  for (let i = 0; i < n; i++) {
    if (match.treatment[i]) {
      if (keepTreated[i]) {
        nt++;
        if (matched[i]) mt++;
        if (match.discarded[i]) dt++;
      }
    } else {
      if (matched[i]) {
        nc++;
        wsum += weights[i]!;
      }
      if (match.discarded[i]) dc++;
    }
  }
  if (p.treated.length > 0 && wsum > 0) {
    const scale = nc / wsum;
    for (let i = 0; i < n; i++) if (!match.treatment[i] && matched[i]) weights[i]! *= scale;
  }
  let controls = 0;
  for (let i = 0; i < n; i++) if (!match.treatment[i]) controls++;
  const unmatchedTreated: UnmatchedUnit[] = match.unmatchedTreated.filter((u) => keepTreated[u.index]);
  return Object.freeze({
    ...match,
    pairs: { treated, control, weight },
    weights,
    matched,
    unmatchedTreated,
    counts: {
      treated: nt,
      controls,
      matchedTreated: mt,
      matchedControls: nc,
      unmatchedTreated: unmatchedTreated.length,
      discardedTreated: dt,
      discardedControls: dc,
    },
    settings: { ...match.settings, restrictedTo: label },
  });
}
