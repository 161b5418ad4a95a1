/**
 * Survival after matching (business survival): weighted Kaplan–Meier with Greenwood variance,
 * survival at chosen times, median, log-rank test, and the treated − control survival
 * difference on a matched sample with an independent-groups or matched-set bootstrap SE.
 * Right censoring: a firm observed for 3 years counts at risk until then, never as a failure.
 */
import type { MatchResult } from '../contracts.js';
import { CounterfactError, describeRows } from '../problems.js';
import type { Rng } from '../random.js';
import { chiSquareCdf, normalQuantile } from '../stats/distributions.js';

export interface SurvivalCurve {
  readonly kind: 'SurvivalCurve';
  /** Distinct observed times (events or censorings), ascending. */
  readonly times: Float64Array;
  readonly nRisk: Float64Array;
  readonly nEvent: Float64Array;
  readonly nCensor: Float64Array;
  readonly survival: Float64Array;
  /** Greenwood standard error on the survival scale (R `summary(survfit)$std.err`). */
  readonly stdErr: Float64Array;
  /** Log-scale confidence limits (survfit's default conf.type = "log"). */
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly level: number;
  /** Σ d/(Y(Y − d)) at each time: the Greenwood sum (variance of log S). */
  readonly greenwood: Float64Array;
}

function validate(time: ArrayLike<number>, event: ArrayLike<number>, weights?: ArrayLike<number>): void {
  const bad: number[] = [];
  let count = 0;
  for (let i = 0; i < time.length; i++) {
    const ok =
      Number.isFinite(time[i]!) && time[i]! >= 0 && (event[i] === 0 || event[i] === 1) && (!weights || (Number.isFinite(weights[i]!) && weights[i]! >= 0));
    if (!ok) {
      count++;
      if (bad.length < 5) bad.push(i);
    }
  }
  if (count) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: 'time/event',
      rows: bad,
      count,
      message: `${count} unit(s) have a missing or negative time, an event that is not 0/1, or a bad weight (${describeRows(bad, count)})`,
    });
  }
  if (time.length !== event.length || (weights && weights.length !== time.length)) {
    throw new CounterfactError({ code: 'bad_argument', column: 'time/event', message: 'time, event and weights must have the same length' });
  }
}

/**
 * Kaplan–Meier estimate S(t) = Π (1 − d_j / Y_j) with weighted events d_j and risk sets Y_j,
 * Greenwood variance S² Σ d_j / (Y_j (Y_j − d_j)) and log-scale CI. Equal to R
 * `survfit(Surv(time, event) ~ 1, weights = w)` (survival 3.x) with integer weights.
 * Cost: O(n log n).
 * @example kaplanMeier(Float64Array.from([1, 2, 2, 3]), Uint8Array.from([1, 1, 0, 1])).survival // [0.75, 0.5, 0]
 */
export function kaplanMeier(time: ArrayLike<number>, event: ArrayLike<number>, weights?: ArrayLike<number>, level = 0.95): SurvivalCurve {
  validate(time, event, weights);
  const g = distinctTimes(time, event, weights);
  const m = g.times.length;
  const surv = new Float64Array(m);
  const gw = new Float64Array(m);
  let s = 1;
  let sum = 0;
  for (let j = 0; j < m; j++) {
    const d = g.nEvent[j]!;
    const y = g.nRisk[j]!;
    if (d > 0) {
      // y is built from the right (suffix sums), so when every unit still at risk has the
      // event y === d exactly and S drops to exactly 0.
      s = d === y ? 0 : s * (1 - d / y);
      sum += y > d ? d / (y * (y - d)) : Infinity;
    }
    surv[j] = s;
    gw[j] = sum;
  }
  const z = normalQuantile(1 - (1 - level) / 2);
  const S = surv;
  const G = gw;
  const se = S.map((v, j) => (v === 0 ? 0 : v * Math.sqrt(G[j]!)));
  const lower = S.map((v, j) => (v > 0 && Number.isFinite(G[j]!) ? v * Math.exp(-z * Math.sqrt(G[j]!)) : NaN));
  const upper = S.map((v, j) => (v > 0 && Number.isFinite(G[j]!) ? Math.min(1, v * Math.exp(z * Math.sqrt(G[j]!))) : NaN));
  return Object.freeze({
    kind: 'SurvivalCurve',
    times: g.times,
    nRisk: g.nRisk,
    nEvent: g.nEvent,
    nCensor: g.nCensor,
    survival: S,
    stdErr: se,
    lower,
    upper,
    level,
    greenwood: G,
  });
}

