/**
 * The eCDF statistics of the balance table (MatchIt's "eCDF Mean" and "eCDF Max") for several
 * columns at once, before matching (weight 1) and after (the match weights). The work is in one
 * factory with no outer references, {@link ecdfCore}, so the worker-thread versions
 * (src/io/parallelBalance.ts) run this very source; any thread gives the same bits for a column.
 */

import { radixSort42 } from '../stats/sort.js';

/** Computes {@link ecdfColumns}' result, possibly on several threads (same bits). */
export type EcdfRunner = (columns: readonly Float64Array[], t: Uint8Array, w: Float64Array) => Float64Array;

/**
 * For each column k, out[4k … 4k + 3] = mean and max of |F_T − F_C| before matching, then mean
 * and max after, over the distinct values of the column among all units (units with zero weight
 * add no mass but their values still count as evaluation points, as MatchIt), weights
 * normalised within group.
 *
 * Whole-number columns spanning at most max(65,536, n) values (ages, months, counts: most
 * register covariates) are counted per value in one pass, with no sort. Other columns are
 * sorted once (a stable LSD radix sort of the IEEE bits) and walked once for the statistics
 * before matching, which also gives each row the rank of its value among the distinct values;
 * the statistics after matching then need only the matched rows, bucketed by rank. O(n) per
 * column.
 */
export function ecdfColumns(columns: readonly Float64Array[], t: Uint8Array, w: Float64Array): Float64Array {
  return ecdfCore(radixSort42).columns(columns, t, w);
}

/** The rows with positive weight, ascending (the core's own, for callers outside it). */
export function weightedRows(w: Float64Array): Uint32Array {
  return ecdfCore(radixSort42).weighted(w);
}

/**
 * The eCDF machinery, self-contained (its source is shipped to worker threads):
 * - `columns(cols, t, w)`: {@link ecdfColumns}.
 * - `sortable(v)`: true when a column takes the sort path (not 0/1, not whole numbers in a
 *   countable span).
 * - `rankColumn(v, t, rank)`: the statistics before matching of a sortable column,
 *   [mean, max, number of distinct values m], and rank[i] = the index (0 … m − 1) of row i's
 *   value among the distinct values, ascending. Needs no weights, so it can run before matching.
 * - `after(rank, m, t, w, totals, rows)`: [mean, max] after matching from those ranks (`rows`:
 *   the rows with positive weight, ascending, as `weighted(w)` gives them).
 *
 * `radix` is {@link radixSort42} (src/stats/sort.ts), the sort, passed in so that the core has
 * no outer references (the worker defines it from its source too).
 * `pause`, when given, is called every 65,536 rows of a sort or walk (a background thread waits
 * there while foreground work runs); it changes no number.
 *
 * Bits: the statistics are running sums over the evaluation points in ascending order, the
 * cumulative shares running sums of 1/n_group (before) or w/Σw_group (after, rows with weight 0
 * skipped) in (value, row) order — the same additions in the same order whichever path or
 * thread computes them.
 */
