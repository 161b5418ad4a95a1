/**
 * The balance table's eCDF statistics on worker threads (Node only), running the library's own
 * `ecdfCore` (its source is sent to the worker), so the numbers are the same bits as in one
 * thread. Columns on shared memory (as the CSV and Parquet readers give them) are not copied.
 *
 * - {@link createParallelEcdf}: at balance time, a worker takes half of the non-binary columns
 *   while this thread does the rest.
 * - {@link prepareParallelEcdf}: started before the propensity fit, a worker sorts the
 *   covariates and computes their statistics before matching (they need no weights) while this
 *   thread fits and matches; at balance time only the statistics after matching remain, from
 *   the matched rows alone.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { ecdfColumns, ecdfCore, type EcdfRunner } from '../balance/ecdf.js';
import { resolveTreatment } from '../data/design.js';
import { ownValue, type Table } from '../data/table.js';
import { foreground } from './foreground.js';
import { radixSort42 } from '../stats/sort.js';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const __name = (f) => f;
const radixSort42 = ${radixSort42.toString()};
const ecdfCore = ${ecdfCore.toString()};
const prepareColumn = ${prepareColumn.toString()};
const core = ecdfCore(radixSort42);
parentPort.on('message', (m) => {
  const sig = new Int32Array(m.signal);
  try {
    // Views of exactly n rows (a shared column may sit at the start of a longer buffer).
    const cols = m.cols.map((b) => new Float64Array(b, 0, m.n));
    const t = new Uint8Array(m.t, 0, m.n);
    const out = new Float64Array(m.out);
    if (m.op === 'after') {
      // Statistics after matching of prepared columns, taken in turn with the main thread.
      const w = new Float64Array(m.w, 0, m.n), rows = new Uint32Array(m.rows), res = new Float64Array(m.res);
      const claim = new Int32Array(m.claim), g = { swT: m.swT, swC: m.swC };
      for (;;) {
        const c = Atomics.add(claim, 0, 1);
        if (c >= m.list.length) break;
        const j = m.list[c];
        const r = core.after(new Uint32Array(m.ranks[j], 0, m.n), res[4 * j + 3], t, w, g, rows);
        out[2 * j] = r[0];
        out[2 * j + 1] = r[1];
        Atomics.add(sig, 0, 1);
        Atomics.notify(sig, 0);
      }
      return;
    }
    if (m.op === 'prepare') {
      // Background work: wait while the fit's passes run (foreground.ts).
      const gate = new Int32Array(m.gate);
      const bg = ecdfCore(radixSort42, () => {
        for (;;) {
          const v = Atomics.load(gate, 0);
          if (v <= 0) return;
          Atomics.wait(gate, 0, v, 100);
        }
      });
      const next = new Int32Array(m.next);
      const g = bg.totals(t, null);
      for (;;) {
        const k = Atomics.add(next, 0, 1);
        if (k >= cols.length) break;
        prepareColumn(bg, cols[k], t, new Uint32Array(m.ranks[k], 0, m.n), g, out, k);
        Atomics.add(sig, 0, 1);
        Atomics.notify(sig, 0);
      }
      return;
    }
    out.set(core.columns(cols, t, new Float64Array(m.w, 0, m.n)));
    Atomics.store(sig, 0, 1);
  } catch (e) {
    Atomics.store(sig, 1, 1);
  }
  Atomics.notify(sig, 0);
});
`;

/**
 * One prepared column: its statistics before matching and its ranks (see `ecdfCore`), written to
 * out[4k] = 1 (ranked) or 2 (not sortable: computed in full later), out[4k + 1 … 4k + 3] = mean,
 * max, distinct values. Self-contained (runs on the worker and on this thread alike).
 */
function prepareColumn(
  core: ReturnType<typeof ecdfCore>,
  v: Float64Array,
  t: Uint8Array,
  rank: Uint32Array,
  g: { nT: number; nC: number },
  out: Float64Array,
  k: number,
): void {
  if (core.sortable(v)) {
    const r = core.rankColumn(v, t, rank, g);
    out[4 * k + 1] = r[0]!;
    out[4 * k + 2] = r[1]!;
    out[4 * k + 3] = r[2]!;
    out[4 * k] = 1;
  } else out[4 * k] = 2;
}

/** Rows below which one thread is faster than starting a worker. */
const MIN_ROWS = 200_000;

