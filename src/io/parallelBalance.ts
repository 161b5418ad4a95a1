/**
 * The balance table's eCDF statistics on two threads (Node only): a worker thread takes half of
 * the non-binary columns (each kind — counted, sorted — dealt out alternately) while this thread
 * does the rest, both running the library's own
 * `ecdfColumns` (its source is sent to the worker), so the numbers are the same bits as in one
 * thread. Columns on shared memory (as the CSV and Parquet readers give them) are not copied.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { ecdfColumns, type EcdfRunner } from '../balance/ecdf.js';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const __name = (f) => f;
const ecdfColumns = ${ecdfColumns.toString()};
parentPort.on('message', (m) => {
  // Views of exactly n rows (a shared column may sit at the start of a longer buffer).
  const cols = m.cols.map((b) => new Float64Array(b, 0, m.n));
  const out = new Float64Array(m.out);
  out.set(ecdfColumns(cols, new Uint8Array(m.t, 0, m.n), new Float64Array(m.w, 0, m.n)));
  const sig = new Int32Array(m.signal);
  Atomics.store(sig, 0, 1);
  Atomics.notify(sig, 0);
});
`;

/** Rows below which one thread is faster than starting a worker. */
const MIN_ROWS = 200_000;

/**
 * An `ecdf` runner for `assessBalance` / `evaluateDesign` that uses a second thread on
 * machines with more than one core and tables of at least 200,000 rows, else runs in this
 * thread. The worker starts on first use and ends after each call (no open handles).
 * @example assessBalance(table, match, covariates, { ecdf: createParallelEcdf() })
 */
export function createParallelEcdf(): EcdfRunner {
  return (columns, t, w) => {
    const n = t.length;
    if (availableParallelism() < 2 || n < MIN_ROWS || columns.length < 2) return ecdfColumns(columns, t, w);
    const shared = (a: Float64Array): SharedArrayBuffer => {
      if (a.buffer instanceof SharedArrayBuffer && a.byteOffset === 0 && a.length === n) return a.buffer;
      const copy = new Float64Array(new SharedArrayBuffer(n * 8));
      copy.set(a);
      return copy.buffer as SharedArrayBuffer;
    };
    // Balance the two halves: columns that look whole-numbered (their first 4,096 values) take
    // ecdfColumns' cheap counting path, the others a sort; deal each kind out alternately.
    const looksCounted = (v: Float64Array) => {
      for (let i = 0; i < Math.min(n, 4096); i++) if (!Number.isInteger(v[i]!)) return false;
      return true;
    };
    const toWorker: boolean[] = [];
    const dealt = [0, 0];
    for (const v of columns) {
      const kind = looksCounted(v) ? 0 : 1;
      toWorker.push(dealt[kind]! % 2 === 1);
      dealt[kind]!++;
    }
    const theirs = columns.filter((_, k) => toWorker[k]);
    const mine = columns.filter((_, k) => !toWorker[k]);
    const tShared = new Uint8Array(new SharedArrayBuffer(n));
    tShared.set(t);
    const out = new Float64Array(new SharedArrayBuffer(4 * theirs.length * 8));
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    try {
      worker.postMessage({ n, cols: theirs.map(shared), t: tShared.buffer, w: shared(w), out: out.buffer, signal: signal.buffer });
      const a = ecdfColumns(mine, t, w);
      // The worker's half; should it not answer within 10 minutes (it died), do it here.
      const deadline = Date.now() + 600_000;
      while (Atomics.load(signal, 0) === 0 && Date.now() < deadline) Atomics.wait(signal, 0, 0, 1_000);
      if (Atomics.load(signal, 0) === 0) out.set(ecdfColumns(theirs, t, w));
      const result = new Float64Array(4 * columns.length);
      let jm = 0,
        jw = 0;
      columns.forEach((_, k) => {
        const src = toWorker[k] ? out : a;
        const j = toWorker[k] ? jw++ : jm++;
        result.set(src.subarray(4 * j, 4 * j + 4), 4 * k);
      });
      return result;
    } finally {
      void worker.terminate();
    }
  };
}
