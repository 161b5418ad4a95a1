/**
 * Nearest-neighbour matching on a distance (propensity score), with MatchIt 4.7 `method =
 * "nearest"` semantics: ATT, k:1 or variable ratio, with or without replacement (or a cap on
 * reuse), caliper on the distance and on covariates, order, exact strata, common-support
 * discard; and Matching's `ties = TRUE` with replacement.
 */
import type { MatchOrder, MatchResult, PropensityFit, UnmatchedReason, UnmatchedUnit } from '../contracts.js';
import { getNumeric } from '../data/table.js';
import { badArgument } from '../problems.js';
import { createRng, shuffleInPlace } from '../random.js';
import { stableArgsort, stableArgsortKeys } from '../stats/sort.js';
import { prepareDesign, type MatchDesignOptions, type MatchDesign, type ScoreInput } from './prepare.js';
import { asAtc, buildMatchResult } from './result.js';
import { FreeList } from './freeList.js';
import type { NearestSettings } from './settings.js';

export type { ScoreInput } from './prepare.js';

export interface NearestOptions extends MatchDesignOptions {
  /**
   * Controls per treated unit (k:1); whole number ≥ 1. Default 1. With `maxControls`, the
   * average number of controls per treated unit (MatchIt's variable ratio).
   */
  readonly ratio?: number;
  /** Match with replacement (a control may serve several treated units). Default false. */
  readonly replace?: boolean;
  /**
   * How many treated units one control may serve (MatchIt `reuse.max`). Default 1 without
   * replacement, unlimited with `replace`. A value > 1 implies matching with replacement.
   */
  readonly reuseMax?: number;
  /**
   * Variable-ratio matching (Ming & Rosenbaum 2000, MatchIt `min.controls`/`max.controls`):
   * each treated unit gets between `minControls` (default 1) and `maxControls` controls, with
   * `ratio` the average; treated units in dense regions of the score get fewer.
   */
  readonly minControls?: number;
  readonly maxControls?: number;
  /**
   * Calipers on covariates (MatchIt's named `caliper` entries): a matched control may differ from
   * its treated unit by at most this much on each numeric column, in SDs of the column over all
   * non-discarded units when `caliperScale` is 'sd' (default), else in the column's units. Needs `data`.
   */
  readonly covariateCalipers?: Readonly<Record<string, number>>;
  /**
   * Order the focal units are matched in: 'largest' (default for the ATT), 'smallest' (default
   * for the ATC), 'random' (uses `seed`), 'data', 'closest', 'farthest'.
   */
  readonly order?: MatchOrder;
  /**
   * 'ATT' (default): each treated unit is matched to controls. 'ATC': the controls are the focal
   * group, each matched to treated units on the same distance, and the effects estimate the
   * average effect on the controls (MatchIt `estimand = "ATC"`). See {@link MatchResult} for how
   * an ATC result reads.
   */
  readonly estimand?: 'ATT' | 'ATC';
  /** Seed for order 'random' (default 1); recorded in settings. */
  readonly seed?: number;
  /** With `replace`: keep every control tied at the nearest distance and split the weight (as R Matching `ties = TRUE`). */
  readonly ties?: boolean;
  /**
   * With `ties`: controls whose squared standardised distance ((Δ / sd)², sd of the distance over
   * all units) is within this of the nearest one's count as tied (Matching's `distance.tolerance`,
   * default 1e-5).
   */
  readonly tieTolerance?: number;
  /**
   * With `ties`: the variance the distance is standardised by (default: over all units, n − 1).
   * Set it when matching a subset that must behave like the whole (e.g. strata run separately).
   */
  readonly tieVariance?: number;
}

const ORDERS: readonly MatchOrder[] = ['largest', 'smallest', 'random', 'data', 'closest', 'farthest'];

/**
 * Greedy nearest-neighbour matching for the ATT, equal to MatchIt 4.7.2's `matchit(method =
 * "nearest")` including how exact ties in the score are broken.
 *
 * The rule (MatchIt's `find_control_vec`): all units, treated and control, are stably sorted by
 * distance (data order among equal distances). Treated units are taken in `order`; each walks
 * outward from its own position in that order, one position at a time, alternating left
 * (first) and right. Every position costs a step, whatever is there: a treated unit, a used or
 * discarded control, a unit of another exact stratum. Each side keeps the first `ratio` eligible
 * controls it meets and stops at the caliper; the candidates are ranked by distance, and at equal
 * distance the one met first wins. Without replacement (or with `reuseMax`), k:1 runs in passes:
 * every treated unit gets its first match before any gets its second, and a later pass walks
 * outward from the unit's earlier matches.
 *
 * Cost: O(n log n) for the sort (a radix sort: O(n)); each walk jumps over used controls and
 * other strata in amortised O(1) with path-compressed "next free" pointers, so no
 * n_treated × n_control matrix and no position-by-position walk is needed.
 * @throws CounterfactError for bad options (naming the option and the fix), NaN scores, or
 *   `ties` keeping more than 20 million matched pairs (names `tieTolerance`; use 0 or drop ties).
 * @example
 * const m = matchNearest(fit);          // lalonde: 185 pairs, as MatchIt 4.7.2
 * m.counts.matchedControls;             // 185
 */
