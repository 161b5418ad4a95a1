/**
 * Mahalanobis nearest-neighbour matching on covariates, optionally inside a propensity-score
 * caliper. Greedy, without or with replacement; the common MatchResult.
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
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
  const cov = new Matrix(p, p);
  const groups = options.covariance === 'full' ? [null] : [0, 1];
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
  const S = cov.div(dof);
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
  const taken = new Map<number, Set<number>>();
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
  for (let pass = 0; pass < (ties ? 0 : ratio); pass++) {
    for (let i = 0; i < n; i++) {
      if (!treatment[i] || failed.has(i)) continue;
      for (let a = 0; a < p; a++) q[a] = Z[a]![i]!;
      const mine = taken.get(i) ?? new Set<number>();
      // With a caliper, skip candidates outside it (temporarily excluded) until one fits.
      const skip = new Set<number>(mine);
      let found: { k: number; d2: number } | null = null;
      for (;;) {
        found = tree.nearest(q, skip);
        if (!found) break;
        if (Math.abs(score ? score[ids[found.k]!]! - score[i]! : 0) <= width) break;
        skip.add(found.k);
      }
      if (!found) {
        if (nMatch[i] === 0) failed.set(i, Number.isFinite(width) ? 'no-control-within-caliper' : 'controls-exhausted');
        continue;
      }
      mine.add(found.k);
      taken.set(i, mine);
      if (!options.replace) tree.remove(found.k);
      mt.push(i);
      mc.push(ids[found.k]!);
      nMatch[i]!++;
    }
  }
  const order = mt.map((_, k) => k).sort((a, b) => mt[a]! - mt[b]! || a - b);
  const unmatched: UnmatchedUnit[] = [];
  for (let i = 0; i < n; i++) if (treatment[i] && nMatch[i] === 0) unmatched.push({ index: i, reason: failed.get(i) ?? 'controls-exhausted' });
  return buildMatchResult({
    method: 'mahalanobis',
    treatment,
    distance: score ?? null,
    pairs: {
      treated: Int32Array.from(order, (k) => mt[k]!),
      control: Int32Array.from(order, (k) => mc[k]!),
      weight: Float64Array.from(order, (k) => (ties ? weights[k]! : 1 / nMatch[mt[k]!]!)),
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
      order: 'data',
      ties,
      tieTolerance: ties ? tieTolerance : null,
    },
    warnings: unmatched.length ? [`${unmatched.length} treated unit(s) unmatched`] : [],
  });
}
