/**
 * CSV files on several threads (Node only). The file is read in large segments; each segment
 * is cut at row ends (newlines outside quoted fields, found from the quote positions) into one
 * part per worker; every worker runs the library's own byte parser (`csvCore`, its source is
 * sent to the worker) on its part of a shared buffer, and the parts are joined in file order
 * exactly as one continuous parse would join them (same doubles, same levels in the same order).
 * Any problem in a part (a ragged row, an unclosed quote, a field over the limit) makes the
 * whole file be read again on one thread, so errors and their line numbers are the same too.
 */
import { Worker } from 'node:worker_threads';
import { closeSync, openSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { CsvByteReader, csvCore, sniffCsvBytes, type CsvCoreConfig, type CsvOptions, type CsvPartColumn, type IngestReport } from '../data/csv.js';
import { compareCodePoints, type Column, type Table } from '../data/table.js';

const WORKER_SOURCE = `
var __name = (f) => f;
const { parentPort } = require('node:worker_threads');
const core = (${csvCore.toString()})();
let st = null;
parentPort.on('message', (m) => {
  if (m.type === 'copy') {
    // This part's columns into the file's shared columns, from row m.at on.
    let ok = true;
    try {
      for (let j = 0; j < m.dest.length; j++) {
        const d = m.dest[j];
        if (!d) continue;
        const b = st.builders[j];
        const n = b.len;
        if (d.remap) {
          const out = new Int32Array(d.sab, d.at * 4, n);
          if (!b.text) out.fill(-1);
          else {
            const rm = d.remap, cs = b.codes;
            for (let i = 0; i < n; i++) { const c = cs[i]; out[i] = c < 0 ? -1 : rm[c]; }
          }
        } else new Float64Array(d.sab, d.at * 8, n).set(b.nums.subarray(0, n));
      }
    } catch (e) {
      ok = false;
    }
    parentPort.postMessage({ id: m.id, ok, cols: [], rowsRead: 0 });
    return;
  }
  const buf = new Uint8Array(m.sab);
  let ok = false, cols = [], rowsRead = 0;
  try {
    if (st && st.builders.length === m.cfg.ncol) core.resetPart(st, m.cfg);
    else st = core.newState(m.cfg, true);
    const r = core.parseRows(st, buf, m.start, m.end, true);
    ok = r === m.end && st.rejectedCount === 0 && !st.err;
    rowsRead = st.rowsRead;
    // The columns stay here (their arrays are reused by the next part) until a 'copy' message.
    if (ok) cols = st.builders.map((b) => (b ? { text: b.text, nums: null, codes: null, labels: b.labels, missing: b.missing, converted: b.converted, length: b.len } : null));
  } catch (e) {
    ok = false;
  }
  parentPort.postMessage({ id: m.id, ok, cols, rowsRead });
});
`;

/** Files at least this large are parsed on worker threads (smaller ones: one thread). */
export const PARALLEL_CSV_MIN_BYTES = 32 << 20;

export interface ParallelCsvOptions extends CsvOptions {
  /** Worker threads (default: all cores, at most 8). 1 reads on the calling thread. */
  readonly workers?: number;
  /** Bytes per segment read from the file (default 8 MB: small buffers stay in cache and are reused). */
  readonly segmentBytes?: number;
  /** Files at least this large use the workers (default {@link PARALLEL_CSV_MIN_BYTES}). */
  readonly parallelMinBytes?: number;
  /** Called after each segment. */
  readonly onProgress?: (p: { bytes: number; totalBytes: number; rows: number }) => void;
}

/** Quoted spans [open, close] of a segment that starts at a row start; null when there are no quotes. */
function quoteSpans(b: Buffer, start: number, end: number, delim: number): Int32Array | null {
  let k = b.indexOf(34, start);
  if (k < 0 || k >= end) return null;
  let spans = new Int32Array(1024);
  let n = 0;
  let inQ = false;
  let openAt = -1;
  const put = (o: number, c: number) => {
    if (n + 2 > spans.length) {
      const next = new Int32Array(spans.length * 2);
      next.set(spans);
      spans = next;
    }
    spans[n++] = o;
    spans[n++] = c;
  };
  while (k >= 0 && k < end) {
    if (!inQ) {
      const prev = k === start ? -1 : b[k - 1]!;
      if (k === start || prev === delim || prev === 10 || prev === 13) {
        inQ = true;
        openAt = k;
      }
      k = b.indexOf(34, k + 1);
    } else if (k + 1 < end && b[k + 1] === 34) {
      k = b.indexOf(34, k + 2);
    } else {
      put(openAt, k);
      inQ = false;
      k = b.indexOf(34, k + 1);
    }
  }
  if (inQ) put(openAt, end);
  return spans.subarray(0, n);
}

/** Index of the span containing pos (open < pos < close), or -1. */
function spanAt(spans: Int32Array | null, pos: number): number {
  if (!spans) return -1;
  let lo = 0;
  let hi = spans.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (spans[2 * mid]! >= pos) hi = mid - 1;
    else if (spans[2 * mid + 1]! <= pos) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** First row end (just after a '\n' outside quotes) at or after `from`, or -1. */
function nextRowEnd(b: Buffer, spans: Int32Array | null, from: number, end: number): number {
  let nl = b.indexOf(10, from);
  for (;;) {
    if (nl < 0 || nl >= end) return -1;
    const s = spanAt(spans, nl);
    if (s < 0) return nl + 1;
    nl = b.indexOf(10, spans![2 * s + 1]! + 1);
  }
}

/** Last row end in [start, end) (just after a '\n' outside quotes), or -1. */
function lastRowEnd(b: Buffer, spans: Int32Array | null, start: number, end: number): number {
  let nl = b.lastIndexOf(10, end - 1);
  for (;;) {
    if (nl < start) return -1;
    const s = spanAt(spans, nl);
    if (s < 0) return nl + 1;
    const open = spans![2 * s]!;
    if (open <= start) return -1;
    nl = b.lastIndexOf(10, open - 1);
  }
}

class Fallback extends Error {}

interface PartReply {
  id: number;
  ok: boolean;
  cols: (CsvPartColumn | null)[];
  rowsRead: number;
}

/**
 * Read a CSV file into a Table on worker threads (files under {@link PARALLEL_CSV_MIN_BYTES},
 * or `workers: 1`, on the calling thread). The table is identical to `parseCsv` of the same bytes.
 * Cost: O(file size) split over the workers; memory: the columns plus two segments.
 * @throws CounterfactError as `parseCsv`.
 */
export async function readCsvFile(path: string, size: number, options: ParallelCsvOptions = {}): Promise<{ table: Table; report: IngestReport }> {
  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), 8));
  // Another encoding is decoded on this thread, as the bytes stream in.
  const utf8 = options.encoding === undefined || options.encoding === 'utf-8';
  if (workers > 1 && utf8 && size >= (options.parallelMinBytes ?? PARALLEL_CSV_MIN_BYTES)) {
    try {
      return await readParallel(path, size, workers, options);
    } catch (e) {
      if (!(e instanceof Fallback)) throw e;
    }
  }
  return readSequential(path, size, options);
}

