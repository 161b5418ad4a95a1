/**
 * Propensity-score overlap histogram data: 20 bins on [0, 1]; per bin the number of treated and
 * controls before matching, the number of matched treated and controls after matching, and the
 * after-matching sums of the matching weights (what the after-matching plot shows: with
 * replacement a control that serves several treated units counts that many times, so the
 * weighted controls take the treated units' shape when matching worked). Counts are raw here;
 * small cells are hidden by the suppression pass (src/privacy). Browser-safe.
 */
import type { MatchResult } from '../contracts.js';

export interface OverlapBin {
  readonly lo: number;
  readonly hi: number;
  readonly treatedBefore: number | null;
  readonly controlBefore: number | null;
  readonly treatedAfter: number | null;
  readonly controlAfter: number | null;
  /** Σ matching weights of the matched treated in the bin (weight 1 each under the ATT). */
  readonly treatedAfterWeighted: number | null;
  /** Σ matching weights of the matched controls in the bin (MatchIt weights: they sum to the matched-control count). */
  readonly controlAfterWeighted: number | null;
}

/** Cost: O(n). */
export function overlapBins(match: MatchResult, scores: ArrayLike<number>, nBins = 20): OverlapBin[] {
  const bins = Array.from({ length: nBins }, (_, k) => ({ lo: k / nBins, hi: (k + 1) / nBins, tb: 0, cb: 0, ta: 0, ca: 0, tw: 0, cw: 0 }));
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (!Number.isFinite(s)) continue;
    const b = bins[Math.min(nBins - 1, Math.max(0, Math.floor(s * nBins)))]!;
    const w = match.weights[i] ?? 0;
    if (match.treatment[i]) {
      b.tb++;
      if (match.matched[i]) b.ta++, (b.tw += w);
    } else {
      b.cb++;
      if (match.matched[i]) b.ca++, (b.cw += w);
    }
  }
  const round = (x: number) => Math.round(x * 1e9) / 1e9;
  return bins.map((b) => ({
    lo: b.lo,
    hi: b.hi,
    treatedBefore: b.tb,
    controlBefore: b.cb,
    treatedAfter: b.ta,
    controlAfter: b.ca,
    treatedAfterWeighted: round(b.tw),
    controlAfterWeighted: round(b.cw),
  }));
}
