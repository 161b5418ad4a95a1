/**
 * Sufficient statistics of the Abadie–Imbens (2006) ATT variance, shared by `estimateATT`
 * (src/effects/att.ts) and the sharded runs (src/scale/shards.ts): every quantity is a sum over
 * matched units or matches, so summaries of disjoint strata add up to the statistics of the
 * whole study.
 *
 *   τ_i = Y_i − Σ_m w_m Y_c(m)   (pair weights w_m = 1/M_i, summing to 1 per treated unit)
 *   V   = (1/N1²) [Σ_i (τ_i − τ̂)² + Σ_j (K_j² − KK_j) σ̂²]
 *   σ̂² = ½ Σ_m w_m (Y_t(m) − Y_c(m) − τ̂)² / Σ_m w_m   (Matching's Var.calc = 0)
 *
 * K_j = Σ of the pair weights of control j, KK_j = Σ of their squares.
 */
import type { MatchResult } from '../contracts.js';

export interface AiSums {
  /** Matched treated units. */
  readonly n1: number;
  /** Σ τ_i and Σ τ_i² over matched treated units. */
  readonly sumTau: number;
  readonly sumTau2: number;
  /** Σ Y_i and Σ Ŷ_i(0) over matched treated units. */
  readonly sumY1: number;
  readonly sumY0: number;
  /** Over matches: Σ w_m, Σ w_m (Y_t − Y_c), Σ w_m (Y_t − Y_c)². */
  readonly sumW: number;
  readonly sumWTau: number;
  readonly sumWTau2: number;
  /** Σ_j (K_j² − KK_j): the reuse of controls. */
  readonly sumReuse: number;
}

export interface AiStatistics {
  readonly sums: AiSums;
  /** Ŷ_i(0) = Σ_m w_m Y_c(m) per treated unit (0 elsewhere). */
  readonly yhat0: Float64Array;
  /** K_j and KK_j per unit (0 for units that are not a match). */
  readonly K: Float64Array;
  readonly KK: Float64Array;
}

/**
 * The statistics of one match. `pairY` (one value per match) replaces the control's own outcome
 * in that match: outcomes measured at the treated unit's date, or bias-corrected control
 * outcomes. Missing outcomes must have been rejected before. O(n + matches).
 */
export function aiStatistics(match: MatchResult, y: Float64Array, pairY?: Float64Array): AiStatistics {
  const p = match.pairs;
  const n = match.nUnits;
  const M = p.treated.length;
  const yhat0 = new Float64Array(n);
  const K = new Float64Array(n);
  const KK = new Float64Array(n);
  let sumW = 0,
    sumWTau = 0,
    sumWTau2 = 0;
  for (let m = 0; m < M; m++) {
    const w = p.weight[m]!;
    const c = p.control[m]!;
    const yc = pairY ? pairY[m]! : y[c]!;
    yhat0[p.treated[m]!] += w * yc;
    K[c] += w;
    KK[c] += w * w;
    const d = y[p.treated[m]!]! - yc;
    sumW += w;
    sumWTau += w * d;
    sumWTau2 += w * d * d;
  }
  let n1 = 0,
    sumTau = 0,
    sumTau2 = 0,
    sumY1 = 0,
    sumY0 = 0;
  for (let i = 0; i < n; i++) {
    if (match.treatment[i] && match.matched[i]) {
      const tau = y[i]! - yhat0[i]!;
      n1++;
      sumTau += tau;
      sumTau2 += tau * tau;
      sumY1 += y[i]!;
      sumY0 += yhat0[i]!;
    }
  }
  let sumReuse = 0;
  for (let j = 0; j < n; j++) if (K[j]! > 0) sumReuse += K[j]! * K[j]! - KK[j]!;
  return { sums: { n1, sumTau, sumTau2, sumY1, sumY0, sumW, sumWTau, sumWTau2, sumReuse }, yhat0, K, KK };
}

/** The sums of two disjoint parts (strata, shards). */
export function addAiSums(a: AiSums, b: AiSums): AiSums {
  return {
    n1: a.n1 + b.n1,
    sumTau: a.sumTau + b.sumTau,
    sumTau2: a.sumTau2 + b.sumTau2,
    sumY1: a.sumY1 + b.sumY1,
    sumY0: a.sumY0 + b.sumY0,
    sumW: a.sumW + b.sumW,
    sumWTau: a.sumWTau + b.sumWTau,
    sumWTau2: a.sumWTau2 + b.sumWTau2,
    sumReuse: a.sumReuse + b.sumReuse,
  };
}

export const ZERO_AI_SUMS: AiSums = Object.freeze({ n1: 0, sumTau: 0, sumTau2: 0, sumY1: 0, sumY0: 0, sumW: 0, sumWTau: 0, sumWTau2: 0, sumReuse: 0 });

export interface AiMoments {
  /** τ̂ and the treated / matched-control means. */
  readonly tau: number;
  readonly meanTreated: number;
  readonly meanControl: number;
  /** Σ_i (τ_i − τ̂)². */
  readonly tauSpread: number;
  /** Homoskedastic σ̂² from the weighted pair residuals (Matching's Var.calc = 0). */
  readonly sigmaHomo: number;
  /** The Abadie–Imbens variance with σ̂² = sigmaHomo. */
  readonly variance: number;
  /** Matching's se.standard: from the pair residuals, ignoring the reuse of controls. */
  readonly seStandard: number;
}

/** τ̂, σ̂² and the homoskedastic Abadie–Imbens variance from the sums. O(1). */
export function aiMoments(s: AiSums): AiMoments {
  const meanTreated = s.sumY1 / s.n1;
  const meanControl = s.sumY0 / s.n1;
  const tau = meanTreated - meanControl;
  const tauSpread = Math.max(0, s.sumTau2 - s.n1 * tau * tau);
  const swe = Math.max(0, s.sumWTau2 - 2 * tau * s.sumWTau + tau * tau * s.sumW);
  const sigmaHomo = (0.5 * swe) / s.sumW;
  return {
    tau,
    meanTreated,
    meanControl,
    tauSpread,
    sigmaHomo,
    variance: (tauSpread + sigmaHomo * s.sumReuse) / (s.n1 * s.n1),
    seStandard: Math.sqrt(swe / (s.sumW * s.n1)),
  };
}
