/**
 * Parquet files on several threads (Node only). This thread reads the footer only; the row
 * groups are split into one contiguous run per worker, and each worker reads just its row
 * groups' bytes from the file and decodes them with hyparquet, writing numbers straight into
 * shared Float64Array columns (NaN missing) and text as its own dictionary codes into shared
 * Int32Arrays. The dictionaries are then merged in row-group order — labels in order of first
 * appearance over the file, as one reader would meet them — and every column is finished by the
 * serial reader's own code (`finishParquetCodes`), so the table is the one `readTableFile`
 * builds on one thread: same kinds, same doubles, same codes and levels.
 *
 * Only flat DOUBLE, FLOAT, INT32, INT64 (within ±2^53) and UTF-8 BYTE_ARRAY columns are read
 * here; for anything else (nested or duplicated columns, dates, booleans, decimals, …), a small
 * file, one worker, or any failure in a worker, `readParquetParallel` gives null and the caller
 * reads the file on its own thread, with its usual errors and messages.
 *
 * No static Node imports: readTable.ts (which loads this module lazily) is also bundled for the
 * browser app, where `process.getBuiltinModule` does not exist and this module is never run.
 */
import type { Worker as NodeWorker } from 'node:worker_threads';
import { columnRecord, isMissingString, type Column, type Table } from '../data/table.js';
import { finishParquetCodes } from './readTable.js';

/** Files at least this large are read on worker threads (smaller ones: on the calling thread). */
export const PARALLEL_PARQUET_MIN_BYTES = 32 << 20;

export interface ParallelParquetOptions {
  /** Columns to read (default: all), as `readTableFile`'s `columns`. */
  readonly columns?: readonly string[];
  /** Columns read as text exactly, as `readTableFile`'s `text`. */
  readonly text?: readonly string[];
  /** Worker threads (default: all cores, at most 8). Fewer than 2: null. */
  readonly workers?: number;
  /** Files smaller than this give null (default {@link PARALLEL_PARQUET_MIN_BYTES}). */
  readonly minBytes?: number;
}

/**
 * How a worker writes a column: 0, a numeric column, as doubles (NaN missing) into a
 * Float64Array; 1, a numeric column read as text (`text`), as codes of String(x); 2, a UTF-8
 * column, as codes of its strings (missing strings are dropped when the dictionaries merge).
 */
type Mode = 0 | 1 | 2;
const NUMBER: Mode = 0;
const NUMBER_TEXT: Mode = 1;
const STRING: Mode = 2;

