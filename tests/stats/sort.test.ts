import { describe, expect, it } from 'vitest';
import { radixSort42, stableArgsort, stableArgsortKeys } from '../../src/stats/sort.js';
import { createRng } from '../../src/random.js';

/** The definition: indices by key, equal keys (−0 = +0) in index order. */
function reference(keys: Float64Array): Int32Array {
  const idx = Array.from({ length: keys.length }, (_, i) => i);
  idx.sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : a - b));
  return Int32Array.from(idx);
}

/** The double k ulps above x (x finite, positive). */
function ulpsAbove(x: number, k: number): number {
  const f = new Float64Array([x]);
  const u = new BigUint64Array(f.buffer);
  u[0]! += BigInt(k);
  return f[0]!;
}

describe('stableArgsort (radix sort of the top 42 bits, then the runs that share them)', () => {
  const rng = createRng(20261203);
  const cases: Record<string, () => Float64Array> = {
    'uniform scores in (0, 1)': () => Float64Array.from({ length: 50_000 }, () => rng.next()),
    'normal, both signs, with −0 and +0': () => Float64Array.from({ length: 30_000 }, (_, i) => (i % 97 === 0 ? (i % 2 ? -0 : 0) : rng.normal() * 10)),
    'few distinct values (categorical scores): long runs of exact ties': () =>
      Float64Array.from({ length: 40_000 }, () => [0.1, 0.25, 0.3333333333333333, 0.7][Math.floor(rng.next() * 4)]!),
    // Keys one to a few ulps apart share their top 42 bits: the run fix-up orders them, short
    // runs (insertion) and a long one (comparison sort).
    'neighbours a few ulps apart (runs equal in the top 42 bits)': () => {
      const base = [0.123456789, 0.5, 3.75];
      const out = new Float64Array(20_000);
      for (let i = 0; i < out.length; i++) {
        out[i] = ulpsAbove(base[i % 3]!, Math.floor(rng.next() * (i % 3 === 2 ? 1000 : 5)));
      }
      return out;
    },
    'integers and halves': () => Float64Array.from({ length: 10_000 }, () => Math.floor(rng.next() * 200) / 2 - 50),
  };
  for (const [name, make] of Object.entries(cases)) {
    it(name, () => {
      const keys = make();
      const want = reference(keys);
      expect(Array.from(stableArgsort(keys))).toEqual(Array.from(want));
      // The keys in that order, rebuilt from the sort's images (−0 as +0): the same doubles.
      const { sorted } = stableArgsortKeys(keys);
      expect(Array.from(sorted)).toEqual(Array.from(want, (i) => (keys[i] === 0 ? 0 : keys[i]!)));
      expect(sorted.some((x) => Object.is(x, -0))).toBe(false);
    });
  }
  it('a payload travels with its key (row·4 + flags), on the radix and the comparison paths', () => {
    for (const n of [300, 20_000]) {
      const keys = Float64Array.from({ length: n }, () => Math.round(rng.normal() * 50) / 7);
      const payload = Int32Array.from({ length: n }, (_, i) => i * 4 + (i % 3));
      const { order } = stableArgsortKeys(keys, payload);
      expect(Array.from(order)).toEqual(Array.from(reference(keys), (i) => payload[i]!));
    }
    expect(() => stableArgsortKeys(new Float64Array(3), new Int32Array(2))).toThrow(/2 payload values for 3 keys/);
  });
  it('short inputs (the comparison path) agree too', () => {
    const keys = Float64Array.from({ length: 300 }, () => Math.round(rng.normal() * 5));
    expect(Array.from(stableArgsort(keys))).toEqual(Array.from(reference(keys)));
  });
  it('radixSort42 as the balance worker calls it (row·2 + treated tags, a pause): the same order, pausing every 65,536 keys', () => {
    const n = 150_000;
    const keys = Float64Array.from({ length: n }, (_, i) => (i % 5 === 0 ? ulpsAbove(0.25, i % 7) : rng.normal()));
    const scratch = () => new Uint32Array(n);
    let pauses = 0;
    const tags = Int32Array.from({ length: n }, (_, i) => i * 2 + (i % 11 === 0 ? 1 : 0));
    const r = radixSort42(keys, tags, scratch(), scratch(), scratch(), scratch(), new Int32Array(n), () => pauses++);
    expect(Array.from(r.payload, (t) => t >>> 1)).toEqual(Array.from(reference(keys)));
    expect(Array.from(r.payload, (t) => t & 1)).toEqual(Array.from(reference(keys), (i) => (i % 11 === 0 ? 1 : 0)));
    // One pause per 65,536 keys of the key pass and of each of the passes not skipped (here all four).
    expect(pauses).toBe(5 * Math.ceil(n / 65_536));
  });
});