/** The buffer of a column of n rows, shared (no copy when it already is). */
function sharedBuffer(a: Float64Array | Uint8Array, n: number): SharedArrayBuffer {
  if (a.buffer instanceof SharedArrayBuffer && a.byteOffset === 0 && a.length === n) return a.buffer;
  const copy = a instanceof Uint8Array ? new Uint8Array(new SharedArrayBuffer(n)) : new Float64Array(new SharedArrayBuffer(n * 8));
  copy.set(a);
  return copy.buffer as SharedArrayBuffer;
}

/**
 * Wait until the worker's counter signal[0] reaches `target`; false when the worker failed
 * (signal[1] set) or gave no sign of life for 10 minutes.
 */
function waitFor(signal: Int32Array, target: number): boolean {
  let last = Atomics.load(signal, 0);
  let since = Date.now();
  while (last < target && Atomics.load(signal, 1) === 0) {
    Atomics.wait(signal, 0, last, 1_000);
    const now = Atomics.load(signal, 0);
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since > 600_000) return false;
  }
  return last >= target;
}

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
    // Balance the two halves: columns that look whole-numbered (their first 4,096 values) take
    // the cheap counting path, the others a sort; deal each kind out alternately.
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
    const out = new Float64Array(new SharedArrayBuffer(4 * theirs.length * 8));
    const signal = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    try {
      worker.postMessage({
        op: 'columns',
        n,
        cols: theirs.map((c) => sharedBuffer(c, n)),
        t: sharedBuffer(t, n),
        w: sharedBuffer(w, n),
        out: out.buffer,
        signal: signal.buffer,
      });
      const a = ecdfColumns(mine, t, w);
      // The worker's half; should it fail or die, done here.
      if (!waitFor(signal, 1)) out.set(ecdfColumns(theirs, t, w));
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

/** An eCDF runner whose columns were prepared ahead; `close()` ends its worker and frees its memory. */
export type PreparedEcdf = EcdfRunner & { close(): void };

/**
 * Start the balance table's work that needs no matching weights, on a worker thread, now: for
 * each of `columns` that is not 0/1 or whole-numbered, its sort, its eCDF statistics before
 * matching and the rank of every row's value. `t` is the treatment (1 treated). The returned
 * runner gives `assessBalance` the same bits as `ecdfColumns`: for a prepared column (the same
 * array, with the same treatment) it adds only the statistics after matching, from the matched
 * rows; any other column (the distance, a whole-numbered covariate, or everything when the
 * treatment differs, as for the ATC) is computed in full. The worker does not keep the process
 * alive; call `close()` when the balance tables are done. One thread or fewer than 200,000 rows:
 * {@link createParallelEcdf}.
 * @example
 * const ecdf = prepareParallelEcdf(covariateColumns, treatment);
 * const design = evaluateDesign(table, spec, { ecdf });
 * ecdf.close();
 */
export function prepareParallelEcdf(columns: readonly Float64Array[], t: Uint8Array): PreparedEcdf {
  const n = t.length;
  const cols = [...new Set(columns)].filter((c) => c.length === n);
  if (availableParallelism() < 2 || n < MIN_ROWS || cols.length === 0) return Object.assign(createParallelEcdf(), { close() {} });
  const tCopy = Uint8Array.from(t);
  const ranks = cols.map(() => new Uint32Array(new SharedArrayBuffer(n * 4)));
  const res = new Float64Array(new SharedArrayBuffer(4 * cols.length * 8));
  const signal = new Int32Array(new SharedArrayBuffer(8));
  // The next column to take: the worker takes them in order; at balance time this thread takes
  // the ones left too.
  const next = new Int32Array(new SharedArrayBuffer(4));
  let worker: Worker | null = new Worker(WORKER_SOURCE, { eval: true });
  worker.unref();
  worker.postMessage({
    op: 'prepare',
    n,
    cols: cols.map((c) => sharedBuffer(c, n)),
    t: sharedBuffer(t, n),
    ranks: ranks.map((r) => r.buffer),
    out: res.buffer,
    signal: signal.buffer,
    next: next.buffer,
    gate: foreground.buffer,
  });
  const index = new Map(cols.map((c, k) => [c, k]));
  let ready: boolean | null = null;
  const stop = () => {
    if (worker) void worker.terminate();
    worker = null;
  };
  const core = ecdfCore(radixSort42);
  const sameTreatment = (t2: Uint8Array) => {
    if (t2.length !== n) return false;
    for (let i = 0; i < n; i++) if (t2[i] !== tCopy[i]) return false;
    return true;
  };
  const runner = (columns2: readonly Float64Array[], t2: Uint8Array, w: Float64Array): Float64Array => {
    const out = new Float64Array(4 * columns2.length);
    const same = index.size > 0 && sameTreatment(t2);
    const prepared: number[] = [];
    const rest: number[] = [];
    columns2.forEach((c, k) => (same && index.has(c) ? prepared : rest).push(k));
    // The columns not prepared first (the worker may still be finishing).
    if (rest.length) {
      const e = ecdfColumns(
        rest.map((k) => columns2[k]!),
        t2,
        w,
      );
      rest.forEach((k, j) => out.set(e.subarray(4 * j, 4 * j + 4), 4 * k));
    }
    if (prepared.length) {
      if (ready === null) {
        // The columns the worker has not taken yet, here (same code, same bits), then its last.
        const g0 = core.totals(tCopy, null);
        for (;;) {
          const k = Atomics.add(next, 0, 1);
          if (k >= cols.length) break;
          prepareColumn(core, cols[k]!, tCopy, ranks[k]!, g0, res, k);
          Atomics.add(signal, 0, 1);
        }
        ready = waitFor(signal, cols.length);
      }
      const g = core.totals(t2, w);
      const rows = core.weighted(w);
      const after = new Float64Array(new SharedArrayBuffer(16 * cols.length));
      /** Column j's statistics after matching, into `after` (the worker's 'after' op does the same). */
      const afterOf = (j: number) => {
        const r = core.after(ranks[j]!, res[4 * j + 3]!, t2, w, g, rows);
        after[2 * j] = r[0]!;
        after[2 * j + 1] = r[1]!;
      };
      // The statistics after matching of the ranked columns: the worker and this thread take
      // columns in turn (same code, same bits).
      const todo = prepared.map((k) => index.get(columns2[k]!)!).filter((j) => ready && res[4 * j] === 1);
      if (todo.length) {
        const claim = new Int32Array(new SharedArrayBuffer(4));
        const done = new Int32Array(new SharedArrayBuffer(8));
        const list = Int32Array.from(todo);
        if (worker && todo.length > 1) {
          const shared = new Uint32Array(new SharedArrayBuffer(rows.length * 4));
          shared.set(rows);
          worker.postMessage({
            op: 'after',
            n,
            cols: [],
            t: sharedBuffer(tCopy, n),
            w: sharedBuffer(w, n),
            rows: shared.buffer,
            ranks: ranks.map((r) => r.buffer),
            res: res.buffer,
            list: list,
            swT: g.swT,
            swC: g.swC,
            claim: claim.buffer,
            out: after.buffer,
            signal: done.buffer,
          });
        }
        for (;;) {
          const c = Atomics.add(claim, 0, 1);
          if (c >= list.length) break;
          afterOf(list[c]!);
          Atomics.add(done, 0, 1);
        }
        // The worker failed: its columns again, here.
        if (!waitFor(done, list.length)) for (const j of list) afterOf(j);
      }
      stop();
      for (const k of prepared) {
        const c = columns2[k]!;
        const j = index.get(c)!;
        if (ready && res[4 * j] === 1) out.set([res[4 * j + 1]!, res[4 * j + 2]!, after[2 * j]!, after[2 * j + 1]!], 4 * k);
        else out.set(ecdfColumns([c], t2, w), 4 * k);
      }
    }
    return out;
  };
  return Object.assign(runner, {
    close() {
      stop();
      index.clear();
      ranks.length = 0;
    },
  });
}

/**
 * {@link prepareParallelEcdf} for the numeric covariates of a study (those not dummy-coded),
 * with the treatment read as the propensity fit reads it. Should the treatment or a covariate be
 * unreadable, nothing is prepared (the fit then reports the problem, in its usual order).
 */
export function prepareBalance(
  table: Table,
  spec: {
    readonly treatment: string;
    readonly covariates: readonly string[];
    readonly categorical?: readonly string[];
    readonly treatedValue?: string | number;
  },
): PreparedEcdf {
  let t: Uint8Array;
  try {
    t = resolveTreatment(table, spec.treatment, spec.treatedValue);
  } catch {
    return Object.assign(createParallelEcdf(), { close() {} });
  }
  const categorical = new Set(spec.categorical ?? []);
  const columns: Float64Array[] = [];
  for (const c of spec.covariates) {
    const col = ownValue(table.columns, c);
    if (col?.kind === 'numeric' && !categorical.has(c)) columns.push(col.values);
  }
  return prepareParallelEcdf(columns, t);
}