export function matchNearest(input: PropensityFit | ScoreInput, options: NearestOptions = {}): MatchResult {
  return matchNearestDesign(prepareDesign(input, options), options);
}

/** {@link matchNearest} on a prepared design (distance, discard, caliper and strata resolved once). */
export function matchNearestDesign(design: MatchDesign, options: NearestOptions = {}): MatchResult {
  const estimand = options.estimand ?? 'ATT';
  if (estimand !== 'ATT' && estimand !== 'ATC') badArgument('estimand', `estimand must be 'ATT' or 'ATC', received ${JSON.stringify(estimand)}`);
  if (estimand === 'ATC') {
    // MatchIt's route: the controls become the focal group on the same distance; the default
    // order is then 'smallest' (MatchIt m.order for the ATC).
    const focal = Uint8Array.from(design.treatment, (t) => 1 - t);
    const m = matchNearestDesign({ ...design, treatment: focal }, { ...options, estimand: 'ATT', order: options.order ?? 'smallest' });
    return asAtc(m, design.treatment);
  }
  const { treatment, distance: d, discarded } = design;
  const n = treatment.length;
  const ratio = options.ratio ?? 1;
  const order = options.order ?? 'largest';
  const ties = options.ties ?? false;
  const tieTolerance = options.tieTolerance ?? 1e-5;
  const seed = options.seed ?? 1;
  const variable = options.maxControls !== undefined || options.minControls !== undefined;
  if (!(Number.isFinite(ratio) && ratio >= 1 && (variable || Number.isInteger(ratio)))) {
    badArgument('ratio', `ratio must be a whole number ≥ 1 (any number ≥ 1 with maxControls), received ${ratio}`);
  }
  if (options.reuseMax !== undefined && !(Number.isInteger(options.reuseMax) && options.reuseMax >= 1)) {
    badArgument('reuseMax', `reuseMax must be a whole number ≥ 1, received ${options.reuseMax}`);
  }
  if (options.reuseMax !== undefined && options.replace === false && options.reuseMax > 1) {
    badArgument(
      'reuseMax',
      `reuseMax ${options.reuseMax} lets a control serve several treated units, which is matching with replacement: drop replace: false (CLI: add --replace) or use reuseMax 1`,
    );
  }
  let nTreated = 0;
  for (let i = 0; i < n; i++) nTreated += treatment[i]!;
  // MatchIt's reuse.max: 1 without replacement, "unlimited" (at least the number of treated) with it.
  const reuseMax = options.reuseMax ?? (options.replace ? Number.MAX_SAFE_INTEGER : 1);
  const replace = reuseMax > 1;
  if (!ORDERS.includes(order)) {
    badArgument('order', `order must be one of ${ORDERS.map((o) => `'${o}'`).join(', ')}, received ${JSON.stringify(order)}`);
  }
  if (ties && !replace) badArgument('ties', 'ties applies to matching with replacement: add replace: true (CLI --replace) or drop ties');
  if (ties && (variable || options.covariateCalipers || options.reuseMax !== undefined)) {
    badArgument('ties', 'ties (R Matching) cannot be combined with maxControls, covariateCalipers or reuseMax (MatchIt options): drop one of them');
  }
  if (!(tieTolerance >= 0)) badArgument('tieTolerance', `tieTolerance must be ≥ 0, received ${tieTolerance}`);
  if (!Number.isFinite(seed)) badArgument('seed', `seed must be a finite number, received ${seed}`);
  const width = design.caliperWidth;

  // Treated units that take part, and their processing order.
  const treatedIdx: number[] = [];
  for (let i = 0; i < n; i++) if (treatment[i] && !discarded[i]) treatedIdx.push(i);
  const perTreatedRatio = variable ? variableRatios(design, ratio, options.minControls ?? 1, options.maxControls, nTreated) : null;
  // No treated unit can get more controls than there are: passes beyond that would find none.
  const maxRatio = Math.min(perTreatedRatio ? maxOf(perTreatedRatio.values()) : ratio, Math.max(1, n - nTreated));

  // All units in one stable order by distance: a unit's position is where its walk starts.
  // The passes below read the distances and groups by position (ds, flags: sequential), not by
  // unit through `sorted` (a cache miss per unit at register scale): the sort carries each
  // unit's flags with it (unit·4 + flags).
  if (n >= 2 ** 29) badArgument('distance', `nearest matching takes at most 536,870,911 units, received ${n}: split the data (e.g. by region) first`);
  const tagged = new Int32Array(n);
  for (let i = 0; i < n; i++) tagged[i] = i * 4 + (treatment[i]! ? 1 : 0) + (discarded[i]! ? 2 : 0);
  const { order: sorted, sorted: ds } = stableArgsortKeys(d, tagged);
  const pos = new Int32Array(n);
  const flags = new Uint8Array(n); // by position: 1 treated, 2 discarded
  for (let p = 0; p < n; p++) {
    const x = sorted[p]!;
    const u = x >>> 2;
    sorted[p] = u;
    flags[p] = x & 3;
    pos[u] = p;
  }
  // 'smallest' and 'largest' read the treated off that order (R's stable order(), increasing or
  // decreasing: equal distances in row order either way, so 'largest' walks blocks of equal
  // distance from the top, each block forwards).
  let treatedOrder = Int32Array.from(treatedIdx);
  if (order === 'smallest' || order === 'largest') {
    let k = 0;
    const take = (p: number) => {
      if (flags[p] === 1) treatedOrder[k++] = sorted[p]!;
    };
    if (order === 'smallest') for (let p = 0; p < n; p++) take(p);
    else {
      for (let end = n; end > 0; ) {
        let start = end - 1;
        while (start > 0 && ds[start - 1] === ds[end - 1]) start--;
        for (let p = start; p < end; p++) take(p);
        end = start;
      }
    }
  } else if (order === 'random') shuffleInPlace(treatedOrder, createRng(seed));
  // Eligible controls of each stratum, by position (one array, stratum s at off[s]..off[s+1]).
  const strata = design.strata;
  const nS = design.nStrata;
  const off = new Int32Array(nS + 1);
  for (let i = 0; i < n; i++) if (!treatment[i] && !discarded[i]) off[(strata ? strata[i]! : 0) + 1]!++;
  for (let s = 0; s < nS; s++) off[s + 1]! += off[s]!;
  const fill = off.slice(0, nS);
  const cpos = new Int32Array(off[nS]!);
  // In the same pass: each control's unit and distance by its index in cpos (the walks read
  // these side by side, not d[sorted[cpos[k]]] through two lookups), and, at each taking-part
  // treated unit's position, its first walk start: the index in cpos of the first control of its
  // stratum placed after it (what a binary search of cpos for that position gives).
  const cunit = new Int32Array(cpos.length);
  const cdist = new Float64Array(cpos.length);
  const startAt = new Int32Array(n); // by position
  for (let p = 0; p < n; p++) {
    const f = flags[p]!;
    if (f & 2) continue;
    const s = strata ? strata[sorted[p]!]! : 0;
    if (f === 0) {
      const k = fill[s]!++;
      cpos[k] = p;
      cunit[k] = sorted[p]!;
      cdist[k] = ds[p]!;
    } else startAt[p] = fill[s]!;
  }
  const covCal = covariateCalipers(design, options);

  const mt: number[] = [];
  const mc: number[] = [];
  const mw: number[] = [];
  const nMatches = new Int32Array(n);
  const failed = new Map<number, UnmatchedReason>();
  const warnings: string[] = [];
  const ctx: WalkContext = { d, pos, cpos, cunit, cdist, width, covCal };

  if (replace && reuseMax >= nTreated) {
    // Unlimited reuse: every treated unit's walk is independent (MatchIt's single-walk path).
    for (let k = 0; k < treatedOrder.length; k++) {
      const i = treatedOrder[k]!;
      const s = strata ? strata[i]! : 0;
      const lo = off[s]!,
        hi = off[s + 1]!;
      if (lo === hi) {
        failed.set(i, 'no-control-in-stratum');
        continue;
      }
      const at = startAt[pos[i]!]!; // the binary search of cpos for i's position
      const want = perTreatedRatio ? perTreatedRatio.get(i)! : ratio;
      const found = ties
        ? nearestWithTies(cunit.subarray(lo, hi), d, i, at - lo, want, width, tieTolerance, options.tieVariance ?? design.distanceVariance)
        : walkWithReplacement(ctx, i, lo, hi, at, want);
      if (found.length === 0) {
        failed.set(i, 'no-control-within-caliper');
        continue;
      }
      if (ties && mt.length + found.length > MAX_PAIRS)
        tooManyTies(mt.length + found.length, k + 1, tieTolerance, options.tieVariance ?? design.distanceVariance);
      for (const c of found) {
        mt.push(i);
        mc.push(c);
        mw.push(1 / found.length);
      }
      nMatches[i] = found.length;
    }
  } else {
    // Passes: every treated unit gets its r-th match before any gets its (r+1)-th.
    const free = new FreeList(cpos.length);
    const taken = new Uint8Array(cpos.length);
    const uses = reuseMax > 1 ? new Int32Array(cpos.length) : null;
    let eligible = cpos.length;
    const lowPos = new Int32Array(n);
    const highPos = new Int32Array(n);
    /** Treated unit i still wants an r-th control (MatchIt: eligible and under its ratio). */
    const stopped = new Set<number>();
    const wants = (i: number, r: number) =>
      (failed.size === 0 || !failed.has(i)) &&
      (stopped.size === 0 || !stopped.has(i)) &&
      nMatches[i]! >= r - 1 &&
      (perTreatedRatio ? perTreatedRatio.get(i)! >= r : r <= ratio);
    /**
     * Unit i's r-th control (index in cpos) or −1: the walk starts at i's own position, at its
     * earlier matches and, when re-finding, at the control it lost (`extra`), as MatchIt's
     * `find_control_vec` with `prev_start`.
     */
    const findOne = (i: number, r: number, extra: number): number => {
      const s = strata ? strata[i]! : 0;
      const lo = off[s]!,
        hi = off[s + 1]!;
      if (lo === hi) {
        failed.set(i, 'no-control-in-stratum');
        return -1;
      }
      const p = pos[i]!;
      let iil = r === 1 ? p : lowPos[i]!;
      let iir = r === 1 ? p : highPos[i]!;
      if (extra >= 0) {
        iil = Math.min(iil, extra);
        iir = Math.max(iir, extra);
      }
      let minDist = 0;
      if (iil !== p || iir !== p) {
        const di = d[i]!;
        const dl = Math.abs(di - ds[iil]!);
        const dr = Math.abs(di - ds[iir]!);
        minDist = iil === p ? dr : iir === p ? dl : Math.max(dl, dr);
      }
      // A first walk from the unit's own position starts where the binary search would put it.
      const from = iil === p && iir === p ? startAt[p]! : -1;
      const pick = walkOnce(ctx, free, i, lo, hi, iil, iir, minDist, from);
      if (pick < 0 && r === 1) failed.set(i, free.right(lo) >= hi ? 'controls-exhausted' : 'no-control-within-caliper');
      return pick;
    };
    const assign = (i: number, r: number, pick: number) => {
      if (!uses || ++uses[pick]! >= reuseMax) {
        free.take(pick);
        taken[pick] = 1;
        eligible--;
      }
      mt.push(i);
      mc.push(cunit[pick]!);
      mw.push(NaN);
      nMatches[i]!++;
      const p = pos[i]!;
      const cp = cpos[pick]!;
      lowPos[i] = r === 1 ? Math.min(p, cp) : Math.min(lowPos[i]!, cp);
      highPos[i] = r === 1 ? Math.max(p, cp) : Math.max(highPos[i]!, cp);
    };
    for (let r = 1; r <= maxRatio; r++) {
      if (order === 'closest' || order === 'farthest') {
        // MatchIt's m.order "closest"/"farthest": every treated unit's best control first, then
        // the pairs are taken in order of their distance; a pair whose control was taken is
        // re-found from that control's position and moved to its new place in the order.
        const T: number[] = [];
        const C: number[] = [];
        const D: number[] = [];
        for (const i of treatedIdx) {
          if (!wants(i, r)) continue;
          const pick = findOne(i, r, -1);
          if (pick < 0) {
            stopped.add(i);
            continue;
          }
          T.push(i);
          C.push(pick);
          D.push(Math.abs(d[i]! - cdist[pick]!));
        }
        const close = order === 'closest';
        const ord = Array.from(stableArgsort(Float64Array.from(D, (x) => (close ? x : -x))));
        const before = (a: number, b: number) => (close ? D[a]! < D[b]! : D[a]! >= D[b]!);
        let k = 0;
        while (eligible > 0 && k < ord.length) {
          const h = ord[k]!;
          const i = T[h]!;
          if (nMatches[i]! >= r || !wants(i, r)) {
            k++;
            continue;
          }
          if (taken[C[h]!]) {
            const pick = findOne(i, r, cpos[C[h]!]!);
            if (pick < 0) {
              stopped.add(i);
              k++;
              continue;
            }
            C[h] = pick;
            D[h] = Math.abs(d[i]! - cdist[pick]!);
            // std::lower_bound over ord[k..] for h, then std::rotate(k, k + 1, at).
            let first = k;
            let count = ord.length - k;
            while (count > 0) {
              const step = count >> 1;
              if (before(ord[first + step]!, h)) {
                first += step + 1;
                count -= step + 1;
              } else count = step;
            }
            if (first !== k) {
              for (let q = k; q < first - 1; q++) ord[q] = ord[q + 1]!;
              ord[first - 1] = h;
            }
            continue;
          }
          assign(i, r, C[h]!);
          k++;
        }
        continue;
      }
      for (let k = 0; k < treatedOrder.length; k++) {
        if (eligible === 0) break;
        const i = treatedOrder[k]!;
        if (!wants(i, r)) continue;
        const pick = findOne(i, r, -1);
        if (pick >= 0) assign(i, r, pick);
        else stopped.add(i);
      }
    }
    for (const i of treatedIdx) if (nMatches[i] === 0 && !failed.has(i)) failed.set(i, 'controls-exhausted');
  }
  // Pair weights 1/M_i.
  for (let m = 0; m < mt.length; m++) if (Number.isNaN(mw[m]!)) mw[m] = 1 / nMatches[mt[m]!]!;
  // Matches by treated (data order), then in the order found: a stable counting sort.
  const start = new Int32Array(n + 1);
  for (let m = 0; m < mt.length; m++) start[mt[m]! + 1]!++;
  for (let i = 0; i < n; i++) start[i + 1]! += start[i]!;
  const idx = new Int32Array(mt.length);
  for (let m = 0; m < mt.length; m++) idx[start[mt[m]!]!++] = m;
  const pairs = {
    treated: Int32Array.from(idx, (m) => mt[m]!),
    control: Int32Array.from(idx, (m) => mc[m]!),
    weight: Float64Array.from(idx, (m) => mw[m]!),
  };

  const unmatched: UnmatchedUnit[] = [];
  for (let i = 0; i < n; i++) {
    if (!treatment[i]) continue;
    if (discarded[i]) unmatched.push({ index: i, reason: 'discarded' });
    else if (nMatches[i] === 0) unmatched.push({ index: i, reason: failed.get(i) ?? 'controls-exhausted' });
  }
  const exhausted = unmatched.filter((u) => u.reason === 'controls-exhausted').length;
  if (exhausted > 0) {
    warnings.push(
      `fewer controls than needed for matching without replacement: ${exhausted} treated unit(s) left unmatched (controls exhausted) — use replace: true (CLI --replace), a lower ratio, or more controls`,
    );
  }
  if (!replace || reuseMax < nTreated) {
    let partial = 0;
    for (const i of treatedIdx) {
      const want = perTreatedRatio ? perTreatedRatio.get(i)! : ratio;
      if (nMatches[i]! > 0 && nMatches[i]! < want) partial++;
    }
    if (partial > 0) warnings.push(`${partial} treated unit(s) received fewer controls than asked for (not enough eligible controls)`);
  }
  // Matching's tolerance can make many "ties" on continuous scores: say so when it more than
  // doubles the number of matches.
  if (ties) {
    const matchedT = treatedIdx.filter((i) => nMatches[i]! > 0).length;
    const tieScale = options.tieVariance ?? design.distanceVariance;
    if (matchedT > 0 && mt.length > 2 * ratio * matchedT) {
      warnings.push(
        `ties: ${mt.length} matches for ${matchedT} treated unit(s) (${(mt.length / matchedT).toFixed(1)} each on average): controls within the tie tolerance (tieTolerance ${tieTolerance} on the squared standardised distance, i.e. up to ±${Math.sqrt(tieTolerance * tieScale).toPrecision(3)} on the distance beyond the nearest) count as tied, as in R Matching; use tieTolerance: 0 for exact ties only`,
      );
    }
  }
  const caliperFails = unmatched.filter((u) => u.reason === 'no-control-within-caliper').length;
  if (caliperFails > 0)
    warnings.push(`${caliperFails} treated unit(s) had no control within the caliper and were left unmatched: the estimand is the ATT of the matched treated`);

  const settings: NearestSettings = {
    method: 'nearest',
    estimand: 'ATT',
    ratio,
    replace,
    reuseMax: options.reuseMax ?? null,
    minControls: variable ? (options.minControls ?? 1) : null,
    maxControls: variable ? (options.maxControls ?? null) : null,
    caliper: design.caliper,
    caliperScale: design.caliperScale,
    caliperWidth: Number.isFinite(width) ? width : null,
    covariateCalipers: { ...(options.covariateCalipers ?? {}) },
    distance: design.distanceScale,
    order,
    seed: order === 'random' ? seed : null,
    ties,
    tieTolerance: ties ? tieTolerance : null,
    exact: [...design.exact],
    discard: design.discard,
  };
  return buildMatchResult({
    method: design.exact.length ? 'nearest-exact' : 'nearest',
    treatment,
    distance: d,
    pairs,
    discarded,
    unmatchedTreated: unmatched,
    settings,
    warnings,
  });
}

