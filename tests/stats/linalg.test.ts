import { describe, expect, it } from 'vitest';
import { aliasedColumns, cholesky, crossprodChunk, invertSpd, packedIndex, packedLength, solveSpd, unpackSymmetric } from '../../src/stats/linalg.js';
import { createRng } from '../../src/random.js';

function randomColumns(n: number, q: number, seed: number): Float64Array[] {
  const rng = createRng(seed);
  return Array.from({ length: q }, (_, a) => Float64Array.from({ length: n }, () => rng.normal() * (a + 1) + a));
}

describe('small SPD algebra', () => {
  const A = Float64Array.from([4, 2, 0.6, 2, 5, 1.5, 0.6, 1.5, 3]);
  it('cholesky: L Lᵀ reproduces A', () => {
    const L = cholesky(A, 3)!;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += L[i * 3 + k]! * L[j * 3 + k]!;
        expect(s).toBeCloseTo(A[i * 3 + j]!, 14);
      }
    }
    expect(L[0 * 3 + 1]).toBe(0); // lower triangular
  });
  it('solveSpd solves and invertSpd inverts; both refuse a matrix that is not positive definite', () => {
    const x = solveSpd(A, Float64Array.from([1, 2, 3]), 3)!;
    for (let i = 0; i < 3; i++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += A[i * 3 + k]! * x[k]!;
      expect(s).toBeCloseTo(i + 1, 13);
    }
    const inv = invertSpd(A, 3)!;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += A[i * 3 + k]! * inv[k * 3 + j]!;
        expect(s).toBeCloseTo(i === j ? 1 : 0, 13);
      }
    }
    const notPd = Float64Array.from([1, 2, 2, 1]);
    expect(solveSpd(notPd, Float64Array.from([1, 1]), 2)).toBeNull();
    expect(invertSpd(notPd, 2)).toBeNull();
  });
  it('packed upper triangle: index, length and unpacking', () => {
    expect(packedLength(4)).toBe(10);
    const seen = new Set<number>();
    for (let a = 0; a < 4; a++) for (let b = a; b < 4; b++) seen.add(packedIndex(4, a, b));
    expect([...seen].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const packed = Float64Array.from({ length: 10 }, (_, k) => k);
    const full = unpackSymmetric(packed, 4, 3);
    expect(Array.from(full)).toEqual([0, 1, 2, 1, 4, 5, 2, 5, 7]);
  });
  it('aliasedColumns drops a later column that is a combination of earlier ones', () => {
    const [x, y] = randomColumns(50, 2, 3);
    const z = x!.map((v, i) => 2 * v - y![i]!); // aliased
    const cols = [x!, y!, z, randomColumns(50, 1, 9)[0]!];
    const G = new Float64Array(16);
    for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) G[a * 4 + b] = cols[a]!.reduce((s, v, i) => s + v * cols[b]![i]!, 0);
    expect(aliasedColumns(G, 4)).toEqual([false, false, true, false]);
  });
});

describe('crossprodChunk (the IRLS kernel)', () => {
  for (const [n, q] of [
    [1, 1],
    [7, 3],
    [300, 6],
    [777, 9],
  ] as const) {
    it(`equals a naive sum for n = ${n}, q = ${q} (standardised on the fly, intercept, weights, odd tiles)`, () => {
      const raw = randomColumns(n, q, n + q);
      const cols: (Float64Array | null)[] = [null, ...raw];
      const center = Float64Array.from([0, ...raw.map((_, a) => a * 0.5)]);
      const scale = Float64Array.from([1, ...raw.map((_, a) => 1 + a)]);
      const rng = createRng(5);
      const w = Float64Array.from({ length: n }, () => rng.next());
      for (const weights of [w, null]) {
        const Q = q + 1;
        const out = new Float64Array(packedLength(Q) + 3).fill(NaN);
        crossprodChunk(cols, center, scale, weights, 0, n, out, 3);
        const val = (a: number, i: number) => (cols[a] === null ? 1 : (cols[a]![i]! - center[a]!) / scale[a]!);
        for (let a = 0; a < Q; a++) {
          for (let b = a; b < Q; b++) {
            let s = 0;
            for (let i = 0; i < n; i++) s += (weights ? weights[i]! : 1) * val(a, i) * val(b, i);
            expect(Math.abs(out[3 + packedIndex(Q, a, b)]! - s)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(s)));
          }
        }
      }
    });
  }
  it('a sub-range [start, end) sums only those rows', () => {
    const cols = randomColumns(600, 3, 1);
    const c0 = new Float64Array(3),
      s1 = new Float64Array(3).fill(1);
    const whole = new Float64Array(6),
      a = new Float64Array(6),
      b = new Float64Array(6);
    crossprodChunk(cols, c0, s1, null, 100, 600, whole, 0);
    crossprodChunk(cols, c0, s1, null, 100, 356, a, 0);
    crossprodChunk(cols, c0, s1, null, 356, 600, b, 0);
    for (let k = 0; k < 6; k++) expect(whole[k]).toBeCloseTo(a[k]! + b[k]!, 9);
  });
});
