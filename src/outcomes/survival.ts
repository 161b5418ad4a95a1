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
  const n = time.length;
  const idx = Array.from({ length: n }, (_, i) => i).filter((i) => !weights || weights[i]! > 0);
  idx.sort((a, b) => time[a]! - time[b]!);
  let atRisk = 0;
  for (const i of idx) atRisk += weights ? weights[i]! : 1;
  const times: number[] = [],
    risk: number[] = [],
    ev: number[] = [],
    cen: number[] = [],
    surv: number[] = [],
    gw: number[] = [];
  let s = 1;
  let g = 0;
  let k = 0;
  while (k < idx.length) {
    const t = time[idx[k]!]!;
    let d = 0;
    let c = 0;
    const y = atRisk;
    while (k < idx.length && time[idx[k]!] === t) {
      const i = idx[k]!;
      const w = weights ? weights[i]! : 1;
      if (event[i]) d += w;
      else c += w;
      k++;
    }
    if (d > 0) {
      s *= 1 - d / y;
      g += y > d ? d / (y * (y - d)) : Infinity;
    }
    times.push(t);
    risk.push(y);
    ev.push(d);
    cen.push(c);
    surv.push(s);
    gw.push(g);
    atRisk -= d + c;
  }
  const z = normalQuantile(1 - (1 - level) / 2);
  const S = Float64Array.from(surv);
  const G = Float64Array.from(gw);
  const se = S.map((v, j) => v * Math.sqrt(G[j]!));
  const lower = S.map((v, j) => (v > 0 && Number.isFinite(G[j]!) ? v * Math.exp(-z * Math.sqrt(G[j]!)) : NaN));
  const upper = S.map((v, j) => (v > 0 && Number.isFinite(G[j]!) ? Math.min(1, v * Math.exp(z * Math.sqrt(G[j]!))) : NaN));
  return Object.freeze({
    kind: 'SurvivalCurve',
    times: Float64Array.from(times),
    nRisk: Float64Array.from(risk),
    nEvent: Float64Array.from(ev),
    nCensor: Float64Array.from(cen),
    survival: S,
    stdErr: se,
    lower,
    upper,
    level,
    greenwood: G,
  });
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

/**
 * Two-group log-rank test as R `survdiff(Surv(time, event) ~ group)`: chi-square on 1 df.
 * Weights, when given, scale events and risk sets (a weighted generalisation; R's survdiff has
 * no case weights). Cost: O(n log n).
 */
export function logRankTest(time: ArrayLike<number>, event: ArrayLike<number>, group: ArrayLike<number>, weights?: ArrayLike<number>) {
  validate(time, event, weights);
  const n = time.length;
  const idx = Array.from({ length: n }, (_, i) => i).filter((i) => !weights || weights[i]! > 0);
  idx.sort((a, b) => time[a]! - time[b]!);
  let n1 = 0,
    n0 = 0;
  for (const i of idx) {
    const w = weights ? weights[i]! : 1;
    if (group[i]) n1 += w;
    else n0 += w;
  }
  let O1 = 0,
    E1 = 0,
    V = 0,
    O0 = 0;
  let k = 0;
  while (k < idx.length) {
    const t = time[idx[k]!]!;
    let d1 = 0,
      d0 = 0,
      r1 = 0,
      r0 = 0;
    while (k < idx.length && time[idx[k]!] === t) {
      const i = idx[k]!;
      const w = weights ? weights[i]! : 1;
      if (event[i]) {
        if (group[i]) d1 += w;
        else d0 += w;
      }
      if (group[i]) r1 += w;
      else r0 += w;
      k++;
    }
    const d = d1 + d0;
    const N = n1 + n0;
    if (d > 0 && N > 0) {
      O1 += d1;
      O0 += d0;
      E1 += (d * n1) / N;
      if (N > 1) V += (d * (n1 / N) * (1 - n1 / N) * (N - d)) / (N - 1);
    }
    n1 -= r1;
    n0 -= r0;
  }
  const chisq = V > 0 ? (O1 - E1) ** 2 / V : 0;
  return { observed: [O0, O1] as const, expected: [O0 + O1 - E1, E1] as const, chisq, df: 1, pValue: 1 - chiSquareCdf(chisq, 1) };
}