/** What a walk reads: distances, the sorted order, stratum control positions, calipers. */
interface WalkContext {
  readonly d: Float64Array;
  /** Position of each unit in the stable order by distance. */
  readonly pos: Int32Array;
  readonly cpos: Int32Array;
  /** The unit and the distance of the control at each index of cpos. */
  readonly cunit: Int32Array;
  readonly cdist: Float64Array;
  readonly width: number;
  readonly covCal: CovariateCaliper[];
}

interface CovariateCaliper {
  readonly values: Float64Array;
  readonly width: number;
}

function withinCovariateCalipers(cal: readonly CovariateCaliper[], i: number, c: number): boolean {
  for (const k of cal) if (!(Math.abs(k.values[i]! - k.values[c]!) <= k.width)) return false;
  return true;
}

/**
 * One match for treated unit i (one pass of k:1 without unlimited reuse): the first eligible
 * control left of position `iil` and right of `iir` (skipping those nearer than `minDist`, as
 * MatchIt does in later passes, and those outside a covariate caliper), the nearer of the two,
 * and at equal distance the one the alternating walk meets first (left at equal steps).
 * Returns the control's index in `cpos`, or −1.
 */
function walkOnce(ctx: WalkContext, free: FreeList, i: number, lo: number, hi: number, iil: number, iir: number, minDist: number, from: number): number {
  const { d, cpos, cunit, cdist, width, covCal } = ctx;
  const di = d[i]!;
  // `from` ≥ 0: iil = iir = i's own position, which no control holds, so both searches below
  // would give it.
  let L = free.left((from >= 0 ? from : lowerBound(cpos, lo, hi, iil)) - 1);
  let dl = Infinity;
  while (L >= lo) {
    const c = cunit[L]!;
    dl = Math.abs(di - cdist[L]!);
    if (dl > width) {
      L = -1;
      break;
    }
    if (dl >= minDist && (covCal.length === 0 || withinCovariateCalipers(covCal, i, c))) break;
    L = free.left(L - 1);
  }
  if (L < lo) L = -1;
  let R = free.right(from >= 0 ? from : lowerBound(cpos, lo, hi, iir + 1));
  let dr = Infinity;
  while (R < hi) {
    const c = cunit[R]!;
    dr = Math.abs(di - cdist[R]!);
    if (dr > width) {
      R = hi;
      break;
    }
    if (dr >= minDist && (covCal.length === 0 || withinCovariateCalipers(covCal, i, c))) break;
    R = free.right(R + 1);
  }
  if (R >= hi) R = -1;
  if (L < 0) return R;
  if (R < 0) return L;
  if (dl < dr) return L;
  if (dr < dl) return R;
  return iil - cpos[L]! <= cpos[R]! - iir ? L : R;
}

