/**
 * The eCDF statistics of the balance table (MatchIt's "eCDF Mean" and "eCDF Max") for several
 * columns at once, before matching (weight 1) and after (the match weights). One function with
 * no outer references, so the worker-thread version (src/io/parallelBalance.ts) runs this very
 * source on part of the columns; any thread gives the same bits for a column.
 */

/**
 * For each column k, out[4k … 4k + 3] = mean and max of |F_T − F_C| before matching, then mean
 * and max after, over the distinct values of the column among all units (units with zero weight
 * add no mass but their values still count as evaluation points, as MatchIt), weights
 * normalised within group.
 *
 * Whole-number columns spanning at most max(65,536, n) values (ages, months, counts: most
 * register covariates) are counted per value in one pass, with no sort; the cumulative shares are
 * counts divided once by the group size. Other columns are sorted once (a stable LSD radix sort
 * of the IEEE bits, 11-bit digits, a pass skipped when every key has the same digit; hand-written
 * because sorting indices with a comparator is the slowest step of the table at register scale)
 * and walked once. O(n) per column.
 */
export function ecdfColumns(columns: readonly Float64Array[], t: Uint8Array, w: Float64Array): Float64Array {
  const n = t.length;
  const out = new Float64Array(4 * columns.length);
  let nT = 0,
    swT = 0,
    swC = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[i]! > 0 ? w[i]! : 0;
    if (t[i]) {
      nT++;
      swT += wi;
    } else swC += wi;
  }
  const nC = n - nT;
  // Radix buffers, made on the first column that needs a sort.
  let hiA: Uint32Array[] | null = null;
  let loA: Uint32Array[] = [];
  let tagA: Uint32Array[] = [];
  let tags0: Uint32Array = new Uint32Array(0);
  const counts = new Uint32Array(6 * 2048);
  // The current column's running statistics over its evaluation points: Σ|F_T − F_C| and max
  // before matching, the same after, and the number of points.
  let sum0 = 0,
    max0 = 0,
    sum1 = 0,
    max1 = 0,
    m = 0;
  /** One evaluation point with |F_T − F_C| = d0 before matching and d1 after. */
  const point = (d0: number, d1: number) => {
    sum0 += d0;
    sum1 += d1;
    if (d0 > max0) max0 = d0;
    if (d1 > max1) max1 = d1;
    m++;
  };
  /** Column k's statistics from the points seen since the last call; resets them. */
  const record = (k: number) => {
    out[4 * k] = m > 0 ? sum0 / m : 0;
    out[4 * k + 1] = max0;
    out[4 * k + 2] = m > 0 ? sum1 / m : 0;
    out[4 * k + 3] = max1;
    sum0 = max0 = sum1 = max1 = m = 0;
  };
  const integerEcdf = (v: Float64Array, k: number): boolean => {
    let lo = Infinity,
      hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = v[i]!;
      if (!Number.isInteger(x)) return false;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    const span = hi - lo + 1;
    if (!(span <= Math.max(65536, n))) return false;
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
      sC = 0;
    for (let b = 0; b < span; b++) {
      if (cT[b] === 0 && cC[b] === 0) continue;
      kT += cT[b]!;
      kC += cC[b]!;
      sT += wT[b]!;
      sC += wC[b]!;
      point(Math.abs(kT / nT - kC / nC), Math.abs(sT / swT - sC / swC));
    }
    record(k);
    return true;
  };

  /** Order-preserving keys and tags (row·4 + 2·treated + (weight > 0)) of v's units, ascending (ties in row order). */
  const sort = (v: Float64Array): { hi: Uint32Array; lo: Uint32Array; tags: Uint32Array } => {
    if (!hiA) {
      hiA = [new Uint32Array(n), new Uint32Array(n)];
      loA = [new Uint32Array(n), new Uint32Array(n)];
      tagA = [new Uint32Array(n), new Uint32Array(n)];
      tags0 = new Uint32Array(n);
      for (let i = 0; i < n; i++) tags0[i] = i * 4 + (t[i] ? 2 : 0) + (w[i]! > 0 ? 1 : 0);
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
      counts[l & 0x7ff]!++;
      counts[2048 + ((l >>> 11) & 0x7ff)]!++;
      counts[4096 + (l >>> 22)]!++;
      counts[6144 + (h & 0x7ff)]!++;
      counts[8192 + ((h >>> 11) & 0x7ff)]!++;
      counts[10240 + (h >>> 22)]!++;
    }
    for (let d = 0; d < 6; d++) {
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
        const dst = counts[base + ((keys[k]! >>> shift) & 0x7ff)]!++;
        hi2[dst] = hi[k]!;
        lo2[dst] = lo[k]!;
        tag2[dst] = tag[k]!;
      }
      [hi, hi2] = [hi2, hi];
      [lo, lo2] = [lo2, lo];
      [tag, tag2] = [tag2, tag];
    }
    return { hi, lo, tags: tag };
  };

  columns.forEach((v, k) => {
    if (integerEcdf(v, k)) return;
    const { hi, lo, tags } = sort(v);
    let fT0 = 0,
      fC0 = 0,
      fT1 = 0,
      fC1 = 0;
    for (let j = 0; j < n; j++) {
      const tag = tags[j]!;
      if (tag & 2) {
        fT0 += 1 / nT;
        if (tag & 1) fT1 += w[tag >>> 2]! / swT;
      } else {
        fC0 += 1 / nC;
        if (tag & 1) fC1 += w[tag >>> 2]! / swC;
      }
      // End of a run of equal values: an evaluation point.
      if (j + 1 < n && hi[j + 1] === hi[j] && lo[j + 1] === lo[j]) continue;
      point(Math.abs(fT0 - fC0), Math.abs(fT1 - fC1));
    }
    record(k);
  });
  return out;
}

/** Computes {@link ecdfColumns}' result, possibly on several threads (same bits). */
export type EcdfRunner = (columns: readonly Float64Array[], t: Uint8Array, w: Float64Array) => Float64Array;
