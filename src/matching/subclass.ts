/**
 * Propensity-score subclassification for the ATT, with MatchIt 4.7 `method = "subclass"`
 * semantics: subclass boundaries at quantiles of the score among the treated, units placed by
 * interval, empty subclasses filled by moving the nearest units in ("scooting", `minN`), and
 * subclass weights (treated 1, a control n_treated / n_control of its subclass, rescaled so the
 * control weights sum to the number of matched controls). Also the shared pieces of stratified
 * methods: R's type-7 quantile, R's `seq(length.out =)`, and the weights from subclasses.
 */
import type { DistanceScale, Discard, MatchResult, PropensityFit, UnmatchedUnit } from '../contracts.js';
import { badArgument, CounterfactError } from '../problems.js';
import { prepareDesign, type ScoreInput } from './prepare.js';
import type { MatchSettings } from './settings.js';
import { buildMatchResult } from './result.js';

/** A MatchResult of a stratified method, with each unit's subclass. */
export interface SubclassMatchResult extends MatchResult {
  /**
   * Subclass of each unit, numbered 1 … `subclassCount` as MatchIt's `subclass` factor labels;
   * 0 for a unit in no subclass (discarded, or in a stratum without both groups).
   */
  readonly subclass: Int32Array;
  /** Number of subclasses that hold matched units. */
  readonly subclassCount: number;
}

/** Result of {@link subclassify}: also the score cut points (MatchIt's `q.cut`). */
export interface PropensitySubclassResult extends SubclassMatchResult {
  /**
   * Boundaries on the distance scale: the quantiles of the treated units' distance (first is
   * their minimum, last their maximum). With `minN` > 0 units may have been moved across them.
   */
  readonly cutpoints: Float64Array;
}

export interface SubclassOptions {
  /**
   * Number of subclasses (whole number ≥ 2; default 6), or the quantile probabilities of the
   * inner boundaries (numbers in [0, 1]; 0 and 1 are added when missing), as MatchIt's `subclass`.
   */
  readonly subclass?: number | readonly number[];
  /**
   * Minimum number of treated and of control units per subclass (whole number ≥ 0; default 1,
   * as MatchIt's `min.n`). Short subclasses are filled by moving in the nearest units of
   * neighbouring subclasses. 0: subclasses lacking either group are dropped instead.
   */
  readonly minN?: number;
  /**
   * Scale the quantiles are taken on: 'probability' (default, as MatchIt's `distance = "glm"`);
   * 'linear': the linear predictor (MatchIt `link = "linear.logit"` / `"linear.probit"`);
   * 'logit': qlogis(score) (the linear predictor under the logit link).
   */
  readonly distance?: DistanceScale;
  /** Common-support rule before subclassing: 'none' (default), 'treated', 'control', 'both' (as MatchIt). */
  readonly discard?: Discard;
}

/**
 * R's `seq(from, to, length.out = n)`: the end points exactly, inner points
 * `from + k * ((to − from) / (n − 1))`, so boundaries agree with R to the last bit.
 * @internal
 */
export function rSeqLength(from: number, to: number, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 1) {
    out[0] = from;
    return out;
  }
  if (n === 2) {
    out[0] = from;
    out[1] = to;
    return out;
  }
  if (from === to) return out.fill(from);
  const n1 = n - 1;
  const by = (to - from) / n1;
  out[0] = from;
  for (let k = 1; k < n1; k++) out[k] = from + k * by;
  out[n1] = to;
  return out;
}

/**
 * R's default (type 7) sample quantile of `sorted` (ascending, non-empty) at probabilities `p`,
 * with R's arithmetic: index 1 + (n − 1)p; between order statistics (1 − h)·x_lo + h·x_hi.
 * @internal
 */
export function rQuantile7(sorted: Float64Array, p: ArrayLike<number>): Float64Array {
  const n = sorted.length;
  const out = new Float64Array(p.length);
  for (let k = 0; k < p.length; k++) {
    const index = 1 + Math.max(n - 1, 0) * p[k]!;
    const lo = Math.floor(index);
    const hi = Math.ceil(index);
    const qs = sorted[lo - 1]!;
    const xh = sorted[hi - 1]!;
    if (index > lo && xh !== qs) {
      const h = index - lo;
      out[k] = (1 - h) * qs + h * xh;
    } else out[k] = qs;
  }
  return out;
}

/**
 * Build the stratified MatchResult from 1-based subclass labels (0 = none), as MatchIt's
 * get_weights_from_subclass for the ATT followed by matchit()'s normalisation: treated 1, a
 * control n_treated(s) / n_control(s), then control weights × (number of matched controls) /
 * (their sum). Units in no subclass get weight 0. Cost: O(n).
 * @internal
 */
