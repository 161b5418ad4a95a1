/**
 * Writing a matched data set (an arquero table, e.g. from `matchedData`) to .csv, .parquet or
 * .arrow (Node only). The table is converted to the project's Table and written by
 * `writeTableFile`, so the file formats are the same as everywhere else.
 */
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { compareCodePoints, type Column, type Table } from '../data/table.js';
import { badArgument, CounterfactError } from '../problems.js';
import { writeTableFile } from './write.js';

/** The part of an arquero table the writer reads. */
export interface ArqueroLike {
  columnNames(): string[];
  array(name: string): ArrayLike<unknown>;
  numRows(): number;
}

/** Options of {@link writeMatchedData}. */
export interface WriteMatchedOptions {
  /** Replace `path` when it exists. Default false: an existing file is an error. */
  readonly force?: boolean;
}

const EXTENSIONS = new Set(['.csv', '.parquet', '.arrow']);

/**
 * Convert an arquero table to a Table without re-reading text: typed arrays and columns of
 * numbers/booleans (null, undefined or NaN missing) become numeric; any other column is
 * categorical, each value written as its own text (so "007" stays "007"; Dates as ISO 8601).
 * Cost: O(cells).
 */
export function arqueroToTable(t: ArqueroLike): Table {
  const names = t.columnNames();
  const n = t.numRows();
  const columns: Record<string, Column> = {};
  for (const name of names) columns[name] = arrayToColumn(t.array(name), n);
  return { nRows: n, names, columns };
}

function arrayToColumn(values: ArrayLike<unknown>, n: number): Column {
  if (ArrayBuffer.isView(values)) {
    return { kind: 'numeric', values: values instanceof Float64Array ? values : Float64Array.from(values as ArrayLike<number>, Number) };
  }
  let numeric = true;
  for (let i = 0; i < n && numeric; i++) {
    const v = values[i];
    if (!(v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean')) numeric = false;
  }
  if (numeric) {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      out[i] = v === null || v === undefined ? NaN : Number(v);
    }
    return { kind: 'numeric', values: out };
  }
  const labels: (string | null)[] = new Array(n);
  const set = new Set<string>();
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) labels[i] = null;
    else {
      const s = v instanceof Date ? v.toISOString() : String(v);
      labels[i] = s;
      set.add(s);
    }
  }
  const levels = [...set].sort(compareCodePoints);
  const index = new Map(levels.map((l, k) => [l, k]));
  const codes = new Int32Array(n);
  for (let i = 0; i < n; i++) codes[i] = labels[i] === null ? -1 : index.get(labels[i]!)!;
  return { kind: 'categorical', codes, levels };
}

/**
 * Write a matched data set to `path` (.csv, .parquet or .arrow, by extension). Numbers are
 * written at full precision, missing values as empty CSV fields / nulls. Refuses to replace an
 * existing file unless `force: true`. Cost: O(cells).
 * @throws CounterfactError `bad_argument` for an unsupported extension or an existing file
 *   without `force` (the CLI exits with code 2).
 * @example await writeMatchedData('matched.parquet', matchedData(data, match));
 */
export async function writeMatchedData(path: string, table: ArqueroLike, options: WriteMatchedOptions = {}): Promise<void> {
  const ext = extname(path).toLowerCase();
  if (!EXTENSIONS.has(ext)) {
    badArgument('path', `cannot write the matched data to "${path}": use a .csv, .parquet or .arrow file name`);
  }
  if (!options.force && existsSync(path)) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: 'path',
      message: `"${path}" already exists: choose another file name, delete it, or pass force: true to overwrite it`,
    });
  }
  await writeTableFile(arqueroToTable(table), path);
}