/**
 * The worker (CommonJS, eval): imports hyparquet from the URL it is given, then, for each of its
 * row groups, reads the group's column chunks (one contiguous byte range) and decodes them. Any
 * value it does not expect (an int64 beyond 2^53, a boolean, …) fails the whole read.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const MAX = 9007199254740991n;
// One value of a numeric column as a double (NaN missing); anything else fails the read.
function num(v) {
  if (typeof v === 'number') return v;
  if (v === null || v === undefined) return NaN;
  if (typeof v === 'bigint' && v <= MAX && v >= -MAX) return Number(v);
  throw new Error('unexpected ' + typeof v + ' in a numeric column');
}
// One value of a text column (or a numeric one read as text) as its code in this worker's
// dictionary (-1 missing).
function code(st, v) {
  let s;
  if (v === null || v === undefined) return -1;
  if (st.mode === 2) {
    if (typeof v !== 'string') throw new Error('unexpected ' + typeof v + ' in a text column');
    s = v;
  } else if (typeof v === 'number') {
    if (v !== v) return -1;
    s = String(v);
  } else if (typeof v === 'bigint') s = String(v);
  else throw new Error('unexpected ' + typeof v + ' in a numeric column');
  let c = st.index.get(s);
  if (c === undefined) {
    c = st.labels.length;
    st.labels.push(s);
    st.index.set(s, c);
  }
  return c;
}
function numbers(out, values, from, m) {
  if (values instanceof Float64Array || values instanceof Float32Array || values instanceof Int32Array || values instanceof Uint8Array ||
      values instanceof Int8Array || values instanceof Int16Array || values instanceof Uint16Array || values instanceof Uint32Array) {
    out.set(m === values.length ? values : values.subarray(0, m), from);
    return;
  }
  for (let k = 0; k < m; k++) out[from + k] = num(values[k]);
}
function codes(st, values, from, m) {
  for (let k = 0; k < m; k++) st.out[from + k] = code(st, values[k]);
}
// numbers() and codes() for a page with definition levels: value k goes to the k-th row whose
// level is the maximum, the other rows are missing.
function numbersAt(out, values, def, maxDef, from, n) {
  for (let i = 0, k = 0; i < n; i++) {
    if (def[i] !== maxDef) out[from + i] = NaN;
    else if (k < values.length) out[from + i] = num(values[k++]);
    else throw new Error('page shorter than its levels');
  }
}
function codesAt(st, values, def, maxDef, from, n) {
  for (let i = 0, k = 0; i < n; i++) {
    if (def[i] !== maxDef) st.out[from + i] = -1;
    else if (k < values.length) st.out[from + i] = code(st, values[k++]);
    else throw new Error('page shorter than its levels');
  }
}
// One column chunk, page by page: dictionary pages kept, data pages (v1, v2) decoded by
// hyparquet, their values placed row by row with the definition levels (missing where below
// the column's maximum), exactly the values parquetRead's rows would hold.
function decodeChunk(P, st, md, tree, view, rowStart, rowEnd) {
  const schemaPath = P.sc.getTreePath(tree, md.path_in_schema);
  const element = schemaPath[schemaPath.length - 1].element;
  const decoder = { pathInSchema: md.path_in_schema, element, schemaPath, ...md, parsers: { ...P.cv.DEFAULT_PARSERS } };
  const maxDef = P.sc.getMaxDefinitionLevel(schemaPath);
  const reader = { view, offset: 0 };
  let dictionary;
  let row = rowStart;
  while (row < rowEnd) {
    if (reader.offset >= view.byteLength - 1) throw new Error('column chunk ends early');
    const header = P.col.parquetHeader(reader);
    const bytes = new Uint8Array(view.buffer, view.byteOffset + reader.offset, header.compressed_page_size);
    reader.offset += header.compressed_page_size;
    let page;
    if (header.type === 'DICTIONARY_PAGE') {
      const raw = P.dp.decompressPage(bytes, Number(header.uncompressed_page_size), md.codec, undefined);
      const r = { view: new DataView(raw.buffer, raw.byteOffset, raw.byteLength), offset: 0 };
      dictionary = P.cv.convert(P.pl.readPlain(r, md.type, header.dictionary_page_header.num_values, element.type_length), decoder);
      continue;
    } else if (header.type === 'DATA_PAGE') {
      const raw = P.dp.decompressPage(bytes, Number(header.uncompressed_page_size), md.codec, undefined);
      page = P.dp.readDataPage(raw, header.data_page_header, decoder);
      page.count = header.data_page_header.num_values;
      page.encoding = header.data_page_header.encoding;
    } else if (header.type === 'DATA_PAGE_V2') {
      page = P.dp.readDataPageV2(bytes, header, decoder);
      page.count = header.data_page_header_v2.num_values;
      page.encoding = header.data_page_header_v2.encoding;
    } else continue;
    if (page.repetitionLevels && page.repetitionLevels.length) throw new Error('repeated column');
    const values = P.cv.convertWithDictionary(page.dataPage, dictionary, page.encoding, decoder);
    const n = Math.min(page.count, rowEnd - row);
    const def = page.definitionLevels && page.definitionLevels.length ? page.definitionLevels : null;
    if (!def) {
      if (values.length < n) throw new Error('page shorter than its count');
      if (st.mode === 0) numbers(st.out, values, row, n);
      else codes(st, values, row, n);
    } else {
      // Values only where the level is the maximum; missing elsewhere.
      if (st.mode === 0) numbersAt(st.out, values, def, maxDef, row, n);
      else codesAt(st, values, def, maxDef, row, n);
    }
    row += n;
  }
}
parentPort.once('message', async (m) => {
  let fd = -1;
  try {
    const hp = await import(m.hyparquet);
    // hyparquet's page functions, to decode flat columns page by page into the typed columns
    // (its row assembly builds a JavaScript array with the nulls of every OPTIONAL page, most of
    // the decoding time); if its modules are laid out otherwise, parquetRead does it all.
    let pages = null;
    try {
      const at = (f) => import(new URL(f, m.hyparquet).href);
      const [col, dp, cv, pl, sc] = await Promise.all([at('./column.js'), at('./datapage.js'), at('./convert.js'), at('./plain.js'), at('./schema.js')]);
      if ([col.parquetHeader, dp.decompressPage, dp.readDataPage, dp.readDataPageV2, cv.convert, cv.convertWithDictionary, pl.readPlain, sc.getTreePath, sc.getMaxDefinitionLevel].every((f) => typeof f === 'function') && cv.DEFAULT_PARSERS)
        pages = { col, dp, cv, pl, sc };
    } catch (e) {
      pages = null;
    }
    const meta = hp.parquetMetadata(m.footer);
    const tree = hp.parquetSchema(meta);
    const states = new Map();
    for (const c of m.cols)
      states.set(c.name, { mode: c.mode, out: c.mode === 0 ? new Float64Array(c.sab) : new Int32Array(c.sab), labels: [], index: new Map() });
    fd = fs.openSync(m.path, 'r');
    for (let j = 0; j < m.groups.length; j++) {
      const group = meta.row_groups[m.groups[j]];
      let lo = Infinity, hi = -Infinity;
      for (const chunk of group.columns) {
        const md = chunk.meta_data;
        if (!md || chunk.file_path) throw new Error('unsupported column chunk');
        if (!states.has(md.path_in_schema[0])) continue;
        const start = Number(md.dictionary_page_offset || md.data_page_offset);
        lo = Math.min(lo, start);
        hi = Math.max(hi, start + Number(md.total_compressed_size));
      }
      if (!(lo >= 0 && hi > lo && hi <= m.dataEnd)) throw new Error('column chunks outside the file');
      const bytes = new Uint8Array(hi - lo);
      for (let off = 0; off < bytes.length; ) {
        const k = fs.readSync(fd, bytes, off, bytes.length - off, lo + off);
        if (k <= 0) throw new Error('short read');
        off += k;
      }
      const buf = bytes.buffer;
      const file = {
        byteLength: m.fileSize,
        slice(s, e = m.fileSize) {
          if (s < lo || e > hi) throw new Error('read outside the row group');
          return buf.slice(s - lo, e - lo);
        },
      };
      const rowStart = m.starts[j];
      const rowEnd = rowStart + Number(group.num_rows);
      if (pages) {
        for (const chunk of group.columns) {
          const md = chunk.meta_data;
          const st = states.get(md.path_in_schema[0]);
          if (!st) continue;
          const start = Number(md.dictionary_page_offset || md.data_page_offset);
          decodeChunk(pages, st, md, tree, new DataView(buf, start - lo, Number(md.total_compressed_size)), rowStart, rowEnd);
        }
        continue;
      }
      let bad = null;
      await hp.parquetRead({
        file,
        metadata: meta,
        columns: m.names,
        rowStart,
        rowEnd,
        onChunk: (chunk) => {
          try {
            const st = states.get(chunk.columnName);
            if (!st) return;
            const from = chunk.rowStart;
            const n = Math.min(Math.min(chunk.rowEnd, rowEnd) - from, chunk.columnData.length);
            if (from < rowStart || n < 0) throw new Error('chunk outside its row group');
            if (st.mode === 0) numbers(st.out, chunk.columnData, from, n);
            else codes(st, chunk.columnData, from, n);
          } catch (e) {
            bad = bad || e;
          }
        },
      });
      if (bad) throw bad;
    }
    parentPort.postMessage({ ok: true, labels: m.cols.map((c) => (c.mode === 0 ? null : states.get(c.name).labels)) });
  } catch (e) {
    parentPort.postMessage({ ok: false, error: String((e && e.message) || e) });
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
});
`;

type WorkerReply = { ok: true; labels: (string[] | null)[] } | { ok: false; error: string };

interface SchemaNode {
  element: { name: string; type?: string; repetition_type?: string; converted_type?: string; logical_type?: { type: string; isSigned?: boolean } };
  children: unknown[];
}

/** The worker mode of a flat column, or null for a type left to the serial reader. */
function modeOf(node: SchemaNode, text: boolean): Mode | null {
  const { type, repetition_type: rep, converted_type: ct, logical_type: lt } = node.element;
  if (node.children.length > 0 || rep === 'REPEATED') return null;
  if (type === 'DOUBLE' || type === 'FLOAT' || type === 'INT32' || type === 'INT64') {
    const plainInt = ct === undefined || ct === 'INT_8' || ct === 'INT_16' || ct === 'INT_32' || ct === 'INT_64';
    const signedInt = lt === undefined || (lt.type === 'INTEGER' && lt.isSigned === true);
    if (!plainInt || !signedInt || ((type === 'DOUBLE' || type === 'FLOAT') && (ct !== undefined || lt !== undefined))) return null;
    return text ? NUMBER_TEXT : NUMBER;
  }
  if (type === 'BYTE_ARRAY' && (ct === undefined || ct === 'UTF8') && (lt === undefined || lt.type === 'STRING')) return STRING;
  return null;
}

