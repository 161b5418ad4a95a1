/**
 * Nearest-neighbour matching on a distance (propensity score), with MatchIt `method =
 * "nearest"` semantics: ATT, k:1, with or without replacement, caliper, order, exact strata,
 * common-support discard, and Matching's `ties = TRUE` with replacement.
 */
import type { DistanceScale, Discard, MatchOrder, MatchResult, PropensityFit, UnmatchedReason, UnmatchedUnit } from '../contracts.js';
import { columnLabels, getColumn, type Table } from '../data/table.js';
import { badArgument, CounterfactError } from '../problems.js';
import { createRng, shuffleInPlace } from '../random.js';
import { buildMatchResult } from './result.js';

export interface NearestOptions {
  /** Controls per treated unit (k:1); whole number ≥ 1. Default 1. */
  readonly ratio?: number;
  /** Match with replacement (a control may serve several treated units). Default false. */
  readonly replace?: boolean;
  /** Maximum distance between matched units; none by default. */
  readonly caliper?: number;
  /** 'sd' (default, as MatchIt): caliper in SDs of the distance over all non-discarded units; 'raw': in distance units. */
  readonly caliperScale?: 'sd' | 'raw';
  /** 'probability' (default): the fitted score; 'logit': the linear predictor (logit link) or qlogis(score). */
  readonly distance?: DistanceScale;
  /** Order treated units are matched in: 'largest' (default), 'smallest', 'random' (uses `seed`), 'data'. */
  readonly order?: MatchOrder;
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
  /** Match only within strata of these columns (needs `data`). */
  readonly exact?: readonly string[];
  /** The data, needed for `exact`. */
  readonly data?: Table;
  /** Common-support rule: 'none' (default), 'treated', 'control', 'both' (as MatchIt). */
  readonly discard?: Discard;
}

/** Scores and treatment, for matching without a PropensityFit. */
export interface ScoreInput {
  readonly scores: Float64Array;
  readonly treatment: Uint8Array;
  readonly linearPredictor?: Float64Array;
}

function isFit(x: PropensityFit | ScoreInput): x is PropensityFit {
  return (x as PropensityFit).kind === 'PropensityFit';
}

/**
 * Greedy nearest-neighbour matching for the ATT.
 *
 * Semantics (MatchIt 4.7): all units are stably sorted by distance (data order among equal
 * distances). Treated units are taken in `order`; each searches outward from its own position
 * for the nearest eligible control on the left and on the right (skipping used controls
 * without replacement, and stopping a side at the caliper); the nearer wins, and at equal
 * distance the left (lower-score) one. With `ratio` k every treated unit gets its first match
 * before any gets its second. Weights as MatchIt (see `MatchResult.weights`).
 *
 * Cost: O(n log n): one sort; used controls are skipped in amortised O(1) by "next free"
 * pointers with path compression. No n_treated × n_control matrix is built.
 * @throws CounterfactError for bad options (naming the option and the fix), NaN scores, or
 *   `ties` keeping more than 20 million matched pairs (names `tieTolerance`; use 0 or drop ties).
 * @example
 * const m = matchNearest(fit);          // lalonde: 185 pairs, as MatchIt 4.7.2
 * m.counts.matchedControls;             // 185
 */
