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
  const rows = new Int32Array(n);
  if (payload) rows.set(payload);
  else for (let i = 0; i < n; i++) rows[i] = i;
  const r = radixSort42(keys, rows, new Uint32Array(n), new Uint32Array(n), new Uint32Array(n), new Uint32Array(n), new Int32Array(n), null);
  if (!withKeys) return { order: r.payload, sorted: null };
  const hiA = r.hi;
  const loA = r.lo;
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
  return { order: r.payload, sorted };
}

/**
 * The radix sort behind {@link stableArgsort} and the balance table's eCDF sorts: `keys` (finite
 * doubles, −0 as +0) in ascending order of their order-preserving 64-bit images, stably, with
 * `payload` (row numbers or tags) moved along. A stable LSD radix sort of the top 42 bits (four
 * passes of 10–11 bits, 2,048 buckets that stay in cache; all histograms from one read; a pass
 * skipped when every key has the same digit); the images travel with the payload so every pass
 * reads sequentially. Then the runs of keys equal in those 42 bits but not in the low 22 (values
 * within about 1e-9 of each other relatively: rare in data) are ordered by the low word, stably
 * (insertion sort for short runs, else a stable comparison sort): the order of a full 64-bit
 * sort, two passes fewer.
 *
 * `hi`, `lo`, `hi2`, `lo2`, `payload2`: scratch of keys.length each (any content; `payload` is
 * read and becomes scratch too); returned: which of them hold the sorted images (hi = bits 32–63,
 * lo = bits 0–31, sign-flipped so that unsigned order is numeric order) and the payload.
 * `pause`: null, or called every 65,536 keys of each pass (a background thread yielding to
 * foreground work; it changes nothing). Self-contained (no outer references): the balance
 * worker gets its source.
 */
export function radixSort42(
  keys: Float64Array,
  payload: Int32Array,
  hi: Uint32Array,
  lo: Uint32Array,
  hi2: Uint32Array,
  lo2: Uint32Array,
  payload2: Int32Array,
  pause: (() => void) | null,
): { hi: Uint32Array; lo: Uint32Array; payload: Int32Array } {
  const BLOCK = 65536;
  const n = keys.length;
  const bits = new Uint32Array(keys.buffer, keys.byteOffset, 2 * n);
  const hist = new Int32Array(4 * 2048);
  for (let i = 0; i < n; i++) {
    if (pause && i % BLOCK === 0) pause();
    let h: number, l: number;
    if (keys[i] === 0) {
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
    hist[l >>> 22]!++;
    hist[2048 + (h & 0x7ff)]!++;
    hist[4096 + ((h >>> 11) & 0x7ff)]!++;
    hist[6144 + (h >>> 22)]!++;
  }
  // Digits: lo bits 22–31, then hi bits 0–10, 11–21, 22–31.
  let pl = payload;
  let pl2 = payload2;
  for (let pass = 0; pass < 4; pass++) {
    const base = pass * 2048;
    const shift = pass === 0 ? 22 : (pass - 1) * 11;
    const w = pass === 0 ? lo : hi;
    // A digit every key shares leaves the order as it is.
    if (n === 0 || hist[base + ((w[0]! >>> shift) & 0x7ff)] === n) continue;
    let sum = 0;
    for (let b = 0; b < 2048; b++) {
      const c = hist[base + b]!;
      hist[base + b] = sum;
      sum += c;
    }
    for (let k = 0; k < n; k++) {
      if (pause && k % BLOCK === 0) pause();
      const dst = hist[base + ((w[k]! >>> shift) & 0x7ff)]!++;
      pl2[dst] = pl[k]!;
      hi2[dst] = hi[k]!;
      lo2[dst] = lo[k]!;
    }
    [pl, pl2] = [pl2, pl];
    [hi, hi2] = [hi2, hi];
    [lo, lo2] = [lo2, lo];
  }
  // The runs tied on the top 42 bits, in order of the low 22.
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
          const x = pl[i]!;
          let j = i - 1;
          while (j >= a && lo[j]! > l) {
            lo[j + 1] = lo[j]!;
            pl[j + 1] = pl[j]!;
            j--;
          }
          lo[j + 1] = l;
          pl[j + 1] = x;
        }
      } else {
        const run = Array.from({ length: b - a }, (_, k) => a + k);
        run.sort((x, y) => lo[x]! - lo[y]!); // stable (ECMAScript 2019)
        const l2 = run.map((x) => lo[x]!);
        const p2 = run.map((x) => pl[x]!);
        for (let k = a; k < b; k++) {
          lo[k] = l2[k - a]!;
          pl[k] = p2[k - a]!;
        }
      }
    }
    a = b;
  }
  return { hi, lo, payload: pl };
}