export function buildSubclassResult(args: {
  method: string;
  treatment: Uint8Array;
  distance: Float64Array | null;
  subclass: Int32Array;
  subclassCount: number;
  discarded: Uint8Array;
  unmatchedTreated: readonly UnmatchedUnit[];
  settings: MatchSettings;
  warnings: readonly string[];
}): SubclassMatchResult {
  const { treatment, subclass, subclassCount: S } = args;
  const n = treatment.length;
  const nT = new Float64Array(S + 1);
  const nC = new Float64Array(S + 1);
  for (let i = 0; i < n; i++) {
    const s = subclass[i]!;
    if (s === 0) continue;
    if (treatment[i]) nT[s]!++;
    else nC[s]!++;
  }
  const ratio = new Float64Array(S + 1);
  for (let s = 1; s <= S; s++) ratio[s] = nT[s]! / nC[s]!;
  const weights = new Float64Array(n);
  const matched = new Uint8Array(n);
  let mT = 0,
    mC = 0,
    wC = 0;
  for (let i = 0; i < n; i++) {
    const s = subclass[i]!;
    if (s === 0) continue;
    if (treatment[i]) {
      weights[i] = 1;
      mT++;
    } else {
      weights[i] = ratio[s]!;
      mC++;
      wC += weights[i]!;
    }
    matched[i] = 1;
  }
  // matchit(normalize = TRUE): control weights × (count) / (sum), in that order as R.
  for (let i = 0; i < n; i++) if (matched[i] && !treatment[i]) weights[i] = (mC * weights[i]!) / wC;
  const base = buildMatchResult({
    method: args.method,
    treatment,
    distance: args.distance,
    pairs: { treated: new Int32Array(0), control: new Int32Array(0), weight: new Float64Array(0) },
    discarded: args.discarded,
    unmatchedTreated: args.unmatchedTreated,
    settings: args.settings,
    warnings: args.warnings,
  });
  return Object.freeze({
    ...base,
    weights,
    matched,
    counts: { ...base.counts, matchedTreated: mT, matchedControls: mC, unmatchedTreated: base.counts.treated - mT },
    subclass,
    subclassCount: S,
  });
}

/**
 * MatchIt's subclass_scoot: while a subclass has fewer than `minN` units of a group, move into
 * it the unit of that group nearest in distance from the nearest non-empty subclass on the side
 * with the larger surplus. `sub` holds 0-based consecutive subclass indices of kept units; it
 * is changed in place.
 */
function scoot(sub: Int32Array, treat: Uint8Array, x: Float64Array, nsub: number, minN: number): void {
  const n = sub.length;
  const groups: number[] = [];
  for (let i = 0; i < n && groups.length < 2; i++) if (!groups.includes(treat[i]!)) groups.push(treat[i]!);
  const tab = new Float64Array(nsub);
  for (const g of groups) {
    const ind: number[] = [];
    for (let i = 0; i < n; i++) if (treat[i] === g) ind.push(i);
    tab.fill(0);
    for (const i of ind) tab[sub[i]!]!++;
    for (let m = 0; m < minN; m++) {
      for (;;) {
        let s = -1;
        for (let k = 0; k < nsub; k++)
          if (tab[k]! <= 0) {
            s = k;
            break;
          }
        if (s < 0) break;
        let left: boolean;
        if (s === nsub - 1) left = true;
        else if (s === 0) left = false;
        else {
          let score = 0;
          for (let s2 = 0; s2 < nsub; s2++) {
            if (tab[s2]! <= 1 || s2 === s) continue;
            score += (tab[s2]! - 1) / (s2 - s);
          }
          left = score <= 0;
        }
        let s2 = s;
        if (left) {
          for (s2 = s - 1; s2 >= 0; s2--) if (tab[s2]! > 0) break;
        } else {
          for (s2 = s + 1; s2 < nsub; s2++) if (tab[s2]! > 0) break;
        }
        if (s2 < 0 || s2 >= nsub) {
          throw new CounterfactError({
            code: 'too_few_controls',
            column: 'minN',
            message: `cannot fill every subclass with ${minN} unit(s) of each group: lower minN or ask for fewer subclasses`,
          });
        }
        let best = -1;
        let bestX = 0;
        for (let k = 0; k < ind.length; k++) {
          const i = ind[k]!;
          if (sub[i] !== s2) continue;
          if (best < 0) {
            best = i;
            bestX = x[i]!;
            continue;
          }
          if (left ? x[i]! < bestX : x[i]! > bestX) continue;
          best = i;
          bestX = x[i]!;
        }
        sub[best] = s;
        tab[s]!++;
        tab[s2]!--;
      }
      for (let k = 0; k < nsub; k++) tab[k]!--;
    }
  }
}