/**
 * Distinct times with weighted events, censorings and risk sets. The risk set at each time is
 * the sum of the (events + censorings) at that time and every later one, accumulated from the
 * right — never by running subtraction, which leaves 2e-16 where the risk set is empty.
 * Units with weight 0 are left out. Cost: O(n log n).
 */
function distinctTimes(
  time: ArrayLike<number>,
  event: ArrayLike<number>,
  weights?: ArrayLike<number>,
): { times: Float64Array; nRisk: Float64Array; nEvent: Float64Array; nCensor: Float64Array; index: Int32Array } {
  const n = time.length;
  const idx = Array.from({ length: n }, (_, i) => i).filter((i) => !weights || weights[i]! > 0);
  idx.sort((a, b) => time[a]! - time[b]!);
  const times: number[] = [],
    ev: number[] = [],
    cen: number[] = [];
  // index[i]: the distinct-time index of unit i (−1 when left out).
  const index = new Int32Array(n).fill(-1);
  let k = 0;
  while (k < idx.length) {
    const t = time[idx[k]!]!;
    let d = 0;
    let c = 0;
    while (k < idx.length && time[idx[k]!] === t) {
      const i = idx[k]!;
      const w = weights ? weights[i]! : 1;
      if (event[i]) d += w;
      else c += w;
      index[i] = times.length;
      k++;
    }
    times.push(t);
    ev.push(d);
    cen.push(c);
  }
  const m = times.length;
  const risk = new Float64Array(m);
  let acc = 0;
  for (let j = m - 1; j >= 0; j--) {
    // Events first, then censorings: with no censoring at the last time, risk === events exactly.
    acc = ev[j]! + cen[j]! + acc;
    risk[j] = acc;
  }
  return { times: Float64Array.from(times), nRisk: risk, nEvent: Float64Array.from(ev), nCensor: Float64Array.from(cen), index };
}

