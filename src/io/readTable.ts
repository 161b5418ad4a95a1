/**
 * Reading data files into Tables (Node only): CSV streamed chunk by chunk through the same
 * parser as `parseCsv`, Arrow IPC via apache-arrow, Parquet via hyparquet.
 */
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import type { CsvOptions, IngestReport } from '../data/csv.js';
import { readCsvFile } from './parallelCsv.js';
import { compareCodePoints, fromColumns, isMissingString, parseNumber, type Column, type Table } from '../data/table.js';
import { CounterfactError } from '../problems.js';

export interface ReadOptions extends CsvOptions {
  /** Called as the file is read (CSV only). */
  readonly onProgress?: (p: { bytes: number; totalBytes: number; rows: number }) => void;
  /**
   * CSV only: worker threads for files of 32 MB or more (default: all cores, at most 8; 1 parses
   * on the calling thread). The table is identical whatever the number.
   */
  readonly workers?: number;
}

/**
 * Read a CSV (.csv, .tsv, .txt), Arrow IPC (.arrow, .feather, .ipc) or Parquet (.parquet) file.
 * CSV is parsed from bytes (no string per field), on worker threads from 32 MB (`workers`).
 * Cost: O(file size); CSV memory is the typed columns plus two 8 MB segments (no row objects).
 * @throws CounterfactError for a missing file, an unknown extension, or a malformed file.
 */
export async function readTableFile(path: string, options: ReadOptions = {}): Promise<{ table: Table; report: IngestReport }> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new CounterfactError({ code: 'bad_file', column: path, message: `file not found: ${path}` });
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.arrow' || ext === '.feather' || ext === '.ipc') return readArrow(path, size, options);
  if (ext === '.parquet') return readParquet(path, size, options);
  return readCsvFile(path, size, ext === '.tsv' && !options.delimiter ? { ...options, delimiter: '\t' } : options);
}

function reportFor(table: Table, bytes: number, delimiter: string): IngestReport {
  return {
    rowsRead: table.nRows,
    rowsRejected: 0,
    rejected: [],
    bytes,
    delimiter,
    columns: table.names.map((name) => {
      const c = table.columns[name]!;
      let missing = 0;
      if (c.kind === 'numeric') for (const v of c.values) missing += Number.isNaN(v) ? 1 : 0;
      else for (const v of c.codes) missing += v < 0 ? 1 : 0;
      return { name, kind: c.kind, missing };
    }),
  };
}

function convertValues(values: ArrayLike<unknown>): ArrayLike<unknown> {
  // BigInt (int64) and Date values become numbers (dates: days since 1970-01-01).
  const out = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = typeof v === 'bigint' ? Number(v) : v instanceof Date ? Math.floor(v.getTime() / 86_400_000) : v;
  }
  return out;
}

async function readArrow(path: string, size: number, options: ReadOptions) {
  const { tableFromIPC } = await import('apache-arrow');
  let t: ReturnType<typeof tableFromIPC>;
  try {
    t = tableFromIPC(readFileSync(path));
  } catch (e) {
    throw new CounterfactError({ code: 'bad_file', column: path, message: `${path} is not a readable Arrow IPC file: ${(e as Error).message}` });
  }
  const cols: Record<string, ArrayLike<unknown>> = {};
  for (const field of t.schema.fields) {
    if (options.columns && !options.columns.includes(field.name)) continue;
    const vec = t.getChild(field.name)!;
    cols[field.name] = convertValues(vec.toArray() as ArrayLike<unknown>);
  }
  const table = fromColumns(cols);
  return { table, report: reportFor(table, size, 'arrow') };
}

async function readParquet(path: string, size: number, options: ReadOptions) {
  const { parquetMetadata, parquetRead, parquetSchema } = await import('hyparquet');
  const buf = readFileSync(path);
  // The file's own bytes (no copy when the Buffer owns its whole ArrayBuffer, as large reads do).
  const file = (
    buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength ? buf.buffer : buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)
  ) as ArrayBuffer;
  // One row group at a time, each page written straight into a typed column (no row objects,
  // no whole-column JS arrays): memory is the columns plus one decoded row group.
  let names: string[];
  const sinks: Record<string, ParquetSink> = {};
  let n: number;
  try {
    const meta = parquetMetadata(file);
    n = Number(meta.num_rows);
    names = parquetSchema(meta)
      .children.map((c: { element: { name: string } }) => c.element.name)
      .filter((c: string) => !options.columns || options.columns.includes(c));
    for (const c of names) sinks[c] = new ParquetSink(n);
    let rowStart = 0;
    for (const group of meta.row_groups) {
      const rowEnd = rowStart + Number(group.num_rows);
      await parquetRead({
        file,
        metadata: meta,
        columns: names,
        rowStart,
        rowEnd,
        onChunk: (chunk: { columnName: string; columnData: ArrayLike<unknown>; rowStart: number; rowEnd: number }) => {
          sinks[chunk.columnName]?.put(chunk.columnData, chunk.rowStart, Math.min(chunk.rowEnd, rowEnd));
        },
      });
      rowStart = rowEnd;
    }
  } catch (e) {
    throw new CounterfactError({ code: 'bad_file', column: path, message: `${path} is not a readable Parquet file: ${(e as Error).message}` });
  }
  const columns: Record<string, Column> = {};
  for (const c of names) columns[c] = sinks[c]!.finish();
  const table: Table = { nRows: n, names, columns };
  return { table, report: reportFor(table, size, 'parquet') };
}