export function ecdfCore(radix: typeof radixSort42, pause?: () => void) {
  // Rows per block between calls of `pause` (a background thread yielding to foreground work).
  const BLOCK = 65536;
  // Radix buffers, made on the first column that needs a sort and reused for the others.
  let bufN = -1;
  let buf: Uint32Array[] = [];
  let tagA: Int32Array[] = [];
  let tags0: Int32Array = new Int32Array(0);
  let tagsFor: Uint8Array | null = null;

  /** Number of treated; the sums of positive weights of treated and controls (row order). */
  const totals = (t: Uint8Array, w: Float64Array | null) => {
    let nT = 0,
      swT = 0,
      swC = 0;
    for (let i = 0; i < t.length; i++) {
      const wi = w === null ? 0 : w[i]! > 0 ? w[i]! : 0;
      if (t[i]) {
        nT++;
        swT += wi;
      } else swC += wi;
    }
    return { nT, nC: t.length - nT, swT, swC };
  };

  /** Whole numbers within a countable span: [lo, span]; null otherwise. */
  const integerSpan = (v: Float64Array): [number, number] | null => {
    const n = v.length;
    let lo = Infinity,
      hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = v[i]!;
      if (!Number.isInteger(x)) return null;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    const span = hi - lo + 1;
    return span <= Math.max(65536, n) ? [lo, span] : null;
  };

  /** 0/1 columns (their statistics are differences in proportions, computed elsewhere). */
  const binary = (v: Float64Array): boolean => {
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (x !== 0 && x !== 1) return false;
    }
    return true;
  };

  /** The four statistics of a whole-number column, by counting per value. */
  const integerStats = (v: Float64Array, lo: number, span: number, t: Uint8Array, w: Float64Array, g: ReturnType<typeof totals>): number[] => {
    const n = v.length;
    const cT = new Float64Array(span);
    const cC = new Float64Array(span);
    const wT = new Float64Array(span);
    const wC = new Float64Array(span);
    for (let i = 0; i < n; i++) {
      const b = v[i]! - lo;
      const wi = w[i]! > 0 ? w[i]! : 0;
      if (t[i]) {
        cT[b]++;
        wT[b] += wi;
      } else {
        cC[b]++;
        wC[b] += wi;
      }
    }
    let kT = 0,
      kC = 0,
      sT = 0,
      sC = 0,
      sum0 = 0,
      max0 = 0,
      sum1 = 0,
      max1 = 0,
      m = 0;
    for (let b = 0; b < span; b++) {
      if (cT[b] === 0 && cC[b] === 0) continue;
      kT += cT[b]!;
      kC += cC[b]!;
      sT += wT[b]!;
      sC += wC[b]!;
      const d0 = Math.abs(kT / g.nT - kC / g.nC);
      const d1 = Math.abs(sT / g.swT - sC / g.swC);
      sum0 += d0;
      sum1 += d1;
      if (d0 > max0) max0 = d0;
      if (d1 > max1) max1 = d1;
      m++;
    }
    return [m > 0 ? sum0 / m : 0, max0, m > 0 ? sum1 / m : 0, max1];
  };

  /**
   * Order-preserving keys of v's units and tags (row·2 + treated), ascending (ties in row order),
   * by `radix` (hand-written: sorting indices with a comparator is the slowest step of the table
   * at register scale). Tags are read as unsigned (>>> 1, & 1).
   */
  const sort = (v: Float64Array, t: Uint8Array): { hi: Uint32Array; lo: Uint32Array; tags: Int32Array } => {
    const n = v.length;
    if (bufN !== n) {
      buf = [new Uint32Array(n), new Uint32Array(n), new Uint32Array(n), new Uint32Array(n)];
      tagA = [new Int32Array(n), new Int32Array(n)];
      tags0 = new Int32Array(n);
      bufN = n;
      tagsFor = null;
    }
    if (tagsFor !== t) {
      for (let i = 0; i < n; i++) tags0[i] = i * 2 + (t[i] ? 1 : 0);
      tagsFor = t;
    }
    tagA[0]!.set(tags0);
    const r = radix(v, tagA[0]!, buf[0]!, buf[1]!, buf[2]!, buf[3]!, tagA[1]!, pause ?? null);
    return { hi: r.hi, lo: r.lo, tags: r.payload };
  };

  const sortable = (v: Float64Array): boolean => !binary(v) && integerSpan(v) === null;

  const rankColumn = (v: Float64Array, t: Uint8Array, rank: Uint32Array, g: { nT: number; nC: number } = totals(t, null)): number[] => {
    const n = v.length;
    const { hi, lo, tags } = sort(v, t);
    let fT0 = 0,
      fC0 = 0,
      sum0 = 0,
      max0 = 0,
      m = 0;
    for (let j = 0; j < n; j++) {
      if (pause && j % BLOCK === 0) pause();
      const tag = tags[j]!;
      if (tag & 1) fT0 += 1 / g.nT;
      else fC0 += 1 / g.nC;
      rank[tag >>> 1] = m;
      // End of a run of equal values: an evaluation point.
      if (j + 1 < n && hi[j + 1] === hi[j] && lo[j + 1] === lo[j]) continue;
      const d0 = Math.abs(fT0 - fC0);
      sum0 += d0;
      if (d0 > max0) max0 = d0;
      m++;
    }
    return [m > 0 ? sum0 / m : 0, max0, m];
  };

  /** The rows with positive weight, ascending. */
  const weighted = (w: Float64Array): Uint32Array => {
    let k = 0;
    for (let i = 0; i < w.length; i++) if (w[i]! > 0) k++;
    const rows = new Uint32Array(k);
    k = 0;
    for (let i = 0; i < w.length; i++) if (w[i]! > 0) rows[k++] = i;
    return rows;
  };

  const after = (
    rank: Uint32Array,
    m: number,
    t: Uint8Array,
    w: Float64Array,
    g: { swT: number; swC: number } = totals(t, w),
    rows: Uint32Array = weighted(w),
  ): number[] => {
    // The rows with positive weight in (rank, row) order: their ranks, weights and groups
    // gathered in row order, then a stable LSD radix sort on the rank carrying the weight and
    // group along (sequential passes over the matched rows only; no lookups into the
    // n-length columns during the walk).
    const M = rows.length;
    let rk = new Uint32Array(M);
    let wk = new Float64Array(M);
    let gk = new Uint8Array(M);
    for (let k = 0; k < M; k++) {
      const i = rows[k]!;
      rk[k] = rank[i]!;
      wk[k] = w[i]!;
      gk[k] = t[i]!;
    }
    let rk2 = new Uint32Array(M);
    let wk2 = new Float64Array(M);
    let gk2 = new Uint8Array(M);
    const bucket = new Uint32Array(4096);
    for (let shift = 0; shift < 32 && m - 1 >= 2 ** shift; shift += 12) {
      bucket.fill(0);
      for (let k = 0; k < M; k++) bucket[(rk[k]! >>> shift) & 0xfff]!++;
      let sum = 0;
      for (let b = 0; b < 4096; b++) {
        const c = bucket[b]!;
        bucket[b] = sum;
        sum += c;
      }
      for (let k = 0; k < M; k++) {
        const dst = bucket[(rk[k]! >>> shift) & 0xfff]!++;
        rk2[dst] = rk[k]!;
        wk2[dst] = wk[k]!;
        gk2[dst] = gk[k]!;
      }
      [rk, rk2] = [rk2, rk];
      [wk, wk2] = [wk2, wk];
      [gk, gk2] = [gk2, gk];
    }
    let fT1 = 0,
      fC1 = 0,
      sum1 = 0,
      max1 = 0,
      j = 0;
    for (let r = 0; r < m; r++) {
      for (; j < M && rk[j] === r; j++) {
        if (gk[j]) fT1 += wk[j]! / g.swT;
        else fC1 += wk[j]! / g.swC;
      }
      const d1 = Math.abs(fT1 - fC1);
      sum1 += d1;
      if (d1 > max1) max1 = d1;
    }
    return [m > 0 ? sum1 / m : 0, max1];
  };

  const columns = (cols: readonly Float64Array[], t: Uint8Array, w: Float64Array): Float64Array => {
    const out = new Float64Array(4 * cols.length);
    const g = totals(t, w);
    let rank: Uint32Array | null = null;
    let rows: Uint32Array | null = null;
    cols.forEach((v, k) => {
      const span = integerSpan(v);
      if (span) {
        out.set(integerStats(v, span[0], span[1], t, w, g), 4 * k);
        return;
      }
      rank ??= new Uint32Array(t.length);
      const [mean0, max0, m] = rankColumn(v, t, rank, g);
      rows ??= weighted(w);
      const [mean1, max1] = after(rank, m!, t, w, g, rows);
      out.set([mean0!, max0!, mean1!, max1!], 4 * k);
    });
    return out;
  };

  return { columns, sortable, rankColumn, after, totals, weighted };
}