/** Index of the last curve time ≤ t, or −1. */
function stepIndex(curve: SurvivalCurve, t: number): number {
  let lo = 0,
    hi = curve.times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (curve.times[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * S(t) as a right-continuous step function, with its Greenwood SE and log-scale CI
 * (R `summary(fit, times = t)`). Before the first time S = 1, SE 0.
 */
export function survivalAt(
  curve: SurvivalCurve,
  t: number,
): { time: number; survival: number; stdErr: number; lower: number; upper: number; nRisk: number; greenwood: number } {
  const j = stepIndex(curve, t);
  if (j < 0) return { time: t, survival: 1, stdErr: 0, lower: 1, upper: 1, nRisk: curve.nRisk[0] ?? 0, greenwood: 0 };
  // Risk set at t: units with time ≥ t (survfit's summary reports it for the next time).
  const next = j + 1 < curve.times.length ? curve.nRisk[j + 1]! : 0;
  return {
    time: t,
    survival: curve.survival[j]!,
    stdErr: curve.stdErr[j]!,
    lower: curve.lower[j]!,
    upper: curve.upper[j]!,
    nRisk: curve.times[j] === t ? curve.nRisk[j]! : next,
    greenwood: curve.greenwood[j]!,
  };
}

/**
 * Median survival as R survfit: the first time S(t) ≤ 0.5; if S equals 0.5 exactly over an
 * interval, the midpoint of that interval. null when S never reaches 0.5.
 */
export function medianSurvival(curve: SurvivalCurve): number | null {
  const S = curve.survival;
  for (let j = 0; j < S.length; j++) {
    if (Math.abs(S[j]! - 0.5) < 1e-12 && curve.nEvent[j]! > 0) {
      // Flat at 0.5: midpoint with the next event time.
      for (let k = j + 1; k < S.length; k++) if (curve.nEvent[k]! > 0) return (curve.times[j]! + curve.times[k]!) / 2;
      return curve.times[j]!;
    }
    if (S[j]! < 0.5) return curve.times[j]!;
  }
  return null;
}

export interface LogRankTest {
  readonly kind: 'LogRankTest';
  /** The group values, sorted (numbers ascending, text in code-point order), as survdiff's levels. */
  readonly groups: readonly (number | string)[];
  /** Observed (weighted) events per group, in the order of `groups`. */
  readonly observed: readonly number[];
  /** Expected events per group under no difference. */
  readonly expected: readonly number[];
  /** (O − E)ᵀ V⁻ (O − E), groups with no expected events and the first group left out, as survdiff. */
  readonly chisq: number;
  /** Number of groups with expected events, minus 1 (survdiff's df). */
  readonly df: number;
  readonly pValue: number;
}

/**
 * Log-rank test for k ≥ 2 groups as R `survdiff(Surv(time, event) ~ group)` (rho = 0): chi-square
 * on k − 1 degrees of freedom, each level its own group (levels are never merged). Weights, when
 * given, scale events and risk sets (a weighted generalisation; R's survdiff has no case
 * weights). Cost: O(n log n + times × k²).
 * @throws CounterfactError when fewer than two groups have units, or a group value is missing.
 * @example logRankTest(time, event, [0, 0, 1, 1, 2, 2]).df // 2
 */
export function logRankTest(
  time: ArrayLike<number>,
  event: ArrayLike<number>,
  group: ArrayLike<number | string | null>,
  weights?: ArrayLike<number>,
): LogRankTest {
  validate(time, event, weights);
  const n = time.length;
  if (group.length !== n) {
    throw new CounterfactError({ code: 'bad_argument', column: 'group', message: `group has ${group.length} values but time has ${n}` });
  }
  const keep = (i: number) => !weights || weights[i]! > 0;
  const bad: number[] = [];
  let badCount = 0;
  const values = new Set<number | string>();
  for (let i = 0; i < n; i++) {
    if (!keep(i)) continue;
    const v = group[i];
    if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) {
      badCount++;
      if (bad.length < 5) bad.push(i);
    } else values.add(v);
  }
  if (badCount) {
    throw new CounterfactError({
      code: 'missing_values',
      column: 'group',
      rows: bad,
      count: badCount,
      message: `log-rank test: ${badCount} unit(s) have no group (${describeRows(bad, badCount)}): give every unit a group or leave it out`,
    });
  }
  const levels = [...values].sort((x, y) =>
    typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0,
  );
  const k = levels.length;
  if (k < 2) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: 'group',
      message: `log-rank test needs at least two groups; the data hold ${k === 0 ? 'none' : `only ${JSON.stringify(levels[0])}`}`,
    });
  }
  const code = new Map(levels.map((l, j) => [l, j]));
  const gOf = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) if (keep(i)) gOf[i] = code.get(group[i]!)!;
  const idx = Array.from({ length: n }, (_, i) => i).filter(keep);
  idx.sort((a, b) => time[a]! - time[b]!);
  // Risk sets per group, from the right (suffix sums): no running subtraction.
  const times: number[] = [];
  const dG: number[][] = [];
  const rG: number[][] = [];
  let p = 0;
  while (p < idx.length) {
    const t = time[idx[p]!]!;
    const d = new Array<number>(k).fill(0);
    const r = new Array<number>(k).fill(0);
    while (p < idx.length && time[idx[p]!] === t) {
      const i = idx[p]!;
      const w = weights ? weights[i]! : 1;
      if (event[i]) d[gOf[i]!]! += w;
      r[gOf[i]!]! += w;
      p++;
    }
    times.push(t);
    dG.push(d);
    rG.push(r);
  }
  const nr = new Array<number>(k).fill(0);
  const O = new Array<number>(k).fill(0);
  const E = new Array<number>(k).fill(0);
  const V = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let j = times.length - 1; j >= 0; j--) {
    for (let g = 0; g < k; g++) nr[g] = rG[j]![g]! + nr[g]!;
    let d = 0;
    let N = 0;
    for (let g = 0; g < k; g++) {
      d += dG[j]![g]!;
      N += nr[g]!;
    }
    if (!(d > 0 && N > 0)) continue;
    for (let g = 0; g < k; g++) {
      O[g]! += dG[j]![g]!;
      E[g]! += (d * nr[g]!) / N;
    }
    if (N > 1) {
      const f = (d * (N - d)) / (N - 1);
      for (let a = 0; a < k; a++) {
        const pa = nr[a]! / N;
        for (let b = 0; b < k; b++) V[a]![b]! += f * pa * ((a === b ? 1 : 0) - nr[b]! / N);
      }
    }
  }
  // survdiff: drop the groups with no expected events, then the first remaining one.
  const used = levels.map((_, g) => g).filter((g) => E[g]! > 0);
  const df = used.length - 1;
  let chisq = 0;
  if (df > 0) {
    const rest = used.slice(1);
    const u = rest.map((g) => O[g]! - E[g]!);
    const M = rest.map((a) => rest.map((b) => V[a]![b]!));
    const x = solveSymmetric(M, u);
    if (x === null) {
      throw new CounterfactError({
        code: 'bad_argument',
        column: 'group',
        message: `log-rank test: the variance of the ${k} groups' observed − expected events is singular (groups ${levels.map((l) => JSON.stringify(l)).join(', ')}); combine groups deliberately or test them two at a time`,
      });
    }
    chisq = x.reduce((s, xi, j) => s + xi * u[j]!, 0);
  }
  return Object.freeze({
    kind: 'LogRankTest',
    groups: levels,
    observed: O,
    expected: E,
    chisq,
    df,
    pValue: df > 0 ? 1 - chiSquareCdf(chisq, df) : NaN,
  });
}