/** The URL of hyparquet's Node entry, for the workers' import(), or null. */
function hyparquetUrl(): string | null {
  try {
    const { createRequire } = process.getBuiltinModule('node:module');
    const { pathToFileURL } = process.getBuiltinModule('node:url');
    const base = import.meta.url ?? (typeof __filename === 'string' ? __filename : undefined);
    if (!base) return null;
    return pathToFileURL(createRequire(base).resolve('hyparquet')).href;
  } catch {
    return null;
  }
}

/**
 * Row-group runs for `w` workers: contiguous, in file order, of about equal compressed size.
 * @returns w + 1 boundaries (group indexes), strictly increasing from 0 to costs.length
 */
export function splitRowGroups(costs: readonly number[], w: number): number[] {
  const g = costs.length;
  const cum = [0];
  for (const c of costs) cum.push(cum[cum.length - 1]! + Math.max(c, 1));
  const total = cum[g]!;
  const cuts = [0];
  for (let k = 1; k < w; k++) {
    let at = cuts[k - 1]! + 1;
    while (at < g && cum[at]! < (total * k) / w) at++;
    cuts.push(Math.min(at, g - (w - k)));
  }
  cuts.push(g);
  return cuts;
}

/**
 * Read a Parquet file on worker threads: the table `readTableFile` reads on one thread, or null
 * when this reader leaves the file to it (see the module comment).
 * @example
 * const table = (await readParquetParallel('big.parquet', { workers: 4 })) ?? (await readTableFile('big.parquet')).table;
 */
