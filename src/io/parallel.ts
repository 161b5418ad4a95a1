/**
 * Worker-thread accumulator for the propensity fit (Node only): the weighted cross-products of
 * each row chunk are computed on several threads over shared memory, and summed by the caller
 * in chunk order — so the fit is bit-identical with 1 or N workers. The workers run the
 * library's own kernel (its source is sent to them), not a copy: the WebAssembly SIMD one
 * (`makeWasmCrossprod`, same bits) where available, else `crossprodChunk`.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { PropensityFit } from '../contracts.js';
import { toTable, type TableInput } from '../data/table.js';
import {
  fitPropensity,
  IRLS_CHUNK,
  linearPredictorRange,
  logitUpdateChunk,
  rowsOf,
  standardisationAndRanges,
  type Accumulator,
  type PropensityOptions,
} from '../propensity/fit.js';
import { crossprodChunk, packedLength } from '../stats/linalg.js';
import { makeWasmCrossprod } from '../stats/wasm/crossprodWasm.js';
import { CROSSPROD_WASM_BASE64 } from '../stats/wasm/crossprodBytes.js';
import { foregroundEnd, foregroundStart } from './foreground.js';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const crossprodChunkJs = ${crossprodChunk.toString()};
const makeWasmCrossprod = ${makeWasmCrossprod.toString()};
const crossprodChunk = makeWasmCrossprod(new Uint8Array(Buffer.from(${JSON.stringify(CROSSPROD_WASM_BASE64)}, 'base64'))) ?? crossprodChunkJs;
const ${linearPredictorRange.name} = ${linearPredictorRange.toString()};
const logitUpdateChunk = ${logitUpdateChunk.toString()};
const standardisationAndRanges = ${standardisationAndRanges.toString()};
parentPort.on('message', (m) => {
  if (m.op === 'stats') {
    // Whole columns, one per task (column j on worker j mod step): the sums of one thread.
    const y = new Uint8Array(m.y, 0, m.n);
    const out = new Float64Array(m.out), ranges = new Float64Array(m.ranges), two = new Float64Array(2);
    for (let j = m.first; j < m.cols.length; j += m.step) {
      standardisationAndRanges(new Float64Array(m.cols[j], 0, m.n), y, ranges, j, two);
      out[2 * j] = two[0];
      out[2 * j + 1] = two[1];
    }
    const sig = new Int32Array(m.signal);
    Atomics.add(sig, 0, 1);
    Atomics.notify(sig, 0);
    return;
  }
  if (m.op === 'logit') {
    // Views of exactly n rows (a shared column may sit at the start of a longer buffer).
    const cols = m.cols.map((b) => (b === null ? null : new Float64Array(b, 0, m.n)));
    const f = (b) => new Float64Array(b, 0, m.n);
    const center = new Float64Array(m.center), scale = new Float64Array(m.scale), beta = new Float64Array(m.beta);
    const y = new Uint8Array(m.y), eta = f(m.eta), mu = f(m.mu), w = f(m.w), z = f(m.z);
    for (let k = m.first; k < m.chunks; k += m.step) {
      logitUpdateChunk(cols, center, scale, beta, y, eta, mu, w, z, k * m.chunk, Math.min(m.n, (k + 1) * m.chunk));
    }
    const sig = new Int32Array(m.signal);
    Atomics.add(sig, 0, 1);
    Atomics.notify(sig, 0);
    return;
  }
  const cols = m.cols.map((b) => (b === null ? null : new Float64Array(b, 0, m.n)));
  const w = m.w === null ? null : new Float64Array(m.w, 0, m.n);
  const out = new Float64Array(m.out);
  const center = new Float64Array(m.center), scale = new Float64Array(m.scale);
  for (let k = m.first; k < m.chunks; k += m.step) {
    crossprodChunk(cols, center, scale, w, k * m.chunk, Math.min(m.n, (k + 1) * m.chunk), out, k * m.stride);
  }
  const sig = new Int32Array(m.signal);
  Atomics.add(sig, 0, 1);
  Atomics.notify(sig, 0);
});
`;

/** An {@link Accumulator} on worker threads, with `close()` and its thread count. */
export type ParallelAccumulator = Accumulator & { close(): void; readonly workers: number };

/**
 * An {@link Accumulator} that spreads row chunks over `workers` threads (default: all cores).
 * Call `close()` when done (fitPropensity does not own it).
 * @example
 * const acc = createParallelAccumulator({ workers: 2 });
 * const fit = fitPropensity(table, { treatment: 'treat', covariates, accumulator: acc });
 * acc.close();
 */
