/**
 * Sorting kernels shared by the matchers. Hand-written because matching sorts every unit of a
 * register: at 1M rows an LSD radix sort on the IEEE-754 bits takes a few tens of milliseconds,
 * where `Array.prototype.sort` with a comparator takes about ten times as long.
 */

/**
 * Stable ascending argsort of finite doubles: the row indices in order of `keys`, equal keys in
 * row order (as R's `order()`). −0 and +0 count as equal. NaN is not allowed (callers check).
 * Cost: O(n): four radix passes (10–11 bits) over the top 42 bits of each key's order-preserving
 * 64-bit image, a pass skipped when every key has the same digit; then the runs of keys that
 * share those 42 bits but not the low 22 (values within about 1e-9 of each other relatively:
 * rare) are put in order by the low bits, stably. The same order as a full 64-bit sort, with two
 * passes over the data fewer.
 * @example stableArgsort(Float64Array.of(0.3, 0.1, 0.3)) // Int32Array [1, 0, 2]
 */
export function stableArgsort(keys: Float64Array): Int32Array {
  return radixArgsort(keys, undefined, false).order;
}

/**
 * {@link stableArgsort}, with the keys in that order: sorted[p] = keys[order[p]] (−0 as +0),
 * rebuilt from the sort's own keys (no lookup of keys by row, which at register scale is a
 * cache miss per row). With `payload` (one value per row), `order` holds the payload values in
 * the sorted order instead of the row numbers (e.g. row·4 + flags: the flags then come out in
 * order too, with no lookup by row either).
 */
export function stableArgsortKeys(keys: Float64Array, payload?: Int32Array): { order: Int32Array; sorted: Float64Array } {
  if (payload !== undefined && payload.length !== keys.length)
    throw new RangeError(`stableArgsortKeys: ${payload.length} payload values for ${keys.length} keys`);
  const { order, sorted } = radixArgsort(keys, payload, true);
  return { order, sorted: sorted! };
}

/** The sort behind both: the keys in order only when `withKeys` (a pass and 8n bytes otherwise spared). */
function radixArgsort(keys: Float64Array, payload: Int32Array | undefined, withKeys: boolean): { order: Int32Array; sorted: Float64Array | null } {
  const n = keys.length;
  if (n < 512) {
    const idx = Array.from({ length: n }, (_, i) => i);
    idx.sort((a, b) => keys[a]! - keys[b]! || a - b);
    const order = Int32Array.from(idx);
    const sorted = withKeys ? Float64Array.from(order, (i) => (keys[i] === 0 ? 0 : keys[i]!)) : null;
    return { order: payload ? Int32Array.from(order, (i) => payload[i]!) : order, sorted };
  }
  // Order-preserving map of each double to two unsigned 32-bit words (little-endian halves).
  let hiA = new Uint32Array(n);
  let loA = new Uint32Array(n);
  const f = new Float64Array(1);
  const u = new Uint32Array(f.buffer);
  const hist = new Int32Array(4 * 2048);
  for (let i = 0; i < n; i++) {
    const v = keys[i]!;
    f[0] = v === 0 ? 0 : v;
    let h = u[1]!;
    let l = u[0]!;
    if (h & 0x80000000) {
      h = ~h >>> 0;
      l = ~l >>> 0;
    } else h = (h | 0x80000000) >>> 0;
    hiA[i] = h;
    loA[i] = l;
    hist[l >>> 22]!++;
    hist[2048 + (h & 0x7ff)]!++;
    hist[4096 + ((h >>> 11) & 0x7ff)]!++;
    hist[6144 + (h >>> 22)]!++;
  }
  let idx = new Int32Array(n);
  if (payload) idx.set(payload);
  else for (let i = 0; i < n; i++) idx[i] = i;
  let idx2 = new Int32Array(n);
  let hiB = new Uint32Array(n),
    loB = new Uint32Array(n);
  // Digits: lo bits 22–31, then hi bits 0–10, 11–21, 22–31 (2,048 buckets stay in cache). Keys
  // travel with the indices so every pass reads sequentially; all histograms come from one read.
  for (let pass = 0; pass < 4; pass++) {
    const base = pass * 2048;
    const shift = pass === 0 ? 22 : (pass - 1) * 11;
    const w = pass === 0 ? loA : hiA;
    // A digit every key shares leaves the order as it is.
    if (hist[base + ((w[0]! >>> shift) & 0x7ff)] === n) continue;
    let sum = 0;
    for (let b = 0; b < 2048; b++) {
      const c = hist[base + b]!;
      hist[base + b] = sum;
      sum += c;
    }
    for (let k = 0; k < n; k++) {
      const dst = hist[base + ((w[k]! >>> shift) & 0x7ff)]!++;
      idx2[dst] = idx[k]!;
      hiB[dst] = hiA[k]!;
      loB[dst] = loA[k]!;
    }
    [idx, idx2] = [idx2, idx];
    [hiA, hiB] = [hiB, hiA];
    [loA, loB] = [loB, loA];
  }
  orderTiedRuns(hiA, loA, idx);
  if (!withKeys) return { order: idx, sorted: null };
  // The keys back from their images, in sorted order.
  const sorted = new Float64Array(n);
  const sw = new Uint32Array(sorted.buffer);
  for (let p = 0; p < n; p++) {
    const h = hiA[p]!;
    if (h & 0x80000000) {
      sw[2 * p] = loA[p]!;
      sw[2 * p + 1] = h & 0x7fffffff;
    } else {
      sw[2 * p] = ~loA[p]!;
      sw[2 * p + 1] = ~h;
    }
  }
  return { order: idx, sorted };
}

/**
 * The last step of a stable LSD radix sort of 64-bit keys on their top 42 bits (hi = bits
 * 32–63, lo = bits 0–31, both in sorted order): the runs of keys equal in those 42 bits but not
 * in the low 22 (values within about 1e-9 of each other relatively: rare in data) are ordered by
 * the low word, stably (insertion sort for short runs, else a stable comparison sort), with
 * `payload` (row indices or tags) moved along; the order is then that of the full keys, ties in
 * their order before. In place. Self-contained: the balance worker gets its source with
 * `ecdfCore`'s, which sorts this way too.
 */
export function orderTiedRuns(hi: Uint32Array, lo: Uint32Array, payload: Uint32Array | Int32Array): void {
  const n = hi.length;
  for (let a = 0; a < n; ) {
    const h = hi[a]!;
    const top = lo[a]! >>> 22;
    let b = a + 1;
    let mixed = false;
    while (b < n && hi[b] === h && lo[b]! >>> 22 === top) {
      if (lo[b] !== lo[a]) mixed = true;
      b++;
    }
    if (mixed) {
      if (b - a <= 32) {
        for (let i = a + 1; i < b; i++) {
          const l = lo[i]!;
          const x = payload[i]!;
          let j = i - 1;
          while (j >= a && lo[j]! > l) {
            lo[j + 1] = lo[j]!;
            payload[j + 1] = payload[j]!;
            j--;
          }
          lo[j + 1] = l;
          payload[j + 1] = x;
        }
      } else {
        const run = Array.from({ length: b - a }, (_, k) => a + k);
        run.sort((x, y) => lo[x]! - lo[y]!); // stable (ECMAScript 2019)
        const l2 = run.map((x) => lo[x]!);
        const p2 = run.map((x) => payload[x]!);
        for (let k = a; k < b; k++) {
          lo[k] = l2[k - a]!;
          payload[k] = p2[k - a]!;
        }
      }
    }
    a = b;
  }
}