/** Solve M x = b for a small symmetric positive (semi)definite M by Gaussian elimination; null when singular. */
function solveSymmetric(M: number[][], b: number[]): number[] | null {
  const n = b.length;
  const A = M.map((row, i) => [...row, b[i]!]);
  const scale = Math.max(...M.map((r, i) => Math.abs(r[i]!)), 0);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[piv]![c]!)) piv = r;
    if (!(Math.abs(A[piv]![c]!) > 1e-12 * scale)) return null;
    [A[c], A[piv]] = [A[piv]!, A[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = A[r]![c]! / A[c]![c]!;
      for (let q = c; q <= n; q++) A[r]![q]! -= f * A[c]![q]!;
    }
  }
  return A.map((row, i) => row[n]! / row[i]!);
}

export interface SurvivalDifferencePoint {
  readonly time: number;
  readonly survivalTreated: number;
  readonly survivalControl: number;
  readonly difference: number;
  /** null when it cannot be estimated (no variation: e.g. no event yet in either group). */
  readonly se: number | null;
  readonly ciLower: number | null;
  readonly ciUpper: number | null;
}

/** One time of the survival curves with the SE the difference uses (`seLabel`) and its log-scale CI. */
export interface SurvivalBandPoint {
  readonly time: number;
  readonly survival: number;
  readonly se: number;
  readonly lower: number;
  readonly upper: number;
}

export type SurvivalSeMethod = 'robust' | 'independent' | 'bootstrap';

export interface SurvivalDifference {
  readonly kind: 'SurvivalDifference';
  readonly points: readonly SurvivalDifferencePoint[];
  readonly treated: SurvivalCurve;
  readonly control: SurvivalCurve;
  /** S and its CI on `bandTimes` for each group, with the robust SE ('robust', 'bootstrap') or Greenwood ('independent'). */
  readonly bands: { readonly treated: readonly SurvivalBandPoint[]; readonly control: readonly SurvivalBandPoint[] };
  readonly logRank: LogRankTest;
  readonly medianTreated: number | null;
  readonly medianControl: number | null;
  readonly se: SurvivalSeMethod;
  /** What the SE is, for every place it is printed, e.g. "robust (clustered by matched set)". */
  readonly seLabel: string;
  /** What the SE of the curve bands is. */
  readonly bandSeLabel: string;
  readonly reps: number | null;
  readonly seed: number | null;
  readonly level: number;
  readonly nTreated: number;
  readonly nControls: number;
  readonly warnings: readonly string[];
}