export async function readParquetParallel(path: string, options: ParallelParquetOptions = {}): Promise<Table | null> {
  if (typeof process === 'undefined' || typeof process.getBuiltinModule !== 'function') return null;
  const fs = process.getBuiltinModule('node:fs');
  const { Worker } = process.getBuiltinModule('node:worker_threads');
  const { availableParallelism } = process.getBuiltinModule('node:os');
  const maxWorkers = Math.max(1, Math.min(options.workers ?? availableParallelism(), 8));
  if (maxWorkers < 2) return null;

  // The footer only.
  let footer: Uint8Array;
  let fileSize: number;
  try {
    const fd = fs.openSync(path, 'r');
    try {
      fileSize = fs.fstatSync(fd).size;
      if (fileSize < (options.minBytes ?? PARALLEL_PARQUET_MIN_BYTES) || fileSize < 12) return null;
      const tail = Buffer.alloc(8);
      if (fs.readSync(fd, tail, 0, 8, fileSize - 8) !== 8 || tail.toString('latin1', 4) !== 'PAR1') return null;
      const len = tail.readUInt32LE(0);
      if (len + 12 > fileSize) return null;
      footer = new Uint8Array(len + 8);
      if (fs.readSync(fd, footer, 0, len + 8, fileSize - len - 8) !== len + 8) return null;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
  const { parquetMetadata, parquetSchema } = await import('hyparquet');
  let meta: ReturnType<typeof parquetMetadata>;
  let top: SchemaNode[];
  try {
    meta = parquetMetadata(footer);
    top = parquetSchema(meta).children as unknown as SchemaNode[];
  } catch {
    return null;
  }

  // Only flat columns of the types above, named once each, in row groups that add up.
  const allNames = top.map((c) => c.element.name);
  if (new Set(allNames).size !== allNames.length || top.some((c) => c.children.length > 0)) return null;
  const text = new Set(options.text ?? []);
  const names = allNames.filter((c) => !options.columns || options.columns.includes(c));
  if (names.length === 0) return null;
  const modes = new Map<string, Mode>();
  for (const node of top) {
    if (!names.includes(node.element.name)) continue;
    const mode = modeOf(node, text.has(node.element.name));
    if (mode === null) return null;
    modes.set(node.element.name, mode);
  }
  const n = Number(meta.num_rows);
  const groups = meta.row_groups;
  const starts: number[] = [];
  const costs: number[] = [];
  let rows = 0;
  for (const group of groups) {
    starts.push(rows);
    rows += Number(group.num_rows);
    let cost = 0;
    for (const chunk of group.columns) {
      const md = chunk.meta_data;
      if (!md || chunk.file_path) return null;
      const mode = modes.get(md.path_in_schema[0]!);
      if (mode === undefined) continue;
      if (md.path_in_schema.length !== 1) return null;
      cost += Number(md.total_compressed_size);
      // int64 beyond 2^53 (stays exact text on one thread): known from the statistics when there are any.
      if (mode === NUMBER && md.type === 'INT64') {
        for (const v of [md.statistics?.min_value, md.statistics?.max_value, md.statistics?.min, md.statistics?.max])
          if (typeof v === 'bigint' && (v > 9007199254740991n || v < -9007199254740991n)) return null;
      }
    }
    costs.push(cost);
  }
  if (rows !== n || !Number.isSafeInteger(n) || groups.length < 2) return null;
  const w = Math.min(maxWorkers, groups.length);
  const url = hyparquetUrl();
  if (!url) return null;

  // The shared columns, written by the workers.
  const cols = names.map((name) => {
    const mode = modes.get(name)!;
    const sab = new SharedArrayBuffer(n * (mode === NUMBER ? 8 : 4));
    if (mode === NUMBER) new Float64Array(sab).fill(NaN);
    else new Int32Array(sab).fill(-1);
    return { name, mode, sab };
  });
  const cuts = splitRowGroups(costs, w);
  const pool: NodeWorker[] = [];
  let replies: WorkerReply[];
  try {
    const runs = Array.from({ length: w }, (_, k) => {
      const wk = new Worker(WORKER_SOURCE, { eval: true });
      pool.push(wk);
      const ids = Array.from({ length: cuts[k + 1]! - cuts[k]! }, (_, j) => cuts[k]! + j);
      return new Promise<WorkerReply>((resolve) => {
        wk.once('message', (m: WorkerReply) => resolve(m));
        wk.once('error', (e) => resolve({ ok: false, error: String(e) }));
        wk.once('exit', () => resolve({ ok: false, error: 'worker exited' }));
        wk.postMessage({
          hyparquet: url,
          path,
          footer,
          fileSize,
          dataEnd: fileSize - footer.length,
          groups: ids,
          starts: ids.map((g) => starts[g]!),
          names,
          cols,
        });
      });
    });
    replies = await Promise.all(runs);
  } catch {
    return null;
  } finally {
    for (const wk of pool) void wk.terminate();
  }
  if (!replies.every((r) => r.ok)) return null;

  // Text columns: the workers' dictionaries merged in row order, codes remapped.
  const columns = columnRecord<Column>();
  cols.forEach(({ name, mode, sab }, j) => {
    if (mode === NUMBER) {
      columns[name] = { kind: 'numeric', values: new Float64Array(sab) };
      return;
    }
    const local = new Int32Array(sab);
    const codes = new Int32Array(n);
    const labels: string[] = [];
    const index = new Map<string, number>();
    replies.forEach((r, k) => {
      const own = (r as { labels: (string[] | null)[] }).labels[j]!;
      const remap = new Int32Array(own.length);
      own.forEach((s, c) => {
        if (mode === STRING && isMissingString(s)) {
          remap[c] = -1;
          return;
        }
        let g = index.get(s);
        if (g === undefined) {
          g = labels.length;
          labels.push(s);
          index.set(s, g);
        }
        remap[c] = g;
      });
      const end = cuts[k + 1]! < groups.length ? starts[cuts[k + 1]!]! : n;
      for (let i = starts[cuts[k]!]!; i < end; i++) {
        const c = local[i]!;
        codes[i] = c < 0 ? -1 : remap[c]!;
      }
    });
    columns[name] = finishParquetCodes(codes, labels, text.has(name));
  });
  return { nRows: n, names, columns };
}
