/**
 * The seeded generator every random step takes as an argument. No module-level state:
 * two analyses in one process never interfere. The seed is recorded in every result.
 *
 * Algorithm: xoshiro128** (Blackman & Vigna), state seeded by splitmix32 from a 32-bit seed.
 * Hand-written because it must be identical in Node and browsers and across versions.
 */
export interface Rng {
  /** The seed this generator was created with. */
  readonly seed: number;
  /** Uniform on [0, 1). */
  next(): number;
  /** Uniform integer on [0, n). */
  int(n: number): number;
  /** Standard normal (Box–Muller, one value per call; the pair's second value is cached). */
  normal(): number;
  /** Bernoulli(p) as 0/1. */
  bernoulli(p: number): number;
  /** A new independent generator derived from this one (for parallel or nested streams). */
  fork(): Rng;
}

function splitmix32(a: number): () => number {
  return () => {
    a |= 0;
    a = (a + 0x9e3779b9) | 0;
    let t = a ^ (a >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    t ^= t >>> 15;
    return t >>> 0;
  };
}

/**
 * Create a seeded generator.
 * @param seed any finite number; it is reduced to an unsigned 32-bit integer.
 * @example
 * const rng = createRng(42); rng.next(); // same value on every platform
 */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new TypeError(`seed must be a finite number, received ${seed}`);
  const s32 = Math.floor(Math.abs(seed)) >>> 0;
  const sm = splitmix32(s32);
  let s0 = sm();
  let s1 = sm();
  let s2 = sm();
  let s3 = sm();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  let cachedNormal: number | null = null;
  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
  const next = (): number => {
    // 53-bit resolution from two draws.
    const hi = nextU32() >>> 5;
    const lo = nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  };
  const rng: Rng = {
    seed: s32,
    next,
    int(n: number) {
      return Math.floor(next() * n);
    },
    normal() {
      if (cachedNormal !== null) {
        const v = cachedNormal;
        cachedNormal = null;
        return v;
      }
      let u = 0;
      while (u === 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      cachedNormal = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    bernoulli(p: number) {
      return next() < p ? 1 : 0;
    },
    fork() {
      return createRng(nextU32());
    },
  };
  return rng;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** In-place Fisher–Yates shuffle of an index array with the given generator. */
export function shuffleInPlace(a: Int32Array | number[], rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}