/**
 * Propensity-score subclassification for the ATT (MatchIt 4.7 `matchit(method = "subclass")`).
 *
 * Boundaries are R type-7 quantiles of the treated units' distance at probabilities
 * 0, 1/K, …, 1 (or the given ones); each kept unit goes to the interval holding its distance
 * (R `findInterval(all.inside = TRUE)`: below the first boundary → subclass 1, at or above the
 * last → subclass K). With `minN` ≥ 1 a subclass short of treated or control units takes the
 * nearest ones from its neighbours (MatchIt's scooting); with `minN` 0 such subclasses are
 * dropped. Subclasses are numbered 1 … S over those that hold units. Weights: see
 * `SubclassMatchResult`; no pairs (pair-based SEs do not apply: use a weighted regression).
 *
 * Cost: O(n log n) (one sort of the treated scores; scooting O(n) per moved unit).
 * @throws CounterfactError naming the option for a bad `subclass`, `minN`, `distance` or
 *   `discard`, non-finite scores, too few units to fill every subclass, or no matched units.
 * @example
 * const s = subclassify(fitPropensity(lalonde, { treatment: 'treat', covariates }));
 * s.subclassCount;          // 6
 * s.subclass;               // Int32Array of 1 … 6 per row
 */
export function subclassify(input: PropensityFit | ScoreInput, options: SubclassOptions = {}): PropensitySubclassResult {
  const treatment = input.treatment;
  const n = treatment.length;
  const subclassOpt = options.subclass ?? 6;
  const minN = options.minN ?? 1;
  const scale = options.distance ?? 'probability';
  const discard = options.discard ?? 'none';
  let probs: Float64Array;
  if (typeof subclassOpt === 'number') {
    if (!(Number.isInteger(subclassOpt) && subclassOpt >= 2)) {
      badArgument('subclass', `subclass must be a whole number of subclasses ≥ 2 (or an array of quantile probabilities in [0, 1]), received ${subclassOpt}`);
    }
    probs = rSeqLength(0, 1, subclassOpt + 1);
  } else if (Array.isArray(subclassOpt)) {
    const p = (subclassOpt as readonly unknown[]).map(Number);
    if (p.length === 0 || p.some((v, k) => typeof subclassOpt[k] !== 'number' || !(v >= 0 && v <= 1))) {
      badArgument(
        'subclass',
        `subclass as quantile probabilities must be a non-empty array of numbers in [0, 1], received ${JSON.stringify(subclassOpt)}: e.g. [0.25, 0.5, 0.75] for quartiles, or a number of subclasses`,
      );
    }
    p.sort((a, b) => a - b);
    if (p[0] !== 0) p.unshift(0);
    if (p[p.length - 1] !== 1) p.push(1);
    probs = Float64Array.from(p);
  } else {
    badArgument('subclass', `subclass must be a number of subclasses or an array of quantile probabilities, received ${JSON.stringify(subclassOpt)}`);
  }
  const K = probs.length - 1;
  if (!(Number.isInteger(minN) && minN >= 0)) badArgument('minN', `minN must be a whole number ≥ 0 (units of each group per subclass), received ${minN}`);
  // The distance and the common-support discard, exactly as every score-based matcher.
  const design = prepareDesign(input, { distance: scale, discard });
  const d = design.distance;
  const discarded = design.discarded;
  let nTreated = 0;
  for (let i = 0; i < n; i++) nTreated += treatment[i]!;
  if (nTreated === 0)
    throw new CounterfactError({ code: 'no_treated', column: 'treatment', message: 'there are no treated units: subclassification for the ATT needs some' });
  if (nTreated === n)
    throw new CounterfactError({ code: 'no_controls', column: 'treatment', message: 'there are no control units: subclassification needs some' });

  const treatedD = new Float64Array(nTreated);
  for (let i = 0, k = 0; i < n; i++) if (treatment[i]) treatedD[k++] = d[i]!;
  treatedD.sort();
  const qu = rQuantile7(treatedD, probs);

  // findInterval(x, qu, all.inside = TRUE): #{boundaries ≤ x}, clamped to 1 … K.
  const raw = new Int32Array(n); // 1 … K, 0 for discarded
  for (let i = 0; i < n; i++) {
    if (discarded[i]) continue;
    const x = d[i]!;
    let lo = 0,
      hi = qu.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (qu[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    raw[i] = Math.min(Math.max(lo, 1), K);
  }
  const warnings: string[] = [];
  const present = new Uint8Array(K + 1);
  for (let i = 0; i < n; i++) present[raw[i]!] = 1;
  let nPresent = 0;
  for (let s = 1; s <= K; s++) nPresent += present[s]!;
  if (nPresent < K)
    warnings.push(`only ${nPresent} of the ${K} subclasses requested hold units, because the distance has tied values: ask for fewer subclasses`);

  if (minN === 0) {
    const hasT = new Uint8Array(K + 1),
      hasC = new Uint8Array(K + 1);
    for (let i = 0; i < n; i++) if (raw[i]) (treatment[i] ? hasT : hasC)[raw[i]!] = 1;
    for (let i = 0; i < n; i++) if (raw[i] && !(hasT[raw[i]!] && hasC[raw[i]!])) raw[i] = 0;
  } else {
    // Scoot among the kept units, on consecutive 0-based indices of the subclasses present.
    const idx = new Int32Array(K + 1).fill(-1);
    let m = 0;
    for (let s = 1; s <= K; s++) if (present[s]) idx[s] = m++;
    const counts = [new Float64Array(m), new Float64Array(m)];
    let nKept = 0;
    for (let i = 0; i < n; i++) {
      if (discarded[i]) continue;
      counts[treatment[i]!]![idx[raw[i]!]!]!++;
      nKept++;
    }
    const short = counts.some((c) => c.some((v) => v < minN));
    if (short) {
      for (const [g, name] of [
        [1, 'treated'],
        [0, 'control'],
      ] as const) {
        const total = counts[g]!.reduce((a, b) => a + b, 0);
        if (total < m * minN) {
          throw new CounterfactError({
            code: g ? 'bad_argument' : 'too_few_controls',
            column: 'minN',
            message: `only ${total} ${name} units for ${m} subclasses of at least ${minN} each: lower minN or ask for fewer subclasses`,
          });
        }
      }
      const keep = new Int32Array(nKept);
      const sub = new Int32Array(nKept);
      const tr = new Uint8Array(nKept);
      const xs = new Float64Array(nKept);
      for (let i = 0, k = 0; i < n; i++) {
        if (discarded[i]) continue;
        keep[k] = i;
        sub[k] = idx[raw[i]!]!;
        tr[k] = treatment[i]!;
        xs[k++] = d[i]!;
      }
      scoot(sub, tr, xs, m, minN);
      const back = new Int32Array(m);
      for (let s = 1; s <= K; s++) if (idx[s]! >= 0) back[idx[s]!] = s;
      for (let k = 0; k < nKept; k++) raw[keep[k]!] = back[sub[k]!]!;
    }
  }
  // Renumber the subclasses that hold units 1 … S, in order (as MatchIt relabels the factor).
  const label = new Int32Array(K + 1);
  for (let i = 0; i < n; i++) if (raw[i]) label[raw[i]!] = 1;
  let S = 0;
  for (let s = 1; s <= K; s++) if (label[s]) label[s] = ++S;
  const subclass = new Int32Array(n);
  for (let i = 0; i < n; i++) if (raw[i]) subclass[i] = label[raw[i]!]!;

  let mT = 0,
    mC = 0;
  const unmatched: UnmatchedUnit[] = [];
  for (let i = 0; i < n; i++) {
    if (subclass[i]) treatment[i] ? mT++ : mC++;
    else if (treatment[i]) unmatched.push({ index: i, reason: discarded[i] ? 'discarded' : 'no-control-in-stratum' });
  }
  if (mT === 0 || mC === 0) {
    throw new CounterfactError({
      code: 'no_overlap',
      column: mT === 0 ? 'minN' : 'discard',
      message: `no ${mT === 0 ? 'treated' : 'control'} units are left in any subclass: use minN ≥ 1, ask for fewer subclasses, or discard 'none'`,
    });
  }
  const dropped = unmatched.filter((u) => u.reason === 'no-control-in-stratum').length;
  if (dropped > 0) warnings.push(`${dropped} treated unit(s) are in subclasses without controls and are dropped (minN 0): use minN ≥ 1 to keep them`);
  const result = buildSubclassResult({
    method: 'subclass',
    treatment,
    distance: d,
    subclass,
    subclassCount: S,
    discarded,
    unmatchedTreated: unmatched,
    settings: {
      method: 'subclass',
      estimand: 'ATT',
      subclass: typeof subclassOpt === 'number' ? subclassOpt : Array.from(probs),
      minN,
      distance: scale,
      discard,
    },
    warnings,
  });
  return Object.freeze({ ...result, cutpoints: qu });
}