/**
 * Data rows of a file whose lines all end in '\n' (one line per row, header first): the line
 * ends, less the header, plus an unterminated last line. Only a size hint for the columns (quoted
 * newlines, blank lines or CR-only line ends make it wrong, which costs a copy, not correctness).
 * Cost: one read of the file through `chunk` (from the page cache, ~0.1 s per 200 MB).
 */
function countRows(fd: number, chunk: Buffer): number {
  let lines = 0;
  let last = 10;
  let pos = 0;
  for (;;) {
    const n = readSync(fd, chunk, 0, chunk.length, pos);
    if (n <= 0) break;
    pos += n;
    let k = chunk.indexOf(10, 0);
    while (k >= 0 && k < n) {
      lines++;
      k = chunk.indexOf(10, k + 1);
    }
    last = chunk[n - 1]!;
  }
  return lines - 1 + (last === 10 ? 0 : 1);
}

function readSequential(path: string, size: number, options: ParallelCsvOptions): { table: Table; report: IngestReport } {
  const reader = new CsvByteReader(options);
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(Math.min(Math.max(size, 1), 8 << 20));
    // Columns allocated once at their final size: fresh memory is the costly part of reading.
    if (size >= 1 << 20) reader.sizeHint(countRows(fd, chunk));
    let bytes = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n <= 0) break;
      reader.push(chunk.subarray(0, n));
      bytes += n;
      options.onProgress?.({ bytes, totalBytes: size, rows: 0 });
    }
  } finally {
    closeSync(fd);
  }
  const out = reader.finish();
  return { table: out.table, report: { ...out.report, bytes: size, threads: 1 } };
}

