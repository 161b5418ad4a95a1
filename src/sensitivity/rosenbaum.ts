/**
 * Sensitivity to unobserved confounding for matched pairs with a binary outcome.
 */
import type { EffectEstimate, MatchResult } from '../contracts.js';
import { CounterfactError } from '../problems.js';
import { requireAtt } from '../matching/result.js';

export interface RosenbaumRow {
  readonly gamma: number;
  /** Upper bound of the one-sided p-value (the worst case at this Γ). */
  readonly pUpper: number;
  /** Lower bound. */
  readonly pLower: number;
}

export interface RosenbaumBounds {
  readonly kind: 'RosenbaumBounds';
  /** Discordant pairs where only the treated unit has the outcome / only the control has it. */
  readonly discordantTreated: number;
  readonly discordantControl: number;
  readonly alpha: number;
  readonly rows: readonly RosenbaumRow[];
  /** Smallest Γ on the grid at which the upper-bound p-value exceeds alpha (null: never on the grid). */
  readonly gammaCritical: number | null;
}

/** log C(n, k) by summing logs (exact enough for n in the millions; O(k)). */
function logChoose(n: number, k: number): number {
  k = Math.min(k, n - k);
  let s = 0;
  for (let j = 1; j <= k; j++) s += Math.log(n - k + j) - Math.log(j);
  return s;
}

/** P(X ≥ t) for X ~ Bin(D, p), summed in log space (stable for D in the tens of thousands). */
function upperTail(D: number, t: number, p: number): number {
  if (t <= 0) return 1;
  if (t > D) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  let logTerm = logChoose(D, t) + t * lp + (D - t) * lq;
  let max = logTerm;
  const terms: number[] = [logTerm];
  for (let a = t + 1; a <= D; a++) {
    logTerm += Math.log(D - a + 1) - Math.log(a) + lp - lq;
    terms.push(logTerm);
    if (logTerm > max) max = logTerm;
    if (logTerm < max - 50) break;
  }
  let s = 0;
  for (const x of terms) s += Math.exp(x - max);
  return Math.min(1, Math.exp(max) * s);
}

/**
 * Rosenbaum bounds for matched pairs with a binary outcome (McNemar's test under hidden bias Γ),
 * as rbounds `binarysens`: with D discordant pairs and T the larger discordant count,
 * p⁺ = Γ/(1 + Γ), the upper bound is P(X ≥ T) for X ~ Bin(D, p⁺) and the lower bound uses
 * p⁻ = 1/(1 + Γ). Reference: Rosenbaum (2002), Observational Studies, ch. 4.
 * Cost: O(grid × D) worst case, usually much less (tails are truncated at e⁻⁵⁰).
 * @example rosenbaumBinary({ discordantTreated: 60, discordantControl: 30 }).gammaCritical // 1.5
 */
export function rosenbaumBinary(
  counts: { discordantTreated: number; discordantControl: number },
  options: { gammas?: readonly number[]; alpha?: number } = {},
): RosenbaumBounds {
  const { discordantTreated: a, discordantControl: b } = counts;
  if (![a, b].every((x) => Number.isInteger(x) && x >= 0)) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: 'discordant',
      message: `discordant pair counts must be whole numbers ≥ 0, received ${a} and ${b}`,
    });
  }
  const alpha = options.alpha ?? 0.05;
  const gammas = options.gammas ?? Array.from({ length: 21 }, (_, k) => Math.round((1 + k * 0.1) * 10) / 10);
  const D = a + b;
  const T = Math.max(a, b);
  const rows = gammas.map((g) => {
    if (!(g >= 1)) throw new CounterfactError({ code: 'bad_argument', column: 'gammas', message: `every Γ must be ≥ 1, received ${g}` });
    return { gamma: g, pUpper: upperTail(D, T, g / (1 + g)), pLower: upperTail(D, T, 1 / (1 + g)) };
  });
  const crit = rows.find((r) => r.pUpper > alpha);
  return Object.freeze({ kind: 'RosenbaumBounds', discordantTreated: a, discordantControl: b, alpha, rows, gammaCritical: crit ? crit.gamma : null });
}

