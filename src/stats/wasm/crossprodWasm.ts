/**
 * The IRLS cross-product kernel ({@link crossprodChunk}) with its triangle step in WebAssembly
 * SIMD (src/stats/wasm/crossprod.wat, hand-written: this is the hot loop of the propensity fit at
 * register scale). Two f64 lanes carry two entries of the same row of the triangle, each summed
 * over the rows in order with one rounding per multiply and per add, exactly as the JavaScript
 * kernel does, so the two give the same bits (tests/stats/crossprodWasm.test.ts checks it); only
 * the speed differs. The standardising step stays in JavaScript with the same expressions.
 */
import type { crossprodChunk } from '../linalg.js';
import { CROSSPROD_WASM_BASE64 } from './crossprodBytes.js';

export type CrossprodKernel = typeof crossprodChunk;

/**
 * A kernel with `crossprodChunk`'s contract and bits, from the module's bytes; null where
 * WebAssembly SIMD is unavailable (the caller keeps the JavaScript kernel). Self-contained (no
 * outer references): the worker-thread accumulator ships its source to the workers.
 */
export function makeWasmCrossprod(bytes: Uint8Array<ArrayBuffer>): CrossprodKernel | null {
  let exports: { memory: WebAssembly.Memory; tri: (q: number, len: number, xp: number, wp: number, op: number) => void };
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    exports = instance.exports as typeof exports;
  } catch {
    return null;
  }
  const memory = exports.memory;
  const tri = exports.tri;
  const B = 256;
  // An anonymous arrow: bundlers that keep function names wrap named ones in a helper the
  // worker source would not have.
  return (cols, center, scale, w, start, end, out, offset) => {
    const q = cols.length;
    const T = (q * (q + 1)) / 2;
    // X (B × q, row-major), WX (B × q) and the triangle, in f64 slots.
    const xOff = 0;
    const wOff = B * q;
    const oOff = 2 * B * q;
    const need = (oOff + T) * 8;
    if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
    const f = new Float64Array(memory.buffer);
    f.fill(0, oOff, oOff + T);
    for (let s = start; s < end; s += B) {
      const len = Math.min(end, s + B) - s;
      for (let a = 0; a < q; a++) {
        const col = cols[a];
        if (col === null || col === undefined) {
          for (let i = 0; i < len; i++) f[xOff + i * q + a] = 1;
        } else {
          const m = center[a]!;
          const sd = scale[a]!;
          for (let i = 0; i < len; i++) f[xOff + i * q + a] = (col[s + i]! - m) / sd;
        }
        if (w === null) {
          for (let i = 0; i < len; i++) f[wOff + i * q + a] = f[xOff + i * q + a]!;
        } else {
          for (let i = 0; i < len; i++) f[wOff + i * q + a] = w[s + i]! * f[xOff + i * q + a]!;
        }
      }
      tri(q, len, xOff * 8, wOff * 8, oOff * 8);
    }
    for (let k = 0; k < T; k++) out[offset + k] = f[oOff + k]!;
  };
}

/** The module's bytes (decoded from base64 without Node's Buffer, so browsers can use it). */
export function crossprodWasmBytes(): Uint8Array<ArrayBuffer> {
  const s = atob(CROSSPROD_WASM_BASE64);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

let cached: CrossprodKernel | null | undefined;
/** This thread's WebAssembly kernel (instantiated once), or null without WebAssembly SIMD. */
export function wasmCrossprod(): CrossprodKernel | null {
  if (cached === undefined) cached = makeWasmCrossprod(crossprodWasmBytes());
  return cached;
}
