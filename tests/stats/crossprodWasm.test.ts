/**
 * The WebAssembly SIMD cross-product kernel gives the same bits as the JavaScript one
 * (crossprodChunk) for every shape the fit meets: intercept (null) columns, unit or IRLS weights,
 * odd and even column counts (the kernel's tiles of 2 rows × 4, 2 and 1 columns), row counts
 * that are not a multiple of its 256-row block, and a non-zero output offset.
 */
import { describe, expect, it } from 'vitest';
import { crossprodChunk, packedLength } from '../../src/stats/linalg.js';
import { wasmCrossprod } from '../../src/stats/wasm/crossprodWasm.js';
import { createRng } from '../../src/random.js';

describe('WebAssembly cross-product kernel', () => {
  const kernel = wasmCrossprod();
  it('is available in Node (WebAssembly SIMD)', () => expect(kernel).not.toBeNull());
  for (const q of [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 27]) {
    for (const weighted of [false, true]) {
      it(`q = ${q}, ${weighted ? 'IRLS weights' : 'unit weights'}: identical bits`, () => {
        const rng = createRng(1000 + q);
        const n = 1337;
        const cols = Array.from({ length: q }, (_, a) =>
          a === 0 ? null : Float64Array.from({ length: n }, () => (a % 3 === 0 ? (rng.next() < 0.3 ? 1 : 0) : rng.normal() * 10 + a)),
        );
        const center = Float64Array.from({ length: q }, (_, a) => (a === 0 ? 0 : 0.37 * a));
        const scale = Float64Array.from({ length: q }, (_, a) => (a === 0 ? 1 : 1 + a / 7));
        const w = weighted ? Float64Array.from({ length: n }, () => rng.next() * 0.25) : null;
        const T = packedLength(q);
        for (const [start, end] of [
          [0, n],
          [5, 5 + 256],
          [100, 101],
        ] as const) {
          const js = new Float64Array(T + 3).fill(7);
          const wasm = new Float64Array(T + 3).fill(7);
          crossprodChunk(cols, center, scale, w, start, end, js, 3);
          kernel!(cols, center, scale, w, start, end, wasm, 3);
          for (let k = 0; k < T + 3; k++) expect(Object.is(wasm[k], js[k]), `entry ${k}: ${wasm[k]} vs ${js[k]}`).toBe(true);
        }
      });
    }
  }
});