/**
 * Discordant-pair counts from a 1:1 match and a binary outcome, then {@link rosenbaumBinary}.
 * @throws CounterfactError when the match is not 1:1 (ratio > 1, ties or weighting) or the
 *   outcome is not 0/1 for a matched unit.
 */
export function rosenbaumFromMatch(
  match: MatchResult,
  outcome: ArrayLike<number>,
  options: { gammas?: readonly number[]; alpha?: number; pairOutcome?: ArrayLike<number> } = {},
): RosenbaumBounds {
  requireAtt(match, 'Rosenbaum bounds');
  const p = match.pairs;
  const seen = new Set<number>();
  for (let m = 0; m < p.treated.length; m++) {
    if (p.weight[m] !== 1 || seen.has(p.treated[m]!)) {
      throw new CounterfactError({
        code: 'bad_argument',
        column: 'match',
        message: 'Rosenbaum bounds for binary outcomes need 1:1 matched pairs: rematch with ratio 1 and without ties',
      });
    }
    seen.add(p.treated[m]!);
  }
  let a = 0,
    b = 0;
  for (let m = 0; m < p.treated.length; m++) {
    const yt = outcome[p.treated[m]!]!;
    const yc = options.pairOutcome ? options.pairOutcome[m]! : outcome[p.control[m]!]!;
    if ((yt !== 0 && yt !== 1) || (yc !== 0 && yc !== 1)) {
      throw new CounterfactError({ code: 'bad_argument', column: 'outcome', message: 'Rosenbaum bounds here need a 0/1 outcome for every matched unit' });
    }
    if (yt === 1 && yc === 0) a++;
    else if (yt === 0 && yc === 1) b++;
  }
  return rosenbaumBinary({ discordantTreated: a, discordantControl: b }, options);
}

export interface EValue {
  readonly kind: 'EValue';
  readonly riskRatio: number;
  readonly eValue: number;
  /** E-value for the CI limit closest to 1 (1 when the CI includes 1). */
  readonly eValueCi: number | null;
  readonly note: string;
}

function ev(rr: number): number {
  const r = rr < 1 ? 1 / rr : rr;
  return r + Math.sqrt(r * (r - 1));
}

/**
 * E-value (VanderWeele & Ding 2017): the minimum strength of association, on the risk-ratio
 * scale, that an unmeasured confounder would need with both treatment and outcome to explain
 * away the estimate: RR + sqrt(RR (RR − 1)) (RR < 1 inverted first).
 * @example eValue(3.9).eValue // 7.26
 */
export function eValue(rr: number, ci: { lower?: number; upper?: number } = {}): EValue {
  if (!(rr > 0 && Number.isFinite(rr)))
    throw new CounterfactError({ code: 'bad_argument', column: 'rr', message: `the risk ratio must be a positive number, received ${rr}` });
  let eCi: number | null = null;
  if (ci.lower !== undefined && ci.upper !== undefined) {
    if (ci.lower <= 1 && ci.upper >= 1) eCi = 1;
    else eCi = ev(rr > 1 ? ci.lower : ci.upper);
  }
  return { kind: 'EValue', riskRatio: rr, eValue: ev(rr), eValueCi: eCi, note: 'VanderWeele & Ding (2017), risk-ratio scale' };
}

/**
 * E-value for an ATT on a binary outcome: RR = mean treated / mean matched control; the CI
 * limits are mapped as (mean control + ATT limit) / mean control, an approximation that treats
 * the control mean as fixed (documented).
 */
export function eValueForATT(effect: Pick<EffectEstimate, 'meanTreated' | 'meanControl' | 'ciLower' | 'ciUpper'>): EValue {
  const c = effect.meanControl;
  if (!(c > 0))
    throw new CounterfactError({ code: 'bad_argument', column: 'meanControl', message: 'the matched control mean must be positive for a risk ratio' });
  const rr = effect.meanTreated / c;
  const ci = effect.ciLower !== null && effect.ciUpper !== null ? { lower: Math.max(1e-9, (c + effect.ciLower) / c), upper: (c + effect.ciUpper) / c } : {};
  return { ...eValue(rr, ci), note: 'VanderWeele & Ding (2017); RR = treated mean / matched control mean, CI mapped with the control mean held fixed' };
}
