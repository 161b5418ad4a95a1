/**
 * Sorting kernels shared by the matchers. Hand-written because matching sorts every unit of a
 * register: at 1M rows an LSD radix sort on the IEEE-754 bits takes a few tens of milliseconds,
 * where `Array.prototype.sort` with a comparator takes about ten times as long.
 */

/**
 * Stable ascending argsort of finite doubles: the row indices in order of `keys`, equal keys in
 * row order (as R's `order()`). −0 and +0 count as equal. NaN is not allowed (callers check).
 * Cost: O(n) (six 11-bit radix passes, passes on constant digits skipped).
 * @example stableArgsort(Float64Array.of(0.3, 0.1, 0.3)) // Int32Array [1, 0, 2]
 */
export function stableArgsort(keys: Float64Array): Int32Array {
  const n = keys.length;
  if (n < 512) {
    const idx = Array.from({ length: n }, (_, i) => i);
    idx.sort((a, b) => keys[a]! - keys[b]! || a - b);
    return Int32Array.from(idx);
  }
  // Order-preserving map of each double to two unsigned 32-bit words (little-endian halves).
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  const f = new Float64Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < n; i++) {
    const v = keys[i]!;
    f[0] = v === 0 ? 0 : v;
    let h = u[1]!;
    let l = u[0]!;
    if (h & 0x80000000) {
      h = ~h >>> 0;
      l = ~l >>> 0;
    } else h = (h | 0x80000000) >>> 0;
    hi[i] = h;
    lo[i] = l;
  }
  // Six passes of 11, 11 and 10 bits over each word: 2,048 buckets stay in cache. Keys travel
  // with the indices so every pass reads sequentially; all histograms come from one read.
  const shifts = [0, 11, 22, 0, 11, 22];
  const masks = [0x7ff, 0x7ff, 0x3ff, 0x7ff, 0x7ff, 0x3ff];
  const hist = new Int32Array(6 * 2048);
  for (let i = 0; i < n; i++) {
    const l = lo[i]!;
    const h = hi[i]!;
    hist[l & 0x7ff]!++;
    hist[2048 + ((l >>> 11) & 0x7ff)]!++;
    hist[4096 + (l >>> 22)]!++;
    hist[6144 + (h & 0x7ff)]!++;
    hist[8192 + ((h >>> 11) & 0x7ff)]!++;
    hist[10240 + (h >>> 22)]!++;
  }
  let idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  let idx2 = new Int32Array(n);
  let hiA = hi,
    loA = lo;
  let hiB = new Uint32Array(n),
    loB = new Uint32Array(n);
  for (let pass = 0; pass < 6; pass++) {
    const base = pass * 2048;
    const shift = shifts[pass]!;
    const mask = masks[pass]!;
    const words = pass < 3 ? loA : hiA;
    // A digit every key shares leaves the order as it is.
    if (hist[base + ((words[0]! >>> shift) & mask)] === n) continue;
    let sum = 0;
    for (let b = 0; b < 2048; b++) {
      const c = hist[base + b]!;
      hist[base + b] = sum;
      sum += c;
    }
    const w = pass < 3 ? loA : hiA;
    for (let k = 0; k < n; k++) {
      const dst = hist[base + ((w[k]! >>> shift) & mask)]!++;
      idx2[dst] = idx[k]!;
      hiB[dst] = hiA[k]!;
      loB[dst] = loA[k]!;
    }
    [idx, idx2] = [idx2, idx];
    [hiA, hiB] = [hiB, hiA];
    [loA, loB] = [loB, loA];
  }
  return idx;
}
