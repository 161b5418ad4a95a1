/**
 * Mahalanobis nearest-neighbour matching on covariates, optionally inside a propensity-score
 * caliper. Greedy, without or with replacement; the common MatchResult.
 */
import { CholeskyDecomposition, inverse, LuDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';
import { stableArgsort } from '../stats/sort.js';
import { FreeList } from './freeList.js';
import type { MatchResult, PropensityFit, UnmatchedReason, UnmatchedUnit } from '../contracts.js';
import { buildDesign } from '../data/design.js';
import type { Table } from '../data/table.js';
import { badArgument, CounterfactError } from '../problems.js';
import { buildMatchResult } from './result.js';

interface Node {
  lo: number; // range in perm
  hi: number;
  dim: number;
  split: number;
  left: Node | null;
  right: Node | null;
  alive: number;
  min: Float64Array;
  max: Float64Array;
}

/**
 * A k-d tree over whitened control points with deletion (alive counts per node), for greedy
 * matching without replacement. Hand-written: kdbush is two-dimensional only.
 */
class KdTree {
  readonly perm: Int32Array;
  readonly root: Node | null;
  private readonly posOf: Int32Array;
  private readonly dead: Uint8Array;
  private readonly leafOf: Node[];
  constructor(
    private readonly pts: Float64Array[],
    private readonly ids: Int32Array,
  ) {
    const n = ids.length;
    this.perm = Int32Array.from({ length: n }, (_, k) => k);
    this.posOf = new Int32Array(n);
    this.dead = new Uint8Array(n);
    this.leafOf = new Array(n);
    this.root = n ? this.build(0, n, 0) : null;
    this.perm.forEach((k, pos) => (this.posOf[k] = pos));
  }
  private build(lo: number, hi: number, depth: number): Node {
    const p = this.pts.length;
    const min = new Float64Array(p).fill(Infinity);
    const max = new Float64Array(p).fill(-Infinity);
    for (let k = lo; k < hi; k++) {
      const q = this.perm[k]!;
      for (let a = 0; a < p; a++) {
        const v = this.pts[a]![q]!;
        if (v < min[a]!) min[a] = v;
        if (v > max[a]!) max[a] = v;
      }
    }
    const node: Node = { lo, hi, dim: 0, split: 0, left: null, right: null, alive: hi - lo, min, max };
    if (hi - lo <= 16) {
      for (let k = lo; k < hi; k++) this.leafOf[this.perm[k]!] = node;
      return node;
    }
    let dim = 0,
      spread = -1;
    for (let a = 0; a < p; a++) if (max[a]! - min[a]! > spread) [dim, spread] = [a, max[a]! - min[a]!];
    const sub = Array.from(this.perm.subarray(lo, hi)).sort((x, y) => this.pts[dim]![x]! - this.pts[dim]![y]! || x - y);
    this.perm.set(sub, lo);
    const mid = (lo + hi) >> 1;
    node.dim = dim;
    node.split = this.pts[dim]![this.perm[mid]!]!;
    node.left = this.build(lo, mid, depth + 1);
    node.right = this.build(mid, hi, depth + 1);
    (node.left as Node & { parent?: Node }).parent = node;
    (node.right as Node & { parent?: Node }).parent = node;
    return node;
  }
  remove(k: number): void {
    if (this.dead[k]) return;
    this.dead[k] = 1;
    let node: (Node & { parent?: Node }) | undefined = this.leafOf[k];
    while (node) {
      node.alive--;
      node = node.parent;
    }
  }
  /** Nearest alive point to q (squared distance, ties to the smaller row index). */
  nearest(q: Float64Array, exclude?: Set<number>): { k: number; d2: number } | null {
    let best = -1,
      bd = Infinity;
    const p = q.length;
    const visit = (node: Node | null) => {
      if (!node || node.alive === 0) return;
      // Lower bound: distance from q to the node's box.
      let lb = 0;
      for (let a = 0; a < p; a++) {
        const v = q[a]!;
        const dd = v < node.min[a]! ? node.min[a]! - v : v > node.max[a]! ? v - node.max[a]! : 0;
        lb += dd * dd;
      }
      if (lb > bd) return;
      if (!node.left) {
        for (let j = node.lo; j < node.hi; j++) {
          const k = this.perm[j]!;
          if (this.dead[k] || exclude?.has(k)) continue;
          let d2 = 0;
          for (let a = 0; a < p; a++) d2 += (this.pts[a]![k]! - q[a]!) ** 2;
          if (d2 < bd || (d2 === bd && this.ids[k]! < this.ids[best]!)) [bd, best] = [d2, k];
        }
        return;
      }
      const first = q[node.dim]! < node.split ? node.left : node.right!;
      visit(first);
      visit(first === node.left ? node.right : node.left);
    };
    visit(this.root);
    return best < 0 ? null : { k: best, d2: bd };
  }
  /** Every alive point with squared distance ≤ r2 that passes `keep`, in control (data) order. */
  within(q: Float64Array, r2: number, keep: (k: number) => boolean): number[] {
    const out: number[] = [];
    const p = q.length;
    const visit = (node: Node | null) => {
      if (!node || node.alive === 0) return;
      let lb = 0;
      for (let a = 0; a < p; a++) {
        const v = q[a]!;
        const dd = v < node.min[a]! ? node.min[a]! - v : v > node.max[a]! ? v - node.max[a]! : 0;
        lb += dd * dd;
      }
      if (lb > r2) return;
      if (!node.left) {
        for (let j = node.lo; j < node.hi; j++) {
          const k = this.perm[j]!;
          if (this.dead[k]) continue;
          let d2 = 0;
          for (let a = 0; a < p; a++) d2 += (this.pts[a]![k]! - q[a]!) ** 2;
          if (d2 <= r2 && keep(k)) out.push(k);
        }
        return;
      }
      visit(node.left);
      visit(node.right);
    };
    visit(this.root);
    return out.sort((a, b) => a - b);
  }
}

export interface MahalanobisOptions {
  readonly covariates: readonly string[];
  readonly categorical?: readonly string[];
  /** Controls per treated unit (default 1). */
  readonly ratio?: number;
  readonly replace?: boolean;
  /** 'pooled' (within-group, MatchIt's default) or 'full' (whole sample, as R Matching's Weight = 2). */
  readonly covariance?: 'pooled' | 'full';
  /** Optional propensity-score caliper (in SDs of the score) with the fit that gives the scores. */
  readonly caliper?: number;
  readonly fit?: PropensityFit;
  /**
   * Keep every control tied at the `ratio`-th nearest distance and split the treated unit's weight
   * among them, as R Matching's `ties = TRUE` (needs `replace: true`; default false).
   */
  readonly ties?: boolean;
  /**
   * With `ties`, controls whose squared Mahalanobis distance is within this of the `ratio`-th
   * nearest count as tied (R Matching's `distance.tolerance`, default 1e-5; 0 for exact ties only).
   */
  readonly tieTolerance?: number;
  /**
   * Order the treated are matched in (without `ties`): 'data', or by the propensity score,
   * 'largest' or 'smallest' first. Default 'data', or 'largest' with a `caliper` (MatchIt's
   * defaults for `distance = "mahalanobis"` and for `mahvars` with a propensity score).
   */
  readonly order?: 'data' | 'largest' | 'smallest';
}

/**
 * Greedy Mahalanobis nearest-neighbour matching for the ATT, treated units in data order.
 * Distances are Euclidean in coordinates whitened by the Cholesky factor of the covariance;
 * nearest controls come from a k-d tree (deleting used controls), not a distance matrix.
 * Cost: about O(n log n) for a few covariates; degrades towards O(n²) in high dimension.
 * @throws CounterfactError for bad options or a singular covariance (collinear covariates).
 */
export function matchMahalanobis(data: Table, treatment: Uint8Array, options: MahalanobisOptions): MatchResult {
  const ratio = options.ratio ?? 1;
  if (!(Number.isInteger(ratio) && ratio >= 1)) badArgument('ratio', `ratio must be a whole number ≥ 1, received ${ratio}`);
  if (options.caliper !== undefined && !options.fit) badArgument('caliper', 'a propensity-score caliper needs `fit`');
  const ties = options.ties ?? false;
  const tieTolerance = options.tieTolerance ?? 1e-5;
  if (ties && !options.replace) badArgument('ties', 'ties: true needs replace: true (as R Matching); set replace or drop ties');
  if (!(tieTolerance >= 0)) badArgument('tieTolerance', `tieTolerance must be ≥ 0, received ${tieTolerance}`);
  const design = buildDesign(data, options.covariates, { categorical: options.categorical });
  const X = design.columns;
  const p = X.length;
  const n = treatment.length;
  // Covariance.
  const S = covarianceOf(X, treatment, options.covariance);
  const chol = new CholeskyDecomposition(S);
  if (!chol.isPositiveDefinite()) {
    throw new CounterfactError({
      code: 'collinear_column',
      message: "the covariates' covariance matrix is singular (collinear or constant covariates): remove the redundant ones",
    });
  }
  // Whiten: z = L⁻¹ x.
  const L = chol.lowerTriangularMatrix;
  const Z = Array.from({ length: p }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < p; a++) {
      let s = X[a]![i]!;
      for (let b = 0; b < a; b++) s -= L.get(a, b) * Z[b]![i]!;
      Z[a]![i] = s / L.get(a, a);
    }
  }
  const ctrlIds: number[] = [];
  for (let i = 0; i < n; i++) if (!treatment[i]) ctrlIds.push(i);
  const ids = Int32Array.from(ctrlIds);
  const pts = Z.map((col) => Float64Array.from(ctrlIds, (i) => col[i]!));
  const tree = new KdTree(pts, ids);
  let width = Infinity;
  const score = options.fit?.scores;
  if (options.caliper !== undefined && score) {
    const m = score.reduce((s, v) => s + v, 0) / n;
    width = options.caliper * Math.sqrt(score.reduce((s, v) => s + (v - m) ** 2, 0) / (n - 1));
  }
  const mt: number[] = [],
    mc: number[] = [];
  const nMatch = new Int32Array(n);
  const failed = new Map<number, UnmatchedReason>();
  const q = new Float64Array(p);
  const weights: number[] = [];
  if (ties) {
    const inCaliper = (i: number) => (k: number) => Math.abs(score ? score[ids[k]!]! - score[i]! : 0) <= width;
    for (let i = 0; i < n; i++) {
      if (!treatment[i]) continue;
      for (let a = 0; a < p; a++) q[a] = Z[a]![i]!;
      const ok = inCaliper(i);
      // The ratio-th nearest distance among controls inside the caliper.
      const skip = new Set<number>();
      let kth = -1;
      for (let r = 0; r < ratio; ) {
        const f = tree.nearest(q, skip);
        if (!f) break;
        skip.add(f.k);
        if (!ok(f.k)) continue;
        kth = f.d2;
        r++;
      }
      if (kth < 0) {
        failed.set(i, Number.isFinite(width) ? 'no-control-within-caliper' : 'controls-exhausted');
        continue;
      }
      const found = tree.within(q, kth + tieTolerance, ok);
      for (const k of found) {
        mt.push(i);
        mc.push(ids[k]!);
        weights.push(1 / found.length);
      }
      nMatch[i] = found.length;
    }
  }
  const order = options.order ?? (options.caliper !== undefined ? 'largest' : 'data');
  if (!['data', 'largest', 'smallest'].includes(order))
    badArgument('order', `order must be 'data', 'largest' or 'smallest', received ${JSON.stringify(order)}`);
  if (order !== 'data' && !score) badArgument('order', `order '${order}' sorts the treated by the propensity score: pass \`fit\``);
  if (!ties) {
    const key = matchitFirstCoordinate(data, options, treatment);
    const treatedOrder: number[] = [];
    for (let i = 0; i < n; i++) if (treatment[i]) treatedOrder.push(i);
    if (order !== 'data') {
      const sorted = stableArgsort(score!);
      treatedOrder.length = 0;
      if (order === 'smallest') for (const i of sorted) treatment[i] && treatedOrder.push(i);
      else {
        // R's order(decreasing = TRUE) is stable: equal scores stay in row order.
        let hi = sorted.length;
        while (hi > 0) {
          let lo = hi - 1;
          while (lo > 0 && score![sorted[lo - 1]!] === score![sorted[hi - 1]!]) lo--;
          for (let k = lo; k < hi; k++) if (treatment[sorted[k]!]) treatedOrder.push(sorted[k]!);
          hi = lo;
        }
      }
    }
    const d2 = (i: number, c: number) => {
      let s2 = 0;
      for (let a = 0; a < p; a++) {
        const dz = Z[a]![i]! - Z[a]![c]!;
        s2 += dz * dz;
      }
      return s2;
    };
    const inCaliper = (i: number, c: number) => !score || Math.abs(score[i]! - score[c]!) <= width;
    const found = matchitWalk(key, treatment, treatedOrder, ratio, options.replace ?? false, d2, inCaliper);
    for (const [i, cs] of found) {
      for (const c of cs) {
        mt.push(i);
        mc.push(c);
      }
      nMatch[i] = cs.length;
    }
    for (const i of treatedOrder) if (nMatch[i] === 0) failed.set(i, Number.isFinite(width) ? 'no-control-within-caliper' : 'controls-exhausted');
  }
  const byTreated = mt.map((_, k) => k).sort((a, b) => mt[a]! - mt[b]! || a - b);
  const unmatched: UnmatchedUnit[] = [];
  for (let i = 0; i < n; i++) if (treatment[i] && nMatch[i] === 0) unmatched.push({ index: i, reason: failed.get(i) ?? 'controls-exhausted' });
  return buildMatchResult({
    method: 'mahalanobis',
    treatment,
    distance: score ?? null,
    pairs: {
      treated: Int32Array.from(byTreated, (k) => mt[k]!),
      control: Int32Array.from(byTreated, (k) => mc[k]!),
      weight: Float64Array.from(byTreated, (k) => (ties ? weights[k]! : 1 / nMatch[mt[k]!]!)),
    },
    discarded: new Uint8Array(n),
    unmatchedTreated: unmatched,
    settings: {
      method: 'mahalanobis',
      covariates: [...options.covariates],
      covariance: options.covariance ?? 'pooled',
      ratio,
      replace: options.replace ?? false,
      caliper: options.caliper ?? null,
      order: ties ? 'data' : order,
      ties,
      tieTolerance: ties ? tieTolerance : null,
    },
    warnings: unmatched.length ? [`${unmatched.length} treated unit(s) unmatched`] : [],
  });
}

