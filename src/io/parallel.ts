/**
 * Worker-thread accumulator for the propensity fit (Node only): the IRLS cross-products of
 * each row chunk are computed on several threads over shared memory, and summed by the
 * caller in chunk order — so the fit is bit-identical with 1 or N workers. The worker runs
 * the library's own `accumulateChunk` (its source is sent to the worker), not a copy.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { accumulateChunk, IRLS_CHUNK, type Accumulator } from '../propensity/fit.js';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const accumulateChunk = ${accumulateChunk.toString()};
parentPort.on('message', (m) => {
  const X = m.X.map((b) => new Float64Array(b));
  const w = new Float64Array(m.w), z = new Float64Array(m.z), out = new Float64Array(m.out);
  const stride = m.p * m.p + m.p;
  for (let k = m.first; k < m.chunks; k += m.step) {
    accumulateChunk(X, w, z, k * m.chunk, Math.min(m.n, (k + 1) * m.chunk), out, k * stride);
  }
  const sig = new Int32Array(m.signal);
  Atomics.add(sig, 0, 1);
  Atomics.notify(sig, 0);
});
`;

/**
 * An {@link Accumulator} that spreads row chunks over `workers` threads (default: all cores).
 * Call `close()` when done (fitPropensity does not own it).
 * @example
 * const acc = createParallelAccumulator({ workers: 2 });
 * const fit = fitPropensity(table, { treatment: 'treat', covariates, accumulator: acc });
 * acc.close();
 */
export function createParallelAccumulator(options: { workers?: number } = {}): Accumulator & { close(): void; readonly workers: number } {
  const W = Math.max(1, Math.min(options.workers ?? availableParallelism(), 64));
  const workers = Array.from({ length: W }, () => {
    const wk = new Worker(WORKER_SOURCE, { eval: true });
    wk.unref();
    return wk;
  });
  const shared = (a: Float64Array): SharedArrayBuffer => {
    if (!(a.buffer instanceof SharedArrayBuffer)) throw new Error('parallel accumulator: columns must be allocated with accumulator.allocate');
    return a.buffer;
  };
  let out: Float64Array | null = null;
  return {
    workers: W,
    allocate: (n) => new Float64Array(new SharedArrayBuffer(n * 8)),
    accumulate(X, w, z, partials) {
      const p = X.length;
      const n = w.length;
      const chunks = Math.ceil(n / IRLS_CHUNK);
      if (!out || out.length !== partials.length) out = new Float64Array(new SharedArrayBuffer(partials.length * 8));
      const signal = new Int32Array(new SharedArrayBuffer(4));
      const msg = { X: X.map(shared), w: shared(w), z: shared(z), out: out.buffer, p, n, chunks, chunk: IRLS_CHUNK, step: W, signal: signal.buffer };
      workers.forEach((wk, k) => wk.postMessage({ ...msg, first: k }));
      // Block until every worker has finished (Atomics.wait is allowed on Node's main thread).
      for (;;) {
        const done = Atomics.load(signal, 0);
        if (done >= W) break;
        Atomics.wait(signal, 0, done, 60_000);
      }
      partials.set(out);
    },
    close() {
      for (const wk of workers) void wk.terminate();
    },
  };
}