export const SURVIVAL_SE_LABELS = {
  robust: 'robust (clustered by matched set)',
  robustUnits: 'robust (infinitesimal jackknife, each unit its own cluster: no matched sets)',
  independent: 'Greenwood (independent groups)',
} as const;

/** A unit's share of the influence in a cluster: `share` is its weight (split over the matched sets it is in). */
interface Memberships {
  readonly unit: Int32Array;
  readonly cluster: Int32Array;
  readonly share: Float64Array;
  readonly nClusters: number;
}

/** Everything the influence of a unit on S(t) needs (survival 3.x survfitKM's infinitesimal jackknife). */
interface KmInfluence {
  readonly times: Float64Array;
  readonly S: Float64Array;
  /** Σ_{l ≤ j} d_l / (Y_l (Y_l − d_l)), finite before S reaches 0. */
  readonly A: Float64Array;
  /** 1 / (Y_j − d_j), 0 where Y_j = d_j. */
  readonly inv: Float64Array;
  readonly index: Int32Array;
  readonly event: ArrayLike<number>;
}

function kmInfluence(time: ArrayLike<number>, event: ArrayLike<number>, weights: ArrayLike<number>): KmInfluence {
  const g = distinctTimes(time, event, weights);
  const m = g.times.length;
  const S = new Float64Array(m);
  const A = new Float64Array(m);
  const inv = new Float64Array(m);
  let s = 1;
  let a = 0;
  for (let j = 0; j < m; j++) {
    const d = g.nEvent[j]!;
    const y = g.nRisk[j]!;
    if (d > 0) {
      s = d === y ? 0 : s * (1 - d / y);
      if (y > d) a += d / (y * (y - d));
    }
    S[j] = s;
    A[j] = a;
    inv[j] = y > d ? 1 / (y - d) : 0;
  }
  return { times: g.times, S, A, inv, index: g.index, event };
}

/** Last distinct time index ≤ t, or −1. */
function stepOf(times: Float64Array, t: number): number {
  let lo = 0,
    hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * ∂S(t_j)/∂w_i: −S_j [δ_i 1(k_i ≤ j) / (Y_{k_i} − d_{k_i}) − A_{min(j, k_i)}], the derivative of
 * S_j = Π (1 − d_l / Y_l) with respect to unit i's weight (k_i: its time's index). 0 once S = 0.
 */
function influence(f: KmInfluence, i: number, j: number): number {
  if (j < 0) return 0;
  const s = f.S[j]!;
  if (s === 0) return 0;
  const k = f.index[i]!;
  if (k < 0) return 0;
  const dn = f.event[i] && k <= j ? f.inv[k]! : 0;
  return -s * (dn - f.A[k < j ? k : j]!);
}

/**
 * Robust (infinitesimal-jackknife) standard error of the weighted Kaplan–Meier S(t) at each of
 * `times`, clustered by `cluster` (each unit its own cluster when null): √Σ_c (Σ_{i∈c} w_i ∂S/∂w_i)².
 * Equal to R `summary(survfit(Surv(time, event) ~ 1, weights = w, robust = TRUE, cluster = cluster), times = t)$std.err`
 * (survival 3.5-3, whose default with non-integer weights is this robust SE).
 * Cost: O(n log n + n × times).
 * @example robustSurvivalSe(time, event, w, subclass, [24, 60])
 */
export function robustSurvivalSe(
  time: ArrayLike<number>,
  event: ArrayLike<number>,
  weights: ArrayLike<number> | null,
  cluster: ArrayLike<number> | null,
  times: readonly number[],
): Float64Array {
  const n = time.length;
  const w = weights ?? new Float64Array(n).fill(1);
  validate(time, event, w);
  if (cluster && cluster.length !== n) {
    throw new CounterfactError({ code: 'bad_argument', column: 'cluster', message: `cluster has ${cluster.length} values but time has ${n}` });
  }
  const codes = new Map<number, number>();
  const unit: number[] = [];
  const cl: number[] = [];
  const share: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!(w[i]! > 0)) continue;
    const c = cluster ? cluster[i]! : i;
    if (!codes.has(c)) codes.set(c, codes.size);
    unit.push(i);
    cl.push(codes.get(c)!);
    share.push(w[i]!);
  }
  const f = kmInfluence(time, event, w);
  const mem: Memberships = { unit: Int32Array.from(unit), cluster: Int32Array.from(cl), share: Float64Array.from(share), nClusters: codes.size };
  return Float64Array.from(times, (t) => Math.sqrt(clusterVariance([{ f, mem, sign: 1 }], stepOf, t)));
}