/**
 * The coordinate MatchIt 4.7.2 sorts units on for Mahalanobis matching: the first column of its
 * "mahalanobised" covariates. MatchIt codes every level of a factor, standardises each column,
 * drops constant ones, takes the pooled within-group covariance (or its SVD generalised inverse
 * when the determinant is ≤ 1e-8) and multiplies by the pivoted Cholesky factor of the inverse;
 * the first row of that factor belongs to the column with the largest diagonal entry of the
 * inverse, so the coordinate is Xs · V⁻¹[j, ·] / √V⁻¹[j, j]. Only the order of the values is used.
 */
export function matchitFirstCoordinate(
  data: Table,
  options: Pick<MahalanobisOptions, 'covariates' | 'categorical' | 'covariance'>,
  treatment: Uint8Array,
): Float64Array {
  const design = buildDesign(data, options.covariates, { categorical: options.categorical, allLevels: true });
  const n = treatment.length;
  const cols: Float64Array[] = [];
  for (const v of design.columns) {
    let lo = Infinity,
      hi = -Infinity,
      mean = 0;
    for (let i = 0; i < n; i++) {
      const x = v[i]!;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
      mean += x;
    }
    if (Math.abs(hi - lo) < Math.sqrt(Number.EPSILON)) continue;
    mean /= n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (v[i]! - mean) ** 2;
    const sd = Math.sqrt(ss / (n - 1));
    cols.push(Float64Array.from(v, (x) => (x - mean) / sd));
  }
  const p = cols.length;
  if (p === 0) return new Float64Array(n);
  const S = covarianceOf(cols, treatment, options.covariance);
  let inv: Matrix;
  if (new LuDecomposition(S).determinant > 1e-8) inv = inverse(S);
  else {
    const svd = new SingularValueDecomposition(S);
    const d = svd.diagonal;
    const U = svd.leftSingularVectors;
    const W = svd.rightSingularVectors;
    inv = new Matrix(p, p);
    for (let k = 0; k < p; k++) {
      if (!(d[k]! > 1e-8 * d[0]!)) continue;
      for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) inv.set(a, b, inv.get(a, b) + (W.get(a, k) * U.get(b, k)) / d[k]!);
    }
  }
  let j = 0;
  for (let a = 1; a < p; a++) if (inv.get(a, a) > inv.get(j, j)) j = a;
  const root = Math.sqrt(inv.get(j, j));
  const key = new Float64Array(n);
  for (let a = 0; a < p; a++) {
    const w = inv.get(j, a) / root;
    const c = cols[a]!;
    for (let i = 0; i < n; i++) key[i]! += c[i]! * w;
  }
  return key;
}