/**
 * One output column of the parallel reader: numbers or dictionary codes in shared memory (so
 * the workers write their parts straight into it), sized once for the whole file.
 */
class SharedColumn {
  f64: Float64Array | null = null;
  i32: Int32Array | null = null;
  readonly labels: string[] = [];
  private readonly index = new Map<string, number>();
  missing = 0;

  codeOf(s: string): number {
    let c = this.index.get(s);
    if (c === undefined) {
      c = this.labels.length;
      this.labels.push(s);
      this.index.set(s, c);
    }
    return c;
  }

  /** Make this column text: the numbers of rows [0, rows) become labels String(x) (as one parse does). */
  toText(cap: number, rows: number): void {
    if (this.i32) return;
    const codes = new Int32Array(new SharedArrayBuffer(cap * 4));
    const v = this.f64;
    if (v) {
      for (let i = 0; i < rows; i++) {
        const x = v[i]!;
        codes[i] = Number.isNaN(x) ? -1 : this.codeOf(String(x));
      }
    }
    this.i32 = codes;
    this.f64 = null;
  }

  ensureNumeric(cap: number): void {
    if (!this.f64 && !this.i32) this.f64 = new Float64Array(new SharedArrayBuffer(cap * 8));
  }

  grow(cap: number, rows: number): void {
    if (this.f64) {
      const next = new Float64Array(new SharedArrayBuffer(cap * 8));
      next.set(this.f64.subarray(0, rows));
      this.f64 = next;
    } else if (this.i32) {
      const next = new Int32Array(new SharedArrayBuffer(cap * 4));
      next.set(this.i32.subarray(0, rows));
      this.i32 = next;
    }
  }

  /** The finished column of n rows (text: levels in code-point order, codes remapped in place). */
  finish(n: number): { column: Column; missing: number } {
    if (!this.i32) {
      const v = this.f64 ?? new Float64Array(n).fill(NaN);
      // The first n rows of the shared buffer, in place (no copy; workers take n with the buffer).
      return { column: { kind: 'numeric', values: v.length === n ? v : v.subarray(0, n) }, missing: this.missing };
    }
    const labels = this.labels;
    const order = labels.map((_, k) => k).sort((a, b) => compareCodePoints(labels[a]!, labels[b]!));
    const remap = new Int32Array(order.length);
    order.forEach((old, k) => {
      remap[old] = k;
    });
    const codes = this.i32.length === n ? this.i32 : this.i32.subarray(0, n);
    for (let i = 0; i < n; i++) {
      const c = codes[i]!;
      if (c >= 0) codes[i] = remap[c]!;
    }
    return { column: { kind: 'categorical', codes, levels: order.map((k) => labels[k]!) }, missing: this.missing };
  }
}

interface CopyDest {
  sab: SharedArrayBuffer;
  at: number;
  /** Text: the part's codes → the column's codes (numeric parts of a text column are all missing). */
  remap: Int32Array | null;
}