/**
 * With unlimited reuse: MatchIt's walk for `want` controls, simulated on the stratum's controls
 * only. Positions in between (other units) only count as steps: the left side's s-th step comes
 * at time 2s − 1, the right side's at 2s, so candidates are met in that order. Each side keeps
 * at most `want`, stops at the caliper, and stops when `want` candidates already found are all
 * strictly nearer; the `want` nearest are then chosen as MatchIt's `std::partial_sort` does.
 */
function walkWithReplacement(ctx: WalkContext, i: number, lo: number, hi: number, at: number, want: number): number[] {
  const { d, cpos, cunit, cdist, width, covCal } = ctx;
  const di = d[i]!;
  const self = ctx.pos[i]!;
  const ids: number[] = [];
  const dists: number[] = [];
  let li = at - 1;
  let ri = at;
  let lStop = li < lo;
  let rStop = ri >= hi;
  let nl = 0;
  let nr = 0;
  while (!lStop || !rStop) {
    let left: boolean;
    if (lStop) left = false;
    else if (rStop) left = true;
    else left = 2 * (self - cpos[li]!) - 1 < 2 * (cpos[ri]! - self);
    const k = left ? li : ri;
    const c = cunit[k]!;
    const dist = Math.abs(di - cdist[k]!);
    let stop = dist > width;
    if (!stop && ids.length >= want) {
      let closer = 0;
      for (const x of dists) if (x < dist && ++closer === want) break;
      stop = closer >= want;
    }
    if (!stop && (covCal.length === 0 || withinCovariateCalipers(covCal, i, c))) {
      ids.push(c);
      dists.push(dist);
      if (left) stop = ++nl === want;
      else stop = ++nr === want;
    }
    if (left) {
      li--;
      if (stop || li < lo) lStop = true;
    } else {
      ri++;
      if (stop || ri >= hi) rStop = true;
    }
  }
  if (ids.length <= want) return ids;
  return partialSortFirst(ids, dists, want);
}