/**
 * MatchIt 4.7.2's Mahalanobis walk (`find_control_mahcovs`): all units sorted (stably) on `key`;
 * each treated unit, in `treatedOrder`, walks outward from its position, one position at a time,
 * left first, alternating. Eligible controls are compared on the full distance `d2`; a side
 * stops once its squared gap on `key` exceeds the worst distance kept (the list being full). At
 * an equal distance the control met later replaces (1:1) or goes before (k:1) the one kept.
 * Without replacement k:1 runs in passes of one control each; with replacement one walk keeps
 * `ratio`. Positions only matter through the order controls are met, so the walk jumps over used
 * controls with a free list and meets the rest in the order of their step numbers.
 * Returns each treated unit's controls, best first.
 */
export function matchitWalk(
  key: Float64Array,
  treatment: Uint8Array,
  treatedOrder: readonly number[],
  ratio: number,
  replace: boolean,
  d2: (i: number, c: number) => number,
  inCaliper: (i: number, c: number) => boolean,
): Map<number, number[]> {
  const n = key.length;
  const sorted = stableArgsort(key);
  const pos = new Int32Array(n);
  for (let q = 0; q < n; q++) pos[sorted[q]!] = q;
  // Controls by position; a treated unit's walk starts between its neighbours in that list.
  const ctrl: number[] = [];
  const below = new Int32Array(n); // controls before each position
  for (let q = 0; q < n; q++) {
    below[q] = ctrl.length;
    if (!treatment[sorted[q]!]) ctrl.push(sorted[q]!);
  }
  const free = new FreeList(ctrl.length);
  const out = new Map<number, number[]>();
  const active = new Set(treatedOrder);
  const walk = (i: number, want: number, mine: readonly number[]): number[] => {
    const at = pos[i]!;
    const ki = key[i]!;
    let l = free.left(below[at]! - 1);
    let r = free.right(below[at]!);
    let lStop = l < 0;
    let rStop = r >= ctrl.length;
    const kept: { c: number; d: number }[] = [];
    while (!lStop || !rStop) {
      // Next met: left candidates at step 2·gap − 1, right at 2·gap.
      const left = rStop || (!lStop && 2 * (at - pos[ctrl[l]!]!) - 1 < 2 * (pos[ctrl[r]!]! - at));
      const k = left ? l : r;
      const c = ctrl[k]!;
      if (left) {
        l = free.left(k - 1);
      } else {
        r = free.right(k + 1);
      }
      if (!mine.includes(c)) {
        const gap = (ki - key[c]!) ** 2;
        if (kept.length === want && kept[kept.length - 1]!.d < gap) {
          if (left) lStop = true;
          else rStop = true;
        } else if (inCaliper(i, c)) {
          const d = d2(i, c);
          if (Number.isFinite(d)) {
            const e = { c, d };
            if (kept.length === 0) kept.push(e);
            else if (d > kept[kept.length - 1]!.d) {
              if (kept.length < want) kept.push(e);
            } else if (want === 1) kept[0] = e;
            else {
              if (kept.length === want) kept.pop();
              if (kept.length > 0 && d > kept[kept.length - 1]!.d) kept.push(e);
              else {
                let at2 = 0;
                while (at2 < kept.length && kept[at2]!.d < d) at2++;
                kept.splice(at2, 0, e);
              }
            }
          }
        }
      }
      if (left && l < 0) lStop = true;
      if (!left && r >= ctrl.length) rStop = true;
    }
    return kept.map((e) => e.c);
  };
  const rankOf = new Int32Array(n).fill(-1);
  ctrl.forEach((c, k) => (rankOf[c] = k));
  if (replace) {
    for (const i of treatedOrder) {
      const cs = walk(i, ratio, []);
      if (cs.length) out.set(i, cs);
    }
    return out;
  }
  let left = ctrl.length;
  for (let pass = 1; pass <= ratio && left > 0; pass++) {
    for (const i of treatedOrder) {
      if (!active.has(i) || left === 0) continue;
      const mine = out.get(i) ?? [];
      const cs = walk(i, 1, mine);
      if (cs.length === 0) {
        active.delete(i);
        continue;
      }
      out.set(i, [...mine, cs[0]!]);
      free.take(rankOf[cs[0]!]!);
      left--;
    }
  }
  return out;
}

