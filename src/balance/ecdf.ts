/**
 * The eCDF statistics of the balance table (MatchIt's "eCDF Mean" and "eCDF Max") for several
 * columns at once, before matching (weight 1) and after (the match weights). The work is in one
 * factory with no outer references, {@link ecdfCore}, so the worker-thread versions
 * (src/io/parallelBalance.ts) run this very source; any thread gives the same bits for a column.
 */

import { orderTiedRuns } from '../stats/sort.js';

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
  return ecdfCore(orderTiedRuns).columns(columns, t, w);
}

/** The rows with positive weight, ascending (the core's own, for callers outside it). */
export function weightedRows(w: Float64Array): Uint32Array {
  return ecdfCore(orderTiedRuns).weighted(w);
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
 * `orderRuns` is {@link orderTiedRuns} (src/stats/sort.ts), the sort's last step, passed in
 * so that the core has no outer references (the worker defines it from its source too).
 * `pause`, when given, is called every 65,536 rows of a sort or walk (a background thread waits
 * there while foreground work runs); it changes no number.
 *
 * Bits: the statistics are running sums over the evaluation points in ascending order, the
 * cumulative shares running sums of 1/n_group (before) or w/Σw_group (after, rows with weight 0
 * skipped) in (value, row) order — the same additions in the same order whichever path or
 * thread computes them.
 */
export function ecdfCore(orderRuns: typeof orderTiedRuns, pause?: () => void) {
  // Rows per block between calls of `pause` (a background thread yielding to foreground work).
  const BLOCK = 65536;
  const counts = new Uint32Array(6 * 2048);
  // Radix buffers, made on the first column that needs a sort.
  let bufN = -1;
  let hiA: Uint32Array[] = [];
  let loA: Uint32Array[] = [];
  let tagA: Uint32Array[] = [];
  let tags0: Uint32Array = new Uint32Array(0);
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
   * Order-preserving keys of v's units and tags (row·2 + treated), ascending (ties in row order):
   * a stable LSD radix sort of the top 42 IEEE bits (four passes of 10–11 bits, a pass skipped
   * when every key has the same digit), then the runs those leave tied sorted by the rest (hand-written: sorting indices with a comparator is the slowest step of the
   * table at register scale).
   */
  const sort = (v: Float64Array, t: Uint8Array): { hi: Uint32Array; lo: Uint32Array; tags: Uint32Array } => {
    const n = v.length;
    if (bufN !== n) {
      hiA = [new Uint32Array(n), new Uint32Array(n)];
      loA = [new Uint32Array(n), new Uint32Array(n)];
      tagA = [new Uint32Array(n), new Uint32Array(n)];
      tags0 = new Uint32Array(n);
      bufN = n;
      tagsFor = null;
    }
    if (tagsFor !== t) {
      for (let i = 0; i < n; i++) tags0[i] = i * 2 + (t[i] ? 1 : 0);
      tagsFor = t;
    }
    const bits = new Uint32Array(v.buffer, v.byteOffset, 2 * n);
    let hi = hiA[0]!,
      lo = loA[0]!,
      tag = tagA[0]!;
    let hi2 = hiA[1]!,
      lo2 = loA[1]!,
      tag2 = tagA[1]!;
    counts.fill(0);
    tag.set(tags0);
    for (let i = 0; i < n; i++) {
      if (pause && i % BLOCK === 0) pause();
      let h: number, l: number;
      if (v[i] === 0) {
        h = 0x80000000; // +0 and −0 alike
        l = 0;
      } else {
        h = bits[2 * i + 1]!;
        l = bits[2 * i]!;
        if (h & 0x80000000) {
          h = ~h >>> 0;
          l = ~l >>> 0;
        } else h = (h | 0x80000000) >>> 0;
      }
      hi[i] = h;
      lo[i] = l;
      counts[4096 + (l >>> 22)]!++;
      counts[6144 + (h & 0x7ff)]!++;
      counts[8192 + ((h >>> 11) & 0x7ff)]!++;
      counts[10240 + (h >>> 22)]!++;
    }
    // The low 22 bits of the key are left out of the passes: they order only values that share
    // the other 42 (rare in data), and those runs are put in order after (below).
    for (let d = 2; d < 6; d++) {
      const base = d * 2048;
      // Skip the pass when one bucket holds every key.
      let trivial = false;
      for (let b = 0; b < 2048; b++) {
        const c = counts[base + b]!;
        if (c === n) trivial = true;
        if (c !== 0) break;
      }
      if (trivial) continue;
      let sum = 0;
      for (let b = 0; b < 2048; b++) {
        const c = counts[base + b]!;
        counts[base + b] = sum;
        sum += c;
      }
      const shift = (d % 3) * 11;
      const keys = d >= 3 ? hi : lo;
      for (let k = 0; k < n; k++) {
        if (pause && k % BLOCK === 0) pause();
        const dst = counts[base + ((keys[k]! >>> shift) & 0x7ff)]!++;
        hi2[dst] = hi[k]!;
        lo2[dst] = lo[k]!;
        tag2[dst] = tag[k]!;
      }
      [hi, hi2] = [hi2, hi];
      [lo, lo2] = [lo2, lo];
      [tag, tag2] = [tag2, tag];
    }
    // Runs of keys equal but for their low 22 bits: ordered by the rest (src/stats/sort.ts).
    orderRuns(hi, lo, tag);
    return { hi, lo, tags: tag };
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