/** Σ_c (Σ_parts sign Σ_{i∈c} share_i ∂S/∂w_i)² at time t, for one curve or a difference of two. */
function clusterVariance(parts: readonly { f: KmInfluence; mem: Memberships; sign: number }[], step: typeof stepOf, t: number): number {
  const nc = Math.max(...parts.map((p) => p.mem.nClusters));
  const acc = new Float64Array(nc);
  for (const { f, mem, sign } of parts) {
    const j = step(f.times, t);
    if (j < 0) continue;
    for (let r = 0; r < mem.unit.length; r++) acc[mem.cluster[r]!]! += sign * mem.share[r]! * influence(f, mem.unit[r]!, j);
  }
  let v = 0;
  for (let c = 0; c < nc; c++) v += acc[c]! * acc[c]!;
  return v;
}

/**
 * Matched-set memberships of the matched units of one group: a focal unit (treated, for the
 * ATT) is in its own set; a matched unit of the other group is in the set of every focal unit it
 * serves, its weight split in proportion to the pair weights — MatchIt's `get_matches` layout
 * with `id = subclass`. Matched units in no pair (weighting methods) are their own cluster.
 */
function matchedSets(match: MatchResult, weights: Float64Array): Memberships & { sets: boolean } {
  const n = match.nUnits;
  const p = match.pairs;
  const pairTotal = new Float64Array(n);
  for (let m = 0; m < p.treated.length; m++) pairTotal[p.control[m]!]! += p.weight[m]!;
  const inPair = new Uint8Array(n);
  for (let m = 0; m < p.treated.length; m++) inPair[p.treated[m]!] = 1;
  const unit: number[] = [];
  const cl: number[] = [];
  const share: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!(weights[i]! > 0)) continue;
    if (inPair[i] || !(pairTotal[i]! > 0)) {
      unit.push(i);
      cl.push(i);
      share.push(weights[i]!);
    }
  }
  for (let m = 0; m < p.treated.length; m++) {
    const c = p.control[m]!;
    if (!(weights[c]! > 0) || !(pairTotal[c]! > 0)) continue;
    unit.push(c);
    cl.push(p.treated[m]!);
    share.push((weights[c]! * p.weight[m]!) / pairTotal[c]!);
  }
  return { unit: Int32Array.from(unit), cluster: Int32Array.from(cl), share: Float64Array.from(share), nClusters: n, sets: p.treated.length > 0 };
}

/**
 * S_T(t) − S_C(t) on a matched sample: Kaplan–Meier of the matched treated (weight 1) and of
 * the matched controls (matching weights), at each time in `times`.
 * SE 'robust' (default, as R survfit with non-integer weights): infinitesimal jackknife clustered
 * by matched set — each curve's SE equals `survfit(…, weights = w, robust = TRUE, id = subclass)`,
 * and the SE of the difference adds the covariance of a treated unit and its own controls.
 * 'independent': the two Greenwood variances (case weights taken as frequencies; too small with
 * matching weights). 'bootstrap': resampling matched sets with the given seeded generator.
 * An SE that cannot be estimated (0: no event yet in either group) is null with a warning.
 * Cost: O(n log n + n × times) ('robust', 'independent'), O(reps × n log n) ('bootstrap').
 * @example survivalDifference(time, event, match, { times: [24, 60] }).points[1].difference // 0.11
 */