export function createParallelAccumulator(options: { workers?: number } = {}): ParallelAccumulator {
  const W = Math.max(1, Math.min(options.workers ?? availableParallelism(), 64));
  const workers = Array.from({ length: W }, () => {
    const wk = new Worker(WORKER_SOURCE, { eval: true });
    wk.unref();
    return wk;
  });
  const shared = (a: Float64Array): SharedArrayBuffer => {
    if (!(a.buffer instanceof SharedArrayBuffer) || a.byteOffset !== 0)
      throw new Error('parallel accumulator: columns must be allocated with accumulator.allocate or accumulator.share');
    return a.buffer;
  };
  // One pass on every worker, this thread blocked until all are done (Atomics.wait is allowed on
  // Node's main thread); background threads (foreground.ts) hold back meanwhile.
  const runPass = (msg: Record<string, unknown>, signal: Int32Array) => {
    foregroundStart();
    try {
      workers.forEach((wk, k) => wk.postMessage({ ...msg, first: k }));
      for (;;) {
        const done = Atomics.load(signal, 0);
        if (done >= W) break;
        Atomics.wait(signal, 0, done, 60_000);
      }
    } finally {
      foregroundEnd();
    }
  };
  let out: Float64Array | null = null;
  // The treatment as shared bytes, copied once per fit.
  let ySource: { y: Uint8Array; shared: Uint8Array } | null = null;
  const allocate = (n: number) => new Float64Array(new SharedArrayBuffer(n * 8));
  const sharedY = (y: Uint8Array): Uint8Array => {
    if (!ySource || ySource.y !== y) {
      const copy = new Uint8Array(new SharedArrayBuffer(y.length));
      copy.set(y);
      ySource = { y, shared: copy };
    }
    return ySource.shared;
  };
  return {
    workers: W,
    allocate,
    share(column) {
      if (column.buffer instanceof SharedArrayBuffer && column.byteOffset === 0) return column;
      const copy = allocate(column.length);
      copy.set(column);
      return copy;
    },
    accumulate(cols, center, scale, w, partials) {
      const n = rowsOf(cols);
      const chunks = Math.ceil(n / IRLS_CHUNK);
      if (!out || out.length !== partials.length) out = new Float64Array(new SharedArrayBuffer(partials.length * 8));
      const signal = new Int32Array(new SharedArrayBuffer(4));
      const msg = {
        cols: cols.map((c) => (c === null ? null : shared(c))),
        w: w === null ? null : shared(w),
        center: Array.from(center),
        scale: Array.from(scale),
        out: out.buffer,
        n,
        chunks,
        chunk: IRLS_CHUNK,
        stride: packedLength(cols.length),
        step: W,
        signal: signal.buffer,
      };
      runPass(msg, signal);
      partials.set(out);
    },
    logitUpdate(cols, center, scale, beta, y, o) {
      const n = y.length;
      const chunks = Math.ceil(n / IRLS_CHUNK);
      const ys = sharedY(y);
      const signal = new Int32Array(new SharedArrayBuffer(4));
      const msg = {
        op: 'logit',
        cols: cols.map((c) => (c === null ? null : shared(c))),
        center: Array.from(center),
        scale: Array.from(scale),
        beta: Array.from(beta),
        y: ys.buffer,
        eta: shared(o.eta),
        mu: shared(o.mu),
        w: shared(o.w),
        z: shared(o.z),
        n,
        chunks,
        chunk: IRLS_CHUNK,
        step: W,
        signal: signal.buffer,
      };
      runPass(msg, signal);
    },
    columnStats(cols, y, stats, ranges) {
      const outS = new Float64Array(new SharedArrayBuffer(stats.length * 8));
      const outR = new Float64Array(new SharedArrayBuffer(ranges.length * 8));
      const signal = new Int32Array(new SharedArrayBuffer(4));
      runPass(
        {
          op: 'stats',
          cols: cols.map((c) => shared(c)),
          y: sharedY(y).buffer,
          n: y.length,
          out: outS.buffer,
          ranges: outR.buffer,
          step: W,
          signal: signal.buffer,
        },
        signal,
      );
      stats.set(outS);
      ranges.set(outR);
    },
    close() {
      for (const wk of workers) void wk.terminate();
    },
  };
}

/**
 * {@link fitPropensity} with its cross-products on worker threads: creates a
 * {@link createParallelAccumulator} with `workers` threads (default: all cores), fits, and
 * closes the threads. The result is bit-identical to the single-thread fit. With fewer than
 * two workers, or fewer rows than two chunks (131,072), it fits in this thread.
 * @example
 * const fit = fitPropensityParallel(table, { treatment: 'treat', covariates }, { workers: 2 });
 */
export function fitPropensityParallel(data: TableInput, options: PropensityOptions, parallel: { workers?: number } = {}): PropensityFit {
  const W = Math.max(1, Math.min(parallel.workers ?? availableParallelism(), 64));
  const table = toTable(data);
  if (W < 2 || table.nRows < 2 * IRLS_CHUNK || options.accumulator) return fitPropensity(table, options);
  const accumulator = createParallelAccumulator({ workers: W });
  try {
    return fitPropensity(table, { ...options, accumulator });
  } finally {
    accumulator.close();
  }
}