export function matchNearest(input: PropensityFit | ScoreInput, options: NearestOptions = {}): MatchResult {
  const treatment = input.treatment;
  const n = treatment.length;
  const ratio = options.ratio ?? 1;
  const replace = options.replace ?? false;
  const caliperScale = options.caliperScale ?? 'sd';
  const scale = options.distance ?? 'probability';
  const order = options.order ?? 'largest';
  const discard = options.discard ?? 'none';
  const ties = options.ties ?? false;
  const tieTolerance = options.tieTolerance ?? 1e-5;
  const seed = options.seed ?? 1;
  if (!(Number.isInteger(ratio) && ratio >= 1)) badArgument('ratio', `ratio must be a whole number ≥ 1, received ${ratio}`);
  if (options.caliper !== undefined && !(options.caliper > 0 && Number.isFinite(options.caliper))) {
    badArgument('caliper', `caliper must be a positive number, received ${options.caliper}`);
  }
  if (caliperScale !== 'sd' && caliperScale !== 'raw') badArgument('caliperScale', `caliperScale must be 'sd' or 'raw', received ${JSON.stringify(caliperScale)}`);
  if (scale !== 'probability' && scale !== 'logit') badArgument('distance', `distance must be 'probability' or 'logit', received ${JSON.stringify(scale)}`);
  if (!['largest', 'smallest', 'random', 'data'].includes(order)) {
    badArgument('order', `order must be one of 'largest', 'smallest', 'random', 'data', received ${JSON.stringify(order)}`);
  }
  if (!['none', 'treated', 'control', 'both'].includes(discard)) {
    badArgument('discard', `discard must be one of 'none', 'treated', 'control', 'both', received ${JSON.stringify(discard)}`);
  }
  if (ties && !replace) badArgument('ties', 'ties applies to matching with replacement: add replace: true (CLI --replace) or drop ties');
  if (!(tieTolerance >= 0)) badArgument('tieTolerance', `tieTolerance must be ≥ 0, received ${tieTolerance}`);
  if (!Number.isFinite(seed)) badArgument('seed', `seed must be a finite number, received ${seed}`);
  if (options.exact && options.exact.length > 0 && !options.data) {
    badArgument('exact', 'exact matching needs the data: pass options.data (the table the columns come from)');
  }
  if (input.scores.length !== n) badArgument('scores', `scores has ${input.scores.length} values but treatment has ${n}`);

  // The distance matched on.
  const d = new Float64Array(n);
  const lp = isFit(input) ? (input.link === 'logit' ? input.linearPredictor : null) : input.linearPredictor ?? null;
  const badRows: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = input.scores[i]!;
    let v: number;
    if (scale === 'probability') v = s;
    else if (lp) v = lp[i]!;
    else {
      if (!(s > 0 && s < 1)) {
        badArgument('distance', `distance 'logit' needs scores strictly between 0 and 1, but row ${i + 1} has ${s}: pass the linear predictor or use distance 'probability'`);
      }
      v = Math.log(s / (1 - s));
    }
    if (!Number.isFinite(v)) badRows.push(i);
    d[i] = v;
  }
  if (badRows.length > 0) {
    throw new CounterfactError({
      code: 'non_finite',
      column: 'scores',
      rows: badRows.slice(0, 5),
      count: badRows.length,
      message: `${badRows.length} propensity scores are missing or not finite (rows ${badRows.slice(0, 5).map((r) => r + 1).join(', ')}): check the propensity model`,
    });
  }

  // Common support.
  const discarded = new Uint8Array(n);
  if (discard !== 'none') {
    let minT = Infinity, maxT = -Infinity, minC = Infinity, maxC = -Infinity;
    for (let i = 0; i < n; i++) {
      if (treatment[i]) {
        if (d[i]! < minT) minT = d[i]!;
        if (d[i]! > maxT) maxT = d[i]!;
      } else {
        if (d[i]! < minC) minC = d[i]!;
        if (d[i]! > maxC) maxC = d[i]!;
      }
    }
    for (let i = 0; i < n; i++) {
      const t = treatment[i];
      if (t && (discard === 'treated' || discard === 'both') && (d[i]! < minC || d[i]! > maxC)) discarded[i] = 1;
      if (!t && (discard === 'control' || discard === 'both') && (d[i]! < minT || d[i]! > maxT)) discarded[i] = 1;
    }
  }

  // Caliper width: SD over all non-discarded units (n − 1 divisor), as MatchIt.
  let width = Infinity;
  if (options.caliper !== undefined) {
    if (caliperScale === 'raw') width = options.caliper;
    else {
      let m = 0, c = 0;
      for (let i = 0; i < n; i++) if (!discarded[i]) { m += d[i]!; c++; }
      m /= c;
      let ss = 0;
      for (let i = 0; i < n; i++) if (!discarded[i]) ss += (d[i]! - m) ** 2;
      width = options.caliper * Math.sqrt(ss / (c - 1));
    }
  }

  // Matching compares tied distances as squared differences of the standardised distance
  // (its default Weight = 1 scales X by the inverse variance over all units, n − 1 divisor).
  let tieScale = options.tieVariance ?? 1;
  if (ties && options.tieVariance === undefined) {
    let m = 0;
    for (let i = 0; i < n; i++) m += d[i]!;
    m /= n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (d[i]! - m) ** 2;
    tieScale = ss / (n - 1);
  }

  // Strata (exact matching): a stratum id per unit.
  const stratum = new Int32Array(n);
  let nStrata = 1;
  if (options.exact && options.exact.length > 0) {
    const keys = new Map<string, number>();
    const cols = options.exact.map((c) => columnLabels(getColumn(options.data!, c, 'exact-matching')));
    if (options.data!.nRows !== n) badArgument('data', `data has ${options.data!.nRows} rows but the scores have ${n}`);
    for (let i = 0; i < n; i++) {
      const key = cols.map((c) => c[i] ?? '\u0000NA').join('\u0001');
      let s = keys.get(key);
      if (s === undefined) {
        s = keys.size;
        keys.set(key, s);
      }
      stratum[i] = s;
    }
    nStrata = keys.size;
  }

  // Treated processing order.
  const treatedIdx: number[] = [];
  for (let i = 0; i < n; i++) if (treatment[i] && !discarded[i]) treatedIdx.push(i);
  let treatedOrder: Int32Array = Int32Array.from(treatedIdx);
  if (order === 'largest') treatedOrder = stableSortBy(treatedOrder, (i) => -d[i]!);
  else if (order === 'smallest') treatedOrder = stableSortBy(treatedOrder, (i) => d[i]!);
  else if (order === 'random') shuffleInPlace(treatedOrder, createRng(seed));

  // Controls per stratum, stably sorted by distance (data order among ties).
  const controlsByStratum: number[][] = Array.from({ length: nStrata }, () => []);
  for (let i = 0; i < n; i++) if (!treatment[i] && !discarded[i]) controlsByStratum[stratum[i]!]!.push(i);
  const sorted = controlsByStratum.map((list) => stableSortBy(Int32Array.from(list), (i) => d[i]!));
  const free = sorted.map((s) => new FreeList(s.length));

  const mt: number[] = [];
  const mc: number[] = [];
  const mw: number[] = [];
  const nMatches = new Int32Array(n);
  const failed = new Map<number, UnmatchedReason>();
  const warnings: string[] = [];
  const matchedControlsOf = new Map<number, number[]>();

  for (let pass = 0; pass < (ties || replace ? 1 : ratio); pass++) {
    for (let k = 0; k < treatedOrder.length; k++) {
      const i = treatedOrder[k]!;
      if (failed.has(i)) continue;
      const s = stratum[i]!;
      const ctrl = sorted[s]!;
      if (ctrl.length === 0) {
        failed.set(i, 'no-control-in-stratum');
        continue;
      }
      const fl = free[s]!;
      // Position: number of controls "left" of i in the combined stable order.
      const pos = lowerPosition(ctrl, d, d[i]!, i);
      if (!replace) {
        // One more match: nearest free control left or right.
        const L = fl.left(pos - 1);
        const R = fl.right(pos);
        const dl = L >= 0 ? d[i]! - d[ctrl[L]!]! : Infinity;
        const dr = R < ctrl.length ? d[ctrl[R]!]! - d[i]! : Infinity;
        let pick = -1;
        if (dl <= dr && dl <= width) pick = L;
        else if (dr < dl && dr <= width) pick = R;
        if (pick < 0) {
          if (nMatches[i] === 0) failed.set(i, L < 0 && R >= ctrl.length ? 'controls-exhausted' : 'no-control-within-caliper');
          continue;
        }
        fl.take(pick);
        const c = ctrl[pick]!;
        mt.push(i);
        mc.push(c);
        mw.push(NaN);
        nMatches[i]!++;
      } else {
        const found = nearestWithReplacement(ctrl, d, i, pos, ratio, width, ties, tieTolerance, tieScale);
        if (found.length === 0) {
          failed.set(i, 'no-control-within-caliper');
          continue;
        }
        matchedControlsOf.set(i, found);
        if (ties && mt.length + found.length > MAX_PAIRS) tooManyTies(mt.length + found.length, k + 1, tieTolerance, tieScale);
        for (const c of found) {
          mt.push(i);
          mc.push(c);
          mw.push(1 / found.length);
        }
        nMatches[i] = found.length;
      }
    }
  }
  // Pair weights 1/M_i.
  for (let m = 0; m < mt.length; m++) if (Number.isNaN(mw[m]!)) mw[m] = 1 / nMatches[mt[m]!]!;
  // Sort matches by treated (data order), then by the order found: stable and readable.
  const idx = Array.from({ length: mt.length }, (_, m) => m).sort((a, b) => mt[a]! - mt[b]! || a - b);
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
  if (!replace && ratio > 1) {
    let partial = 0;
    for (const i of treatedIdx) if (nMatches[i]! > 0 && nMatches[i]! < ratio) partial++;
    if (partial > 0) warnings.push(`${partial} treated unit(s) received fewer than ${ratio} controls (not enough eligible controls)`);
  }
  // Matching's tolerance can make many "ties" on continuous scores: say so when it more than
  // doubles the number of matches.
  if (ties) {
    const matchedT = treatedIdx.filter((i) => nMatches[i]! > 0).length;
    if (matchedT > 0 && mt.length > 2 * ratio * matchedT) {
      warnings.push(
        `ties: ${mt.length} matches for ${matchedT} treated unit(s) (${(mt.length / matchedT).toFixed(1)} each on average): controls within the tie tolerance (tieTolerance ${tieTolerance} on the squared standardised distance, i.e. up to ±${Math.sqrt(tieTolerance * tieScale).toPrecision(3)} on the distance beyond the nearest) count as tied, as in R Matching; use tieTolerance: 0 for exact ties only`,
      );
    }
  }
  const caliperFails = unmatched.filter((u) => u.reason === 'no-control-within-caliper').length;
  if (caliperFails > 0) warnings.push(`${caliperFails} treated unit(s) had no control within the caliper and were left unmatched: the estimand is the ATT of the matched treated`);
  void matchedControlsOf;

  return buildMatchResult({
    method: options.exact && options.exact.length ? 'nearest-exact' : 'nearest',
    treatment,
    distance: d,
    pairs,
    discarded,
    unmatchedTreated: unmatched,
    settings: {
      method: 'nearest',
      ratio,
      replace,
      caliper: options.caliper ?? null,
      caliperScale,
      caliperWidth: Number.isFinite(width) ? width : null,
      distance: scale,
      order,
      seed: order === 'random' ? seed : null,
      ties,
      tieTolerance: ties ? tieTolerance : null,
      exact: [...(options.exact ?? [])],
      discard,
    },
    warnings,
  });
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