/**
 * One Parquet column filled chunk by chunk: numbers (and booleans, dates as days since
 * 1970-01-01, int64 within ±2^53) into a Float64Array; strings dictionary-encoded on the fly.
 * The result is what `toColumn` gives for the whole column (strings that are all numbers become
 * numeric; missing strings are missing), but int64 values beyond 2^53 are kept as exact text.
 */
class ParquetSink {
  private nums: Float64Array | null = null;
  private codes: Int32Array | null = null;
  private readonly labels: string[] = [];
  private readonly index = new Map<string, number>();
  constructor(private readonly n: number) {}

  private code(s: string): number {
    let c = this.index.get(s);
    if (c === undefined) {
      c = this.labels.length;
      this.labels.push(s);
      this.index.set(s, c);
    }
    return c;
  }

  private toText(): void {
    this.codes = new Int32Array(this.n).fill(-1);
    if (this.nums) {
      for (let i = 0; i < this.n; i++) {
        const x = this.nums[i]!;
        if (!Number.isNaN(x)) this.codes[i] = this.code(String(x));
      }
    }
    this.nums = null;
  }

  put(values: ArrayLike<unknown>, from: number, to: number): void {
    const m = Math.min(to - from, values.length);
    if (
      values instanceof Float64Array ||
      values instanceof Float32Array ||
      values instanceof Int32Array ||
      values instanceof Uint8Array ||
      values instanceof Int8Array ||
      values instanceof Int16Array ||
      values instanceof Uint16Array ||
      values instanceof Uint32Array
    ) {
      if (!this.codes) {
        this.nums ??= new Float64Array(this.n).fill(NaN);
        this.nums.set(m === values.length ? values : values.subarray(0, m), from);
        return;
      }
    }
    for (let k = 0; k < m; k++) {
      const v = values[k];
      const i = from + k;
      if (v === null || v === undefined) {
        if (this.codes) this.codes[i] = -1;
        else if (this.nums) this.nums[i] = NaN;
        continue;
      }
      let x: number | null = null;
      let s: string | null = null;
      if (typeof v === 'number') x = v;
      else if (typeof v === 'boolean') x = v ? 1 : 0;
      else if (typeof v === 'bigint') {
        if (v > 9007199254740991n || v < -9007199254740991n) s = v.toString();
        else x = Number(v);
      } else if (v instanceof Date) x = Math.floor(v.getTime() / 86_400_000);
      else s = String(v);
      if (s !== null) {
        if (!this.codes) this.toText();
        this.codes![i] = isMissingString(s) ? -1 : this.code(s);
      } else if (this.codes) {
        this.codes[i] = Number.isNaN(x!) ? -1 : this.code(String(x));
      } else {
        this.nums ??= new Float64Array(this.n).fill(NaN);
        this.nums[i] = x!;
      }
    }
  }

  finish(): Column {
    if (!this.codes) return { kind: 'numeric', values: this.nums ?? new Float64Array(this.n).fill(NaN) };
    // Text that is all numbers is a numeric column (as toColumn reads strings).
    // (An integer beyond 2^53, such as a long id, stays text: it cannot be held exactly.)
    const asNum = this.labels.map((l) => {
      const x = parseNumber(l);
      return Math.abs(x) > Number.MAX_SAFE_INTEGER && /^\s*[+-]?\d+\s*$/.test(l) ? NaN : x;
    });
    if (asNum.every((x) => !Number.isNaN(x))) {
      const values = new Float64Array(this.n);
      for (let i = 0; i < this.n; i++) {
        const c = this.codes[i]!;
        values[i] = c < 0 ? NaN : asNum[c]!;
      }
      return { kind: 'numeric', values };
    }
    const order = this.labels.map((_, k) => k).sort((a, b) => compareCodePoints(this.labels[a]!, this.labels[b]!));
    const remap = new Int32Array(order.length);
    order.forEach((old, k) => {
      remap[old] = k;
    });
    for (let i = 0; i < this.n; i++) {
      const c = this.codes[i]!;
      if (c >= 0) this.codes[i] = remap[c]!;
    }
    return { kind: 'categorical', codes: this.codes, levels: order.map((k) => this.labels[k]!) };
  }
}