/**
 * The covariance of the columns: pooled within treatment groups (Σ over groups of the centred
 * cross-products, divided by n − 2, as MatchIt's pooled_cov), or over the whole sample with
 * covariance 'full' (n − 1, as Matching's Weight = 2).
 */
function covarianceOf(X: readonly Float64Array[], treatment: Uint8Array, covariance: 'pooled' | 'full' | undefined): Matrix {
  const p = X.length;
  const n = treatment.length;
  const cov = new Matrix(p, p);
  const groups = covariance === 'full' ? [null] : [0, 1];
  let dof = 0;
  for (const g of groups) {
    const idx: number[] = [];
    for (let i = 0; i < n; i++) if (g === null || treatment[i] === g) idx.push(i);
    const mean = X.map((c) => idx.reduce((s, i) => s + c[i]!, 0) / idx.length);
    for (let a = 0; a < p; a++)
      for (let b = 0; b <= a; b++) {
        let s = 0;
        for (const i of idx) s += (X[a]![i]! - mean[a]!) * (X[b]![i]! - mean[b]!);
        cov.set(a, b, cov.get(a, b) + s);
        if (a !== b) cov.set(b, a, cov.get(b, a) + s);
      }
    dof += idx.length - 1;
  }
  return cov.div(dof);
}
