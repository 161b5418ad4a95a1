/**
 * Reading data files into Tables (Node only): CSV streamed chunk by chunk through the same
 * parser as `parseCsv`, Arrow IPC via apache-arrow, Parquet via hyparquet.
 */
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { checkCsvOptions, type CsvOptions, type IngestReport } from '../data/csv.js';
import { readCsvFile } from './parallelCsv.js';
import { columnRecord, compareCodePoints, isMissingString, parseNumber, showName, typeCheckText, type Column, type Table } from '../data/table.js';
import { CounterfactError } from '../problems.js';
import { formatDate } from '../data/dates.js';

export interface ReadOptions extends CsvOptions {
  /** Called as the file is read (CSV only). */
  readonly onProgress?: (p: { bytes: number; totalBytes: number; rows: number }) => void;
  /**
   * CSV and Parquet: worker threads for files of 32 MB or more (default: all cores, at most 8; 1
   * reads on the calling thread). The table is identical whatever the number.
   */
  readonly workers?: number;
  /** CSV and Parquet: files at least this large use the worker threads (default 32 MB). */
  readonly parallelMinBytes?: number;
}

/**
 * Read a CSV (.csv, .tsv, .txt), Arrow IPC (.arrow, .feather, .ipc) or Parquet (.parquet) file.
 * CSV is parsed from bytes (no string per field), on worker threads from 32 MB (`workers`), as
 * are Parquet row groups (Node).
 * Cost: O(file size); CSV memory is the typed columns plus two 8 MB segments (no row objects).
 * @throws CounterfactError for a missing file, an unknown extension, or a malformed file.
 */
export async function readTableFile(path: string, options: ReadOptions = {}): Promise<{ table: Table; report: IngestReport }> {
  checkCsvOptions(options);
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory())
      throw new CounterfactError({ code: 'bad_file', column: path, message: `${path} is a folder, not a data file: give the file inside it` });
    size = st.size;
  } catch (e) {
    if (e instanceof CounterfactError) throw e;
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
      const c = table.columns[name]!; // own key: names are the table's own columns
      let missing = 0;
      if (c.kind === 'numeric') for (const v of c.values) missing += Number.isNaN(v) ? 1 : 0;
      else for (const v of c.codes) missing += v < 0 ? 1 : 0;
      return { name, kind: c.kind, missing };
    }),
  };
}

/**
 * Refuse a schema the table model cannot hold: duplicated column names, and nested types
 * (list, struct, map, union), each named. `kinds[j]`: the nested type of column j, or null.
 */
function checkSchema(path: string, names: readonly string[], kinds: readonly (string | null)[]): void {
  const problems: { code: 'duplicate_column' | 'bad_file'; column: string; message: string }[] = [];
  const seen = new Map<string, number>();
  names.forEach((name, j) => {
    if (seen.has(name))
      problems.push({
        code: 'duplicate_column',
        column: name,
        message: `${path}: column name ${showName(name)} appears twice (columns ${seen.get(name)! + 1} and ${j + 1}): rename one of them before reading`,
      });
    else seen.set(name, j);
    const kind = kinds[j];
    if (kind)
      problems.push({
        code: 'bad_file',
        column: name,
        message: `${path}: column ${showName(name)} is a nested ${kind} column; only flat columns (numbers, text, booleans, dates) can be read — flatten it into one column per field, or drop it`,
      });
  });
  if (problems.length) throw new CounterfactError(problems.slice(0, 10));
}