export function survivalDifference(
  time: ArrayLike<number>,
  event: ArrayLike<number>,
  match: MatchResult,
  options: { times: readonly number[]; se?: SurvivalSeMethod; reps?: number; rng?: Rng; level?: number; bandTimes?: readonly number[] },
): SurvivalDifference {
  const level = options.level ?? 0.95;
  const seMethod = options.se ?? 'robust';
  if (seMethod !== 'robust' && seMethod !== 'independent' && seMethod !== 'bootstrap')
    throw new CounterfactError({
      code: 'bad_argument',
      column: 'se',
      message: `se must be 'robust', 'independent' or 'bootstrap', received ${JSON.stringify(seMethod)}`,
    });
  const n = match.nUnits;
  if (time.length !== n)
    throw new CounterfactError({ code: 'bad_argument', column: 'time', message: `time has ${time.length} values but the match has ${n} units` });
  if (seMethod === 'bootstrap' && !options.rng)
    throw new CounterfactError({ code: 'bad_argument', column: 'rng', message: "se 'bootstrap' needs a seeded generator: pass rng: createRng(seed)" });
  const wT = new Float64Array(n);
  const wC = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!match.matched[i]) continue;
    if (match.treatment[i]) wT[i] = match.estimand === 'ATC' ? match.weights[i]! : 1;
    else wC[i] = match.weights[i]!;
  }
  const kmT = kaplanMeier(time, event, wT, level);
  const kmC = kaplanMeier(time, event, wC, level);
  const z = normalQuantile(1 - (1 - level) / 2);
  const groups = Float64Array.from(match.treatment);
  const both = new Float64Array(n);
  for (let i = 0; i < n; i++) both[i] = wT[i]! + wC[i]!;
  const logRank = logRankTest(time, event, groups, both);
  const warnings: string[] = [];
  // Robust pieces: influence of each unit on each curve, matched-set memberships.
  const fT = kmInfluence(time, event, wT);
  const fC = kmInfluence(time, event, wC);
  const setsT = matchedSets(match, wT);
  const setsC = matchedSets(match, wC);
  const robustVar = (t: number, which: 'T' | 'C' | 'diff') =>
    clusterVariance(
      which === 'T'
        ? [{ f: fT, mem: setsT, sign: 1 }]
        : which === 'C'
          ? [{ f: fC, mem: setsC, sign: 1 }]
          : [
              { f: fT, mem: setsT, sign: 1 },
              { f: fC, mem: setsC, sign: -1 },
            ],
      stepOf,
      t,
    );
  const robustLabel = setsT.sets ? SURVIVAL_SE_LABELS.robust : SURVIVAL_SE_LABELS.robustUnits;
  let bootSe: number[] | null = null;
  const reps = options.reps ?? 200;
  if (seMethod === 'bootstrap') {
    // Matched sets: treated unit → its (control, pair weight) list.
    const p = match.pairs;
    const treatedList: number[] = [];
    const sets = new Map<number, { c: number; w: number }[]>();
    for (let m = 0; m < p.treated.length; m++) {
      const t = p.treated[m]!;
      if (!sets.has(t)) {
        sets.set(t, []);
        treatedList.push(t);
      }
      sets.get(t)!.push({ c: p.control[m]!, w: p.weight[m]! });
    }
    const draws: number[][] = options.times.map(() => []);
    const bt = new Float64Array(n);
    const bc = new Float64Array(n);
    for (let r = 0; r < reps; r++) {
      bt.fill(0);
      bc.fill(0);
      for (let k = 0; k < treatedList.length; k++) {
        const t = treatedList[options.rng!.int(treatedList.length)]!;
        bt[t]! += 1;
        for (const { c, w } of sets.get(t)!) bc[c]! += w;
      }
      const a = kaplanMeier(time, event, bt, level);
      const b = kaplanMeier(time, event, bc, level);
      options.times.forEach((t, j) => draws[j]!.push(survivalAt(a, t).survival - survivalAt(b, t).survival));
    }
    bootSe = draws.map((d) => {
      const m = d.reduce((s, x) => s + x, 0) / d.length;
      return Math.sqrt(d.reduce((s, x) => s + (x - m) ** 2, 0) / (d.length - 1));
    });
  }
  const seLabel =
    seMethod === 'robust'
      ? robustLabel
      : seMethod === 'independent'
        ? SURVIVAL_SE_LABELS.independent
        : `bootstrap (${reps} resamples of matched sets, seed ${options.rng!.seed})`;
  const points = options.times.map((t, j) => {
    const a = survivalAt(kmT, t);
    const b = survivalAt(kmC, t);
    const diff = a.survival - b.survival;
    const raw = bootSe ? bootSe[j]! : seMethod === 'robust' ? Math.sqrt(robustVar(t, 'diff')) : Math.sqrt(a.stdErr ** 2 + b.stdErr ** 2);
    const ok = Number.isFinite(raw) && raw > 0;
    if (!ok)
      warnings.push(
        `survival difference at ${t}: its ${seLabel} SE cannot be estimated (${Number.isFinite(raw) ? 'no variation: no event by then in either group, or every unit failed' : 'not finite'}); SE and CI left empty`,
      );
    const se = ok ? raw : null;
    return {
      time: t,
      survivalTreated: a.survival,
      survivalControl: b.survival,
      difference: diff,
      se,
      ciLower: ok ? diff - z * raw : null,
      ciUpper: ok ? diff + z * raw : null,
    };
  });
  const greenwoodBands = seMethod === 'independent';
  const band = (curve: SurvivalCurve, which: 'T' | 'C', t: number): SurvivalBandPoint => {
    const s = survivalAt(curve, t);
    const se = greenwoodBands ? s.stdErr : Math.sqrt(robustVar(t, which));
    const logSe = s.survival > 0 ? se / s.survival : NaN;
    return {
      time: t,
      survival: s.survival,
      se,
      lower: s.survival > 0 ? s.survival * Math.exp(-z * logSe) : NaN,
      upper: s.survival > 0 ? Math.min(1, s.survival * Math.exp(z * logSe)) : NaN,
    };
  };
  const bandTimes = options.bandTimes ?? options.times;
  return Object.freeze({
    kind: 'SurvivalDifference',
    points,
    treated: kmT,
    control: kmC,
    bands: { treated: bandTimes.map((t) => band(kmT, 'T', t)), control: bandTimes.map((t) => band(kmC, 'C', t)) },
    logRank,
    medianTreated: medianSurvival(kmT),
    medianControl: medianSurvival(kmC),
    se: seMethod,
    seLabel,
    bandSeLabel: greenwoodBands ? SURVIVAL_SE_LABELS.independent : robustLabel,
    reps: seMethod === 'bootstrap' ? reps : null,
    seed: seMethod === 'bootstrap' ? options.rng!.seed : null,
    level,
    nTreated: match.counts.matchedTreated,
    nControls: match.counts.matchedControls,
    warnings,
  });
}