/** Stable sort of indices by a numeric key (ties keep input order). */
function stableSortBy(idx: Int32Array, key: (i: number) => number): Int32Array {
  const keys = new Float64Array(idx.length);
  for (let k = 0; k < idx.length; k++) keys[k] = key(idx[k]!);
  const order = Array.from({ length: idx.length }, (_, k) => k);
  order.sort((a, b) => keys[a]! - keys[b]! || a - b);
  return Int32Array.from(order, (k) => idx[k]!);
}

/**
 * Number of controls that precede unit i in the stable order by (distance, row index):
 * controls with a smaller distance, or equal distance and a smaller row index.
 */
function lowerPosition(ctrl: Int32Array, d: Float64Array, di: number, i: number): number {
  let lo = 0;
  let hi = ctrl.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = ctrl[mid]!;
    const dc = d[c]!;
    if (dc < di || (dc === di && c < i)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * With replacement: the `ratio` nearest controls, searching outward (left first), at most
 * `ratio` per side, nearer first and left before right at equal distance. With `ties`, every
 * control within `tol` of the ratio-th nearest distance is kept too (R Matching).
 */
function nearestWithReplacement(
  ctrl: Int32Array,
  d: Float64Array,
  i: number,
  pos: number,
  ratio: number,
  width: number,
  ties: boolean,
  tol: number,
  variance: number,
): number[] {
  const di = d[i]!;
  const cand: { c: number; dist: number; found: number }[] = [];
  let found = 0;
  let l = pos - 1;
  let r = pos;
  let nl = 0;
  let nr = 0;
  // Collect up to `ratio` per side (more when ties extend the tied distance).
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
  if (!ties || chosen.length === 0) return chosen.map((x) => x.c);
  // Ties: extend to every control whose squared standardised distance is within tol of the
  // ratio-th nearest one's (R Matching's distance.tolerance), on both sides.
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

/**
 * Free positions in a sorted array, with "nearest free to the left/right" queries in
 * amortised O(α(n)) by path-compressed pointers. Hand-written: this is the matching kernel.
 */
class FreeList {
  private readonly leftPtr: Int32Array;
  private readonly rightPtr: Int32Array;
  constructor(n: number) {
    // Positions shifted by one so -1 and n are sentinels at 0 and n + 1.
    this.leftPtr = new Int32Array(n + 2);
    this.rightPtr = new Int32Array(n + 2);
    for (let k = 0; k < n + 2; k++) {
      this.leftPtr[k] = k;
      this.rightPtr[k] = k;
    }
  }
  /** Nearest free position ≤ p (−1 if none). */
  left(p: number): number {
    return this.find(this.leftPtr, p + 1) - 1;
  }
  /** Nearest free position ≥ p (n if none). */
  right(p: number): number {
    return this.find(this.rightPtr, p + 1) - 1;
  }
  take(p: number): void {
    this.leftPtr[p + 1] = p; // points to p - 1 (shifted)
    this.rightPtr[p + 1] = p + 2;
  }
  private find(ptr: Int32Array, x: number): number {
    let root = x;
    while (ptr[root] !== root) root = ptr[root]!;
    while (ptr[x] !== root) {
      const next = ptr[x]!;
      ptr[x] = root;
      x = next;
    }
    return root;
  }
}