async function readArrow(path: string, size: number, options: ReadOptions) {
  const { tableFromIPC } = await import('apache-arrow');
  let t: ReturnType<typeof tableFromIPC>;
  try {
    t = tableFromIPC(readFileSync(path));
  } catch (e) {
    throw new CounterfactError({ code: 'bad_file', column: path, message: `${path} is not a readable Arrow IPC file: ${(e as Error).message}` });
  }
  const { DataType } = await import('apache-arrow');
  const fields = t.schema.fields;
  checkSchema(
    path,
    fields.map((f) => f.name),
    fields.map((f) =>
      DataType.isList(f.type) || DataType.isFixedSizeList(f.type)
        ? 'list'
        : DataType.isStruct(f.type)
          ? 'struct'
          : DataType.isMap(f.type)
            ? 'map'
            : DataType.isUnion(f.type)
              ? 'union'
              : null,
    ),
  );
  const text = new Set(options.text ?? []);
  const names: string[] = [];
  const columns = columnRecord<Column>();
  const n = t.numRows;
  fields.forEach((field, j) => {
    if (options.columns && !options.columns.includes(field.name)) return;
    const vec = t.getChildAt(j)!;
    // Through the Parquet column sink: int64 beyond 2^53 stays exact text, dates become
    // yyyy-mm-dd text (as Parquet's and a CSV's), nulls missing.
    const sink = new ParquetSink(n, text.has(field.name));
    if (DataType.isDate(field.type)) {
      // apache-arrow gives both date units as milliseconds since 1970 (older versions as Date).
      const dates = Array.from({ length: n }, (_, i) => {
        if (!vec.isValid(i)) return null;
        const g = vec.get(i) as unknown;
        return g instanceof Date ? g : new Date(Number(g));
      });
      sink.put(dates, 0, n);
    } else sink.put(vec.toArray() as ArrayLike<unknown>, 0, n);
    names.push(field.name);
    columns[field.name] = sink.finish();
  });
  const table: Table = { nRows: n, names, columns };
  return { table, report: reportFor(table, size, 'arrow') };
}

async function readParquet(path: string, size: number, options: ReadOptions) {
  // Node: row groups decoded on worker threads (src/io/parallelParquet.ts), the same table; null
  // (small file, one worker, a schema it leaves to this reader, any failure): read here.
  if (typeof process !== 'undefined' && typeof process.getBuiltinModule === 'function') {
    const { readParquetParallel } = await import('./parallelParquet.js');
    const minBytes = options.parallelMinBytes;
    const table = await readParquetParallel(path, { columns: options.columns, text: options.text, workers: options.workers, minBytes });
    if (table) return { table, report: reportFor(table, size, 'parquet') };
  }
  const { parquetMetadata, parquetRead, parquetSchema } = await import('hyparquet');
  const buf = readFileSync(path);
  // The file's own bytes (no copy when the Buffer owns its whole ArrayBuffer, as large reads do).
  const file = (
    buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength ? buf.buffer : buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)
  ) as ArrayBuffer;
  // One row group at a time, each page written straight into a typed column (no row objects,
  // no whole-column JS arrays): memory is the columns plus one decoded row group.
  let names: string[];
  const sinks = new Map<string, ParquetSink>();
  let n: number;
  let meta: ReturnType<typeof parquetMetadata>;
  try {
    meta = parquetMetadata(file);
  } catch (e) {
    throw new CounterfactError({ code: 'bad_file', column: path, message: `${path} is not a readable Parquet file: ${(e as Error).message}` });
  }
  const top = parquetSchema(meta).children as { element: { name: string; converted_type?: string; logical_type?: { type: string } }; children: unknown[] }[];
  checkSchema(
    path,
    top.map((c) => c.element.name),
    top.map((c) =>
      c.children.length === 0
        ? null
        : c.element.converted_type === 'LIST' || c.element.logical_type?.type === 'LIST'
          ? 'list'
          : c.element.converted_type === 'MAP' || c.element.converted_type === 'MAP_KEY_VALUE' || c.element.logical_type?.type === 'MAP'
            ? 'map'
            : 'struct',
    ),
  );
  const text = new Set(options.text ?? []);
  try {
    n = Number(meta.num_rows);
    names = top.map((c) => c.element.name).filter((c: string) => !options.columns || options.columns.includes(c));
    for (const c of names) sinks.set(c, new ParquetSink(n, text.has(c)));
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
          sinks.get(chunk.columnName)?.put(chunk.columnData, chunk.rowStart, Math.min(chunk.rowEnd, rowEnd));
        },
      });
      rowStart = rowEnd;
    }
  } catch (e) {
    throw new CounterfactError({ code: 'bad_file', column: path, message: `${path} is not a readable Parquet file: ${(e as Error).message}` });
  }
  const columns = columnRecord<Column>();
  for (const c of names) columns[c] = sinks.get(c)!.finish();
  const table: Table = { nRows: n, names, columns };
  return { table, report: reportFor(table, size, 'parquet') };
}