async function readParallel(path: string, size: number, W: number, options: ParallelCsvOptions): Promise<{ table: Table; report: IngestReport }> {
  const segment = Math.max(1024, options.segmentBytes ?? 8 << 20);
  const reader = new CsvByteReader(options);
  const core = csvCore();
  const fd = openSync(path, 'r');
  const pool = Array.from({ length: W }, () => new Worker(WORKER_SOURCE, { eval: true }));
  let nextId = 0;
  const pending = new Map<number, (r: PartReply) => void>();
  const failures: Error[] = [];
  for (const w of pool) {
    w.on('message', (r: PartReply) => {
      const f = pending.get(r.id);
      pending.delete(r.id);
      f?.(r);
    });
    w.on('error', (e) => {
      failures.push(e);
      for (const [id, f] of pending) {
        pending.delete(id);
        f({ id, ok: false, cols: [], rowsRead: 0 });
      }
    });
  }
  const send = (w: Worker, msg: Record<string, unknown>) =>
    new Promise<PartReply>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      w.postMessage({ ...msg, id });
    });
  try {
    // The columns are allocated once, for the rows the first segment promises (fresh memory is
    // the costly part of reading; the workers write it, so its cost is split over them too).
    let cap = -1;
    let out: SharedColumn[] = [];
    let textSeen: boolean[] = [];
    let rows = 0;
    // Two shared buffers: one parsed by the workers while the next is read.
    let capacity = segment + (1 << 20);
    let cur = new SharedArrayBuffer(capacity);
    let other = new SharedArrayBuffer(capacity);
    let len = 0;
    let filePos = 0;
    let eof = false;
    const fill = (sab: SharedArrayBuffer, from: number): number => {
      const view = Buffer.from(sab);
      let at = from;
      while (at < view.length && !eof) {
        const n = readSync(fd, view, at, view.length - at, filePos);
        if (n <= 0) eof = true;
        else {
          at += n;
          filePos += n;
          if (filePos >= size) eof = true;
        }
      }
      return at;
    };
    len = fill(cur, 0);
    let b = Buffer.from(cur);
    sniffCsvBytes(b.subarray(0, Math.min(len, 4096)), options.encoding);
    let start = len >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
    const dataStart = reader.readHeader(b, start, len, eof);
    if (dataStart < 0) throw new Fallback();
    start = dataStart;
    const base = reader.config();
    out = base.wanted.map(() => new SharedColumn());
    // Columns read as text from the start (the `text` option), as one continuous parse would.
    textSeen = base.wanted.map((_, j) => base.forcedText[j] === true);
    const config = (): CsvCoreConfig => ({ ...base, forcedText: textSeen.slice() });
    // Copies into the output columns not yet confirmed.
    const copies: Promise<PartReply>[] = [];
    for (;;) {
      const cfg = config();
      const spans = quoteSpans(b, start, len, cfg.delim);
      const last = eof ? len : lastRowEnd(b, spans, start, len);
      if (last < 0) throw new Fallback();
      // Cut [start, last) at row ends into one part per worker.
      const cuts = [start];
      for (let k = 1; k < W; k++) {
        const target = start + Math.floor(((last - start) * k) / W);
        const at = target <= cuts[cuts.length - 1]! ? -1 : nextRowEnd(b, spans, target, last);
        if (at > cuts[cuts.length - 1]! && at < last) cuts.push(at);
      }
      cuts.push(last);
      const jobs = cuts.slice(0, -1).map((s, k) => send(pool[k]!, { type: 'parse', sab: cur, start: s, end: cuts[k + 1]!, cfg }));
      // Meanwhile: the unparsed tail to the front of the other buffer, and more of the file after it.
      let nextLen = 0;
      if (!eof) {
        const tail = len - last;
        if (tail + segment > capacity) {
          capacity = tail + segment;
          other = new SharedArrayBuffer(capacity);
        }
        Buffer.from(other).set(b.subarray(last, len), 0);
        nextLen = fill(other, tail);
      }
      const replies = await Promise.all(jobs);
      if (failures.length) throw new Fallback();
      if (cap < 0) {
        // The columns' size, from the first segment's bytes per row: the whole file when it was
        // one segment, else the rest at that rate plus 5% (a longer file costs a copy, not
        // correctness; untouched memory past the last row is never written, so never resident).
        const parsed = replies.reduce((a, r) => a + r.rowsRead, 0);
        cap = eof ? Math.max(1, parsed) : Math.max(1024, Math.ceil(((parsed * (size - dataStart)) / Math.max(1, last - dataStart)) * 1.05) + 1024);
      }
      for (let k = 0; k < replies.length; k++) {
        const r = replies[k]!;
        if (!r.ok) throw new Fallback();
        if (rows + r.rowsRead > cap) {
          // More rows than line ends (CR-only line ends): wait for the copies, then grow.
          for (const c of await Promise.all(copies.splice(0))) if (!c.ok) throw new Fallback();
          cap = Math.max(cap * 2, rows + r.rowsRead);
          for (const c of out) c.grow(cap, rows);
        }
        // A column an earlier part made text, read here as numbers (or with numbers labelled
        // String(x)): this part again, here, with that column read as text from its first value.
        const again = r.cols.some((c, j) => c !== null && textSeen[j] && (c.text ? c.converted > 0 : c.length - c.missing > 0));
        // A column turning text: its earlier rows are relabelled here, after their copies.
        const turns = r.cols.some((c, j) => c !== null && c.text && !out[j]!.i32 && rows > 0);
        if (again || turns) for (const c of await Promise.all(copies.splice(0))) if (!c.ok) throw new Fallback();
        if (again) {
          const st = core.newState(config(), true);
          const end = core.parseRows(st, b, cuts[k]!, cuts[k + 1]!, true);
          if (end !== cuts[k + 1]! || st.rejectedCount > 0 || st.err || st.rowsRead !== r.rowsRead) throw new Fallback();
          const cols = core.takePart(st, []);
          cols.forEach((c, j) => {
            if (!c) return;
            if (!addMeta(out[j]!, c, j)) throw new Fallback();
            const col = out[j]!;
            if (col.i32) {
              if (!c.text) col.i32.fill(-1, rows, rows + c.length);
              else {
                const remap = c.labels.map((l) => col.codeOf(l));
                const cs = c.codes!;
                for (let i = 0; i < c.length; i++) col.i32[rows + i] = cs[i]! < 0 ? -1 : remap[cs[i]!]!;
              }
            } else col.f64!.set(c.nums!, rows);
          });
        } else {
          const dest: (CopyDest | null)[] = r.cols.map((c, j) => {
            if (!c) return null;
            if (!addMeta(out[j]!, c, j)) throw new Fallback();
            const col = out[j]!;
            if (col.i32)
              return {
                sab: col.i32.buffer as SharedArrayBuffer,
                at: rows,
                remap: c.text ? Int32Array.from(c.labels, (l) => col.codeOf(l)) : new Int32Array(0),
              };
            return { sab: col.f64!.buffer as SharedArrayBuffer, at: rows, remap: null };
          });
          copies.push(send(pool[k]!, { type: 'copy', dest }));
        }
        rows += r.rowsRead;
      }
      // The copies run while the workers parse the next segment (each worker takes its messages
      // in order, so a part's columns are copied before that worker parses again).
      options.onProgress?.({ bytes: filePos, totalBytes: size, rows });
      if (eof && nextLen === 0) break;
      const t = cur;
      cur = other;
      other = t.byteLength >= capacity ? t : new SharedArrayBuffer(capacity);
      b = Buffer.from(cur);
      len = nextLen;
      start = 0;
    }
    for (const c of await Promise.all(copies.splice(0))) if (!c.ok) throw new Fallback();
    const result = reader.finishColumns(rows, (j) => out[j]!.finish(rows));
    return { table: result.table, report: { ...result.report, bytes: size, threads: W } };

    /** Count a part's column into its output column (typed on first use); false if inconsistent. */
    function addMeta(col: SharedColumn, c: CsvPartColumn, j: number): boolean {
      if (c.text) {
        if (!col.i32) col.toText(cap, rows);
        textSeen[j] = true;
      } else {
        col.ensureNumeric(cap);
        // A numeric part of a text column must be all missing (else it was parsed again as text).
        if (col.i32 && c.length - c.missing > 0) return false;
      }
      col.missing += c.missing;
      return true;
    }
  } finally {
    closeSync(fd);
    for (const w of pool) void w.terminate();
  }
}
