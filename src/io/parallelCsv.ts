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
import { CsvByteReader, csvCore, type CsvCoreConfig, type CsvOptions, type CsvPartColumn, type IngestReport } from '../data/csv.js';
import type { Table } from '../data/table.js';

const WORKER_SOURCE = `
var __name = (f) => f;
const { parentPort } = require('node:worker_threads');
const core = (${csvCore.toString()})();
parentPort.on('message', (m) => {
  const buf = new Uint8Array(m.sab);
  let ok = false, cols = [], rowsRead = 0;
  try {
    const st = core.newState(m.cfg, true);
    const r = core.parseRows(st, buf, m.start, m.end, true);
    ok = r === m.end && st.rejectedCount === 0 && !st.err;
    rowsRead = st.rowsRead;
    if (ok) cols = core.takePart(st, []);
  } catch (e) {
    ok = false;
  }
  const transfer = [];
  for (const c of cols) if (c) transfer.push((c.nums || c.codes).buffer);
  parentPort.postMessage({ id: m.id, ok, cols, rowsRead }, transfer);
});
`;

/** Files at least this large are parsed on worker threads (smaller ones: one thread). */
export const PARALLEL_CSV_MIN_BYTES = 32 << 20;

export interface ParallelCsvOptions extends CsvOptions {
  /** Worker threads (default: all cores, at most 8). 1 reads on the calling thread. */
  readonly workers?: number;
  /** Bytes per segment read from the file (default 64 MB). */
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
  if (workers > 1 && size >= (options.parallelMinBytes ?? PARALLEL_CSV_MIN_BYTES)) {
    try {
      return await readParallel(path, size, workers, options);
    } catch (e) {
      if (!(e instanceof Fallback)) throw e;
    }
  }
  return readSequential(path, size, options);
}

function readSequential(path: string, size: number, options: ParallelCsvOptions): { table: Table; report: IngestReport } {
  const reader = new CsvByteReader(options);
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(Math.min(Math.max(size, 1), 8 << 20));
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

async function readParallel(path: string, size: number, W: number, options: ParallelCsvOptions): Promise<{ table: Table; report: IngestReport }> {
  const segment = Math.max(1024, options.segmentBytes ?? 64 << 20);
  const reader = new CsvByteReader(options);
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
  const run = (w: Worker, sab: SharedArrayBuffer, start: number, end: number, cfg: CsvCoreConfig) =>
    new Promise<PartReply>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      w.postMessage({ id, sab, start, end, cfg });
    });
  try {
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
    let start = len >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
    const dataStart = reader.readHeader(b, start, len, eof);
    if (dataStart < 0) throw new Fallback();
    start = dataStart;
    let rows = 0;
    for (;;) {
      const cfg = reader.config();
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
      const jobs = cuts.slice(0, -1).map((s, k) => run(pool[k]!, cur, s, cuts[k + 1]!, cfg));
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
      for (let k = 0; k < replies.length; k++) {
        const r = replies[k]!;
        if (!r.ok) throw new Fallback();
        if (!reader.addPart(r.cols, r.rowsRead)) {
          // An earlier part made a column text: this part again, with that column read as text.
          const again = reader.parsePart(b, cuts[k]!, cuts[k + 1]!);
          if (!again.ok || !reader.addPart(again.cols, again.rowsRead)) throw new Fallback();
        }
        rows += r.rowsRead;
      }
      options.onProgress?.({ bytes: filePos, totalBytes: size, rows });
      if (eof && nextLen === 0) break;
      const t = cur;
      cur = other;
      other = t.byteLength >= capacity ? t : new SharedArrayBuffer(capacity);
      b = Buffer.from(cur);
      len = nextLen;
      start = 0;
    }
    const out = reader.finishWith(0, []);
    return { table: out.table, report: { ...out.report, bytes: size, threads: W } };
  } finally {
    closeSync(fd);
    for (const w of pool) void w.terminate();
  }
}