/**
 * The first `k` of `ids` by ascending `dists`, as libstdc++'s `std::partial_sort` leaves them
 * (heap select, then heap sort; not stable): MatchIt ranks its candidates this way, so at equal
 * distance which candidates are kept follows the heap, not the order met.
 */
export function partialSortFirst(ids: readonly number[], dists: readonly number[], k: number): number[] {
  const a = ids.map((_, j) => j);
  const less = (x: number, y: number) => dists[x]! < dists[y]!;
  const adjust = (hole: number, len: number, value: number) => {
    const top = hole;
    let child = hole;
    while (child < (len - 1) >> 1) {
      child = 2 * (child + 1);
      if (less(a[child]!, a[child - 1]!)) child--;
      a[hole] = a[child]!;
      hole = child;
    }
    if ((len & 1) === 0 && child === (len - 2) >> 1) {
      child = 2 * (child + 1);
      a[hole] = a[child - 1]!;
      hole = child - 1;
    }
    let parent = (hole - 1) >> 1;
    while (hole > top && less(a[parent]!, value)) {
      a[hole] = a[parent]!;
      hole = parent;
      parent = (hole - 1) >> 1;
    }
    a[hole] = value;
  };
  // make_heap on [0, k)
  if (k >= 2) {
    for (let parent = (k - 2) >> 1; ; parent--) {
      adjust(parent, k, a[parent]!);
      if (parent === 0) break;
    }
  }
  // heap select over the rest
  for (let j = k; j < a.length; j++) {
    if (less(a[j]!, a[0]!)) {
      const value = a[j]!;
      a[j] = a[0]!;
      adjust(0, k, value);
    }
  }
  // sort_heap on [0, k)
  for (let last = k; last > 1; ) {
    last--;
    const value = a[last]!;
    a[last] = a[0]!;
    adjust(0, last, value);
  }
  return a.slice(0, k).map((j) => ids[j]!);
}

