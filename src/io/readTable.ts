/**
 * Reading data files into Tables (Node only): CSV streamed chunk by chunk through the same
 * parser as `parseCsv`, Arrow IPC via apache-arrow, Parquet via hyparquet.
 */
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import type { CsvOptions, IngestReport } from '../data/csv.js';
import { readCsvFile } from './parallelCsv.js';
import { fromColumns, type Table } from '../data/table.js';
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
 * Cost: O(file size); CSV memory is the typed columns plus two 64 MB segments (no row objects).
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
  let t;
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
  const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  // Column chunks straight into per-column arrays (no row objects are assembled).
  let names: string[];
  let n: number;
  const cols: Record<string, unknown[]> = {};
  try {
    const meta = parquetMetadata(file);
    n = Number(meta.num_rows);
    names = parquetSchema(meta).children.map((c: { element: { name: string } }) => c.element.name).filter((c: string) => !options.columns || options.columns.includes(c));
    for (const c of names) cols[c] = new Array(n);
    await parquetRead({
      file,
      metadata: meta,
      columns: names,
      onChunk: (chunk: { columnName: string; columnData: ArrayLike<unknown>; rowStart: number; rowEnd: number }) => {
        const target = cols[chunk.columnName];
        if (!target) return;
        for (let k = 0; k < chunk.rowEnd - chunk.rowStart && k < chunk.columnData.length; k++) target[chunk.rowStart + k] = chunk.columnData[k];
      },
    });
  } catch (e) {
    throw new CounterfactError({ code: 'bad_file', column: path, message: `${path} is not a readable Parquet file: ${(e as Error).message}` });
  }
  const conv: Record<string, ArrayLike<unknown>> = {};
  for (const c of names) conv[c] = convertValues(cols[c]!);
  const table = fromColumns(conv);
  return { table, report: reportFor(table, size, 'parquet') };
}