export interface SurvivalDifferencePoint {
  readonly time: number;
  readonly survivalTreated: number;
  readonly survivalControl: number;
  readonly difference: number;
  readonly se: number;
  readonly ciLower: number;
  readonly ciUpper: number;
}

export interface SurvivalDifference {
  readonly kind: 'SurvivalDifference';
  readonly points: readonly SurvivalDifferencePoint[];
  readonly treated: SurvivalCurve;
  readonly control: SurvivalCurve;
  readonly logRank: ReturnType<typeof logRankTest>;
  readonly medianTreated: number | null;
  readonly medianControl: number | null;
  readonly se: 'independent' | 'bootstrap';
  readonly reps: number | null;
  readonly seed: number | null;
  readonly level: number;
  readonly nTreated: number;
  readonly nControls: number;
}

/**
 * S_T(t) − S_C(t) on a matched sample: Kaplan–Meier of the matched treated (weight 1) and of
 * the matched controls (matching weights), at each time in `times`. SE 'independent': from the
 * two Greenwood variances; 'bootstrap': resampling matched sets (a treated unit with its
 * controls) with the given seeded generator — better when controls are reused.
 * Cost: O(n log n) ('independent'), O(reps × n log n) ('bootstrap').
 * @example survivalDifference(time, event, match, { times: [24, 60] }).points[1].difference // 0.11
 */
export function survivalDifference(
  time: ArrayLike<number>,
  event: ArrayLike<number>,
  match: MatchResult,
  options: { times: readonly number[]; se?: 'independent' | 'bootstrap'; reps?: number; rng?: Rng; level?: number },
): SurvivalDifference {
  const level = options.level ?? 0.95;
  const seMethod = options.se ?? 'independent';
  const n = match.nUnits;
  if (time.length !== n)
    throw new CounterfactError({ code: 'bad_argument', column: 'time', message: `time has ${time.length} values but the match has ${n} units` });
  if (seMethod === 'bootstrap' && !options.rng)
    throw new CounterfactError({ code: 'bad_argument', column: 'rng', message: "se 'bootstrap' needs a seeded generator: pass rng: createRng(seed)" });
  const wT = new Float64Array(n);
  const wC = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!match.matched[i]) continue;
    if (match.treatment[i]) wT[i] = 1;
    else wC[i] = match.weights[i]!;
  }
  const kmT = kaplanMeier(time, event, wT, level);
  const kmC = kaplanMeier(time, event, wC, level);
  const z = normalQuantile(1 - (1 - level) / 2);
  const groups = Float64Array.from(match.treatment);
  const both = new Float64Array(n);
  for (let i = 0; i < n; i++) both[i] = wT[i]! + wC[i]!;
  const logRank = logRankTest(time, event, groups, both);
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
  const points = options.times.map((t, j) => {
    const a = survivalAt(kmT, t);
    const b = survivalAt(kmC, t);
    const diff = a.survival - b.survival;
    const se = bootSe ? bootSe[j]! : Math.sqrt(a.stdErr ** 2 + b.stdErr ** 2);
    return { time: t, survivalTreated: a.survival, survivalControl: b.survival, difference: diff, se, ciLower: diff - z * se, ciUpper: diff + z * se };
  });
  return Object.freeze({
    kind: 'SurvivalDifference',
    points,
    treated: kmT,
    control: kmC,
    logRank,
    medianTreated: medianSurvival(kmT),
    medianControl: medianSurvival(kmC),
    se: seMethod,
    reps: seMethod === 'bootstrap' ? reps : null,
    seed: seMethod === 'bootstrap' ? options.rng!.seed : null,
    level,
    nTreated: match.counts.matchedTreated,
    nControls: match.counts.matchedControls,
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