/** First index in [lo, hi) whose value is ≥ x (values ascending). */
function lowerBound(values: Int32Array, lo: number, hi: number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Covariate calipers resolved to widths in the column's units (SDs over non-discarded units, as MatchIt). */
function covariateCalipers(design: MatchDesign, options: NearestOptions): CovariateCaliper[] {
  const spec = options.covariateCalipers;
  if (!spec || Object.keys(spec).length === 0) return [];
  if (!options.data) badArgument('covariateCalipers', 'covariate calipers need the data: pass options.data (the table the columns come from)');
  const out: CovariateCaliper[] = [];
  for (const [name, value] of Object.entries(spec)) {
    if (!(value > 0 && Number.isFinite(value))) badArgument('covariateCalipers', `the caliper on ${name} must be a positive number, received ${value}`);
    const values = getNumeric(options.data, name, 'caliper');
    let w = value;
    if (design.caliperScale === 'sd') {
      let m = 0,
        c = 0;
      for (let i = 0; i < values.length; i++)
        if (!design.discarded[i]) {
          m += values[i]!;
          c++;
        }
      m /= c;
      let ss = 0;
      for (let i = 0; i < values.length; i++) if (!design.discarded[i]) ss += (values[i]! - m) ** 2;
      w = value * Math.sqrt(ss / (c - 1));
    }
    out.push({ values, width: w });
  }
  return out;
}

/**
 * MatchIt's variable ratio (extremal matching, Ming & Rosenbaum 2000): m = round(ratio × n1)
 * controls in all; kmax treated units get `max`, kmin get `min`, one gets the remainder; treated
 * units are ranked by distance (from the side where treated units are dense) so those with the
 * most competition get the fewest.
 */
function variableRatios(design: MatchDesign, ratio: number, min: number, max: number | undefined, n1: number): Map<number, number> {
  if (max === undefined) badArgument('maxControls', 'variable-ratio matching needs maxControls (MatchIt max.controls), e.g. maxControls: 4 with ratio: 2');
  if (!(Number.isInteger(min) && min >= 1)) badArgument('minControls', `minControls must be a whole number ≥ 1, received ${min}`);
  if (!(Number.isInteger(max) && max > min))
    badArgument('maxControls', `maxControls must be a whole number greater than minControls (${min}), received ${max}`);
  if (!(ratio > min && ratio < max))
    badArgument(
      'ratio',
      `with variable-ratio matching ratio is the average number of controls and must lie strictly between minControls (${min}) and maxControls (${max}), received ${ratio}`,
    );
  const { treatment, distance: d } = design;
  const m = roundHalfEven(ratio * n1);
  const kmax = Math.floor((m - min * (n1 - 1)) / (max - min));
  const kmin = n1 - kmax - 1;
  const kmed = m - (min * kmin + max * kmax);
  const r0: number[] = [...Array<number>(kmin).fill(min), kmed, ...Array<number>(kmax).fill(max)];
  // No treated unit may get 0 controls.
  while (r0.some((x) => x === 0)) {
    const j = r0.indexOf(0);
    r0[j] = 1;
    if (j === r0.length - 1) break;
    r0[j + 1]! -= 1;
  }
  const treated: number[] = [];
  let sumT = 0,
    sumC = 0,
    nC = 0;
  for (let i = 0; i < treatment.length; i++) {
    if (treatment[i]) {
      treated.push(i);
      sumT += d[i]!;
    } else {
      sumC += d[i]!;
      nC++;
    }
  }
  const decreasing = sumT / treated.length > sumC / nC;
  const keys = Float64Array.from(treated, (i) => (decreasing ? -d[i]! : d[i]!));
  const rank = stableArgsort(keys);
  const out = new Map<number, number>();
  for (let k = 0; k < rank.length; k++) out.set(treated[rank[k]!]!, r0[k]!);
  return out;
}

function maxOf(values: Iterable<number>): number {
  let m = 1;
  for (const v of values) if (v > m) m = v;
  return m;
}

/** R's round(): halves to even. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Upper bound on matched pairs with ties (each pair costs ~24 bytes in plain arrays; V8 fails near 1.7e8 elements). */
const MAX_PAIRS = 20_000_000;

/** Matching with ties would exceed MAX_PAIRS: fail with the cause and the fix, not an out-of-memory crash. */
function tooManyTies(pairs: number, treatedDone: number, tol: number, variance: number): never {
  badArgument(
    'tieTolerance',
    `matching with ties would keep more than ${MAX_PAIRS.toLocaleString('en-US')} matched pairs (${pairs.toLocaleString('en-US')} after ${treatedDone.toLocaleString('en-US')} treated units): with tieTolerance ${tol} every control within up to ±${Math.sqrt(tol * variance).toPrecision(3)} of the nearest one's distance counts as tied (R Matching's distance.tolerance), which on large data is most of the neighbourhood. Use tieTolerance: 0 (exact ties only) or ties: false`,
  );
}

/**
 * R Matching's `ties = TRUE` (with replacement): the `ratio` nearest controls of the stratum
 * (`ctrl`, sorted by distance; `pos` = controls left of unit i), then every control whose
 * squared standardised distance is within `tol` of the ratio-th nearest one's, on both sides.
 */
function nearestWithTies(ctrl: Int32Array, d: Float64Array, i: number, pos: number, ratio: number, width: number, tol: number, variance: number): number[] {
  const di = d[i]!;
  const cand: { c: number; dist: number; found: number }[] = [];
  let found = 0;
  let l = pos - 1;
  let r = pos;
  let nl = 0;
  let nr = 0;
  while ((l >= 0 && nl < ratio) || (r < ctrl.length && nr < ratio)) {
    if (l >= 0 && nl < ratio) {
      const dist = di - d[ctrl[l]!]!;
      if (dist <= width) {
        cand.push({ c: ctrl[l]!, dist, found: found++ });
        nl++;
        l--;
      } else l = -1;
    }
    if (r < ctrl.length && nr < ratio) {
      const dist = d[ctrl[r]!]! - di;
      if (dist <= width) {
        cand.push({ c: ctrl[r]!, dist, found: found++ });
        nr++;
        r++;
      } else r = ctrl.length;
    }
  }
  cand.sort((a, b) => a.dist - b.dist || a.found - b.found);
  const chosen = cand.slice(0, ratio);
  if (chosen.length === 0) return [];
  const dk = chosen[chosen.length - 1]!.dist;
  const cut = Math.sqrt(dk * dk + tol * variance);
  const out = new Set(chosen.map((x) => x.c));
  for (let k = l; k >= 0; k--) {
    const dist = di - d[ctrl[k]!]!;
    if (dist > cut || dist > width) break;
    out.add(ctrl[k]!);
  }
  for (let k = r; k < ctrl.length; k++) {
    const dist = d[ctrl[k]!]! - di;
    if (dist > cut || dist > width) break;
    out.add(ctrl[k]!);
  }
  for (const x of cand) if (x.dist <= cut) out.add(x.c);
  return [...out];
}