/**
 * A numeric column of n missing values on shared memory, as the CSV reader writes them: the
 * worker-thread fit reads it without a copy (at 11 M rows a copy of every column is ~1.5 GB).
 */
function sharedNumbers(n: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(n * 8)).fill(NaN);
}

/**
 * A Parquet column of text codes (-1 missing) and their labels in order of first appearance,
 * finished as the reader finishes it (all numbers: numeric; `text`: categorical; …). For the
 * worker-thread reader (src/io/parallelParquet.ts); `codes` becomes the column's own.
 * @internal
 */
export function finishParquetCodes(codes: Int32Array, labels: string[], text: boolean): Column {
  return new ParquetSink(codes.length, text, codes, labels).finish();
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
  /**
   * @param text read as text exactly (numbers as String(x), int64 as its digits), never as numbers
   * @param codes with `labels`: the column already dictionary-encoded (labels in first-appearance order)
   */
  constructor(
    private readonly n: number,
    private readonly text = false,
    codes?: Int32Array,
    labels?: string[],
  ) {
    if (codes) {
      this.codes = codes;
      this.labels = labels ?? [];
    } else if (text) this.codes = new Int32Array(n).fill(-1);
  }

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
        this.nums ??= sharedNumbers(this.n);
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
      } else if (v instanceof Date) {
        // A date stays a date: as text yyyy-mm-dd, the way a CSV gives it (a day count would be
        // refused where a date is expected, and is not a date anywhere else either).
        const t = v.getTime();
        s = Number.isFinite(t) ? formatDate(Math.floor(t / 86_400_000)) : '';
      } else s = String(v);
      if (s !== null) {
        if (!this.codes) this.toText();
        this.codes![i] = isMissingString(s) ? -1 : this.code(s);
      } else if (this.codes) {
        this.codes[i] = Number.isNaN(x!) ? -1 : this.code(String(x));
      } else {
        this.nums ??= sharedNumbers(this.n);
        this.nums[i] = x!;
      }
    }
  }

  finish(): Column {
    if (!this.codes) return { kind: 'numeric', values: this.nums ?? sharedNumbers(this.n) };
    if (this.text) return this.sorted();
    // Text that is all numbers is a numeric column (as toColumn reads strings).
    // (An integer beyond 2^53, such as a long id, stays text: it cannot be held exactly.)
    const asNum = this.labels.map((l) => {
      const x = parseNumber(l);
      return Math.abs(x) > Number.MAX_SAFE_INTEGER && /^\s*[+-]?\d+\s*$/.test(l) ? NaN : x;
    });
    if (asNum.every((x) => !Number.isNaN(x))) {
      const values = sharedNumbers(this.n);
      for (let i = 0; i < this.n; i++) {
        const c = this.codes[i]!;
        values[i] = c < 0 ? NaN : asNum[c]!;
      }
      return { kind: 'numeric', values };
    }
    // Mostly numbers (decimal-comma strings, …): marked, refused where a number is expected.
    return typeCheckText(this.sorted(), (s) => !Number.isNaN(parseNumber(s)), 'row');
  }

  /** The text column: labels in code-point order, codes remapped in place. */
  private sorted(): Column & { kind: 'categorical' } {
    const codesIn = this.codes!;
    const order = this.labels.map((_, k) => k).sort((a, b) => compareCodePoints(this.labels[a]!, this.labels[b]!));
    const remap = new Int32Array(order.length);
    order.forEach((old, k) => {
      remap[old] = k;
    });
    for (let i = 0; i < this.n; i++) {
      const c = codesIn[i]!;
      if (c >= 0) codesIn[i] = remap[c]!;
    }
    return { kind: 'categorical', codes: codesIn, levels: order.map((k) => this.labels[k]!) };
  }
}
