/**
 * The IRLS cross-product kernel ({@link crossprodChunk}) with its triangle step in WebAssembly
 * SIMD (src/stats/wasm/crossprod.wat, hand-written: this is the hot loop of the propensity fit at
 * register scale). Two f64 lanes carry two entries of the same row of the triangle, each summed
 * over the rows in order with one rounding per multiply and per add, exactly as the JavaScript
 * kernel does, so the two give the same bits (tests/stats/crossprodWasm.test.ts checks it); only
 * the speed differs. The standardising step is in WebAssembly too (one rounding per subtraction,
 * division and multiplication, as in JavaScript); JavaScript only copies each block's raw columns in.
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
  let exports: {
    memory: WebAssembly.Memory;
    tri: (q: number, len: number, xp: number, wp: number, op: number) => void;
    stage: (raw: number, wraw: number, cp: number, sp: number, flags: number, xp: number, wp: number, q: number, len: number, B: number, hasW: number) => void;
  };
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    exports = instance.exports as typeof exports;
  } catch {
    return null;
  }
  const memory = exports.memory;
  const tri = exports.tri;
  const stage = exports.stage;
  const B = 256;
  // An anonymous arrow: bundlers that keep function names wrap named ones in a helper the
  // worker source would not have.
  return (cols, center, scale, w, start, end, out, offset) => {
    const q = cols.length;
    const T = (q * (q + 1)) / 2;
    // In f64 slots: the raw block column by column, the raw weights, center, scale, the
    // standardised block row-major (X, W·X) for tri, the triangle; then one i32 flag per column.
    const raw = 0;
    const wraw = q * B;
    const cp = wraw + B;
    const sp = cp + q;
    const xr = sp + q;
    const wr = xr + q * B;
    const tr = wr + q * B;
    const flags = (tr + T) * 8;
    const need = flags + 4 * q;
    if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
    const f = new Float64Array(memory.buffer);
    const fl = new Int32Array(memory.buffer, flags, q);
    f.set(center.subarray(0, q), cp);
    f.set(scale.subarray(0, q), sp);
    for (let a = 0; a < q; a++) fl[a] = cols[a] === null || cols[a] === undefined ? 1 : 0;
    f.fill(0, tr, tr + T);
    for (let s = start; s < end; s += B) {
      const len = Math.min(end, s + B) - s;
      for (let a = 0; a < q; a++) {
        const col = cols[a];
        if (col) f.set(col.subarray(s, s + len), raw + a * B);
      }
      if (w !== null) f.set(w.subarray(s, s + len), wraw);
      stage(raw * 8, wraw * 8, cp * 8, sp * 8, flags, xr * 8, wr * 8, q, len, B, w === null ? 0 : 1);
      tri(q, len, xr * 8, wr * 8, tr * 8);
    }
    for (let k = 0; k < T; k++) out[offset + k] = f[tr + k]!;
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