/**
 * Survival times from dates: months from birth (start) to end (closure), or to the censoring
 * date when the end date is missing or later; event = 1 when the end was observed by then.
 * Months are days / 30.4375. Cost: O(n).
 * @throws CounterfactError for an end before the start or a missing start (naming the rows).
 * @example survivalFromDates([parseDate('2010-01-01')], [NaN], parseDate('2015-01-01')) // { time: [60.02], event: [0] }
 */
export function survivalFromDates(start: ArrayLike<number>, end: ArrayLike<number>, censorDay: number): { time: Float64Array; event: Uint8Array } {
  const n = start.length;
  const time = new Float64Array(n);
  const event = new Uint8Array(n);
  const bad: number[] = [];
  let count = 0;
  for (let i = 0; i < n; i++) {
    const s = start[i]!;
    const e = end[i]!;
    if (!Number.isFinite(s) || s > censorDay || (Number.isFinite(e) && e < s)) {
      count++;
      if (bad.length < 5) bad.push(i);
      continue;
    }
    const observed = Number.isFinite(e) && e <= censorDay;
    time[i] = ((observed ? e : censorDay) - s) / 30.4375;
    event[i] = observed ? 1 : 0;
  }
  if (count) {
    throw new CounterfactError({
      code: 'bad_date',
      column: 'start/end',
      rows: bad,
      count,
      message: `${count} unit(s) have a missing start date, a start after the censoring date, or an end before the start (${describeRows(bad, count)})`,
    });
  }
  return { time, event };
}
