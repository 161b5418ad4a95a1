/**
 * CSV straight into typed columns: one state machine, fed whole strings (`parseCsv`, browser
 * safe) or chunk by chunk (the streaming file reader in `src/io`). No array of row objects is
 * ever built: numeric columns grow as Float64Array, text columns as dictionary codes.
 */
import type { CategoricalColumn, Column, Table } from './table.js';
import { columnRecord, compareCodePoints, isMissingString, showName, showValue, typeCheckText } from './table.js';
import { CounterfactError, type Problem } from '../problems.js';

export interface CsvOptions {
  /** Field separator; 'auto' (default) picks the most frequent of , ; tab | in the header line. */
  readonly delimiter?: ',' | ';' | '\t' | '|' | 'auto';
  /**
   * Decimal mark: '.' or ','. Default 'auto': '.', and also ',' in fields like "1,5" when the
   * delimiter is not a comma (Italian exports: semicolon-separated with decimal comma).
   */
  readonly decimal?: '.' | ',' | 'auto';
  /** Thousands separator to strip from numbers ("1.234,5" with thousands '.' and decimal ','). */
  readonly thousands?: '.' | ',' | "'" | ' ';
  /** Read only these columns (all by default). */
  readonly columns?: readonly string[];
  /** Largest allowed field, in characters (default 1,000,000). */
  readonly maxFieldChars?: number;
  /** Most fields a line may have (default 100,000): a longer line is refused before it fills memory. */
  readonly maxColumns?: number;
  /**
   * Text encoding of bytes (default 'utf-8'; latin1 is read as windows-1252, its superset, as
   * browsers do). UTF-8 input with invalid byte sequences is refused, naming this option.
   */
  readonly encoding?: CsvEncoding;
  /** Columns read as text exactly as written, never as numbers (ids such as 007 or 17-digit codes). */
  readonly text?: readonly string[];
}

/** Encodings the CSV readers decode. */
export const CSV_ENCODINGS = ['utf-8', 'latin1', 'windows-1252', 'utf-16le', 'utf-16be'] as const;
export type CsvEncoding = (typeof CSV_ENCODINGS)[number];

/** Check the reader options (the CLI and study file pass user text through). */
export function checkCsvOptions(o: CsvOptions): void {
  const bad = (column: string, message: string) => {
    throw new CounterfactError({ code: 'bad_argument', column, message });
  };
  if (o.delimiter !== undefined && ![',', ';', '\t', '|', 'auto'].includes(o.delimiter))
    bad('--delimiter', `delimiter must be one of , ; | or a tab (or auto), received ${showValue(String(o.delimiter))}`);
  if (o.decimal !== undefined && !['.', ',', 'auto'].includes(o.decimal))
    bad('--decimal', `decimal mark must be . or , (or auto), received ${showValue(String(o.decimal))}`);
  if (o.thousands !== undefined && ![',', '.', "'", ' '].includes(o.thousands))
    bad('--thousands', `thousands separator must be one of . , ' or a space, received ${showValue(String(o.thousands))}`);
  if (o.thousands !== undefined && o.thousands === o.decimal)
    bad('--thousands', `the thousands separator and the decimal mark are both ${showValue(o.thousands)}: give --decimal , with --thousands . (or the reverse)`);
  if (o.thousands === ',' && (o.decimal ?? 'auto') === 'auto')
    bad('--thousands', 'with --thousands , the decimal mark is . : give --decimal . as well (auto would also read 1,5 as 1.5)');
  if (o.encoding !== undefined && !(CSV_ENCODINGS as readonly string[]).includes(o.encoding))
    bad('--encoding', `encoding must be one of ${CSV_ENCODINGS.join(', ')}, received ${showValue(String(o.encoding))}`);
  if (o.delimiter !== undefined && o.delimiter !== 'auto' && o.delimiter === o.decimal)
    bad('--decimal', `the delimiter and the decimal mark are both ${showValue(o.delimiter)}`);
}

/**
 * Refuse bytes that are not a text CSV, each with its own fix: gzip, zip (xlsx), old Excel,
 * Parquet or Arrow files, UTF-16 without `--encoding utf-16le|be`, and binary data (NUL bytes).
 */
export function sniffCsvBytes(b: Uint8Array, encoding?: CsvEncoding): void {
  const fail = (message: string) => {
    throw new CounterfactError({ code: 'bad_file', message });
  };
  const at = (k: number) => (k < b.length ? b[k]! : -1);
  if (at(0) === 0x1f && at(1) === 0x8b) fail('the file is gzip-compressed, not a CSV text: decompress it first (gunzip FILE.csv.gz), then read the .csv');
  if (at(0) === 0x50 && at(1) === 0x4b && at(2) === 0x03 && at(3) === 0x04)
    fail('the file is a ZIP archive (an Excel .xlsx workbook?), not a CSV text: export the sheet as CSV UTF-8, or unzip it');
  if (at(0) === 0xd0 && at(1) === 0xcf && at(2) === 0x11 && at(3) === 0xe0)
    fail('the file is an old Excel (.xls) workbook, not a CSV text: export the sheet as CSV UTF-8');
  if (at(0) === 0x50 && at(1) === 0x41 && at(2) === 0x52 && at(3) === 0x31) fail('the file is a Parquet file, not a CSV text: give it the .parquet extension');
  if (at(0) === 0x41 && at(1) === 0x52 && at(2) === 0x52 && at(3) === 0x4f && at(4) === 0x57 && at(5) === 0x31)
    fail('the file is an Arrow IPC file, not a CSV text: give it the .arrow extension');
  const utf16 = encoding === 'utf-16le' || encoding === 'utf-16be';
  if (!utf16 && ((at(0) === 0xff && at(1) === 0xfe) || (at(0) === 0xfe && at(1) === 0xff))) {
    fail(
      `the file is UTF-16 text (it starts with a ${at(0) === 0xff ? 'little' : 'big'}-endian byte-order mark), not UTF-8: read it with --encoding ${at(0) === 0xff ? 'utf-16le' : 'utf-16be'} (study file: data.encoding), or save it as CSV UTF-8`,
    );
  }
  if (!utf16) {
    const n = Math.min(b.length, 4096);
    for (let k = 0; k < n; k++) {
      if (b[k] === 0) {
        const even = b.length > 1 && (b[0] === 0 || b[1] === 0);
        fail(
          even
            ? 'the file holds NUL bytes between its characters: it is probably UTF-16 text without a byte-order mark — read it with --encoding utf-16le (or utf-16be), or save it as CSV UTF-8'
            : `the file holds a NUL byte (byte ${k + 1}): it is a binary file, not a CSV text`,
        );
      }
    }
  }
}

/**
 * Refuse text decoded from invalid UTF-8 (the decoder's U+FFFD replacement character), naming
 * the column, the line and the `--encoding` fix. `where`: the column, or null for the header.
 */
function invalidUtf8(where: string | null, value: string, line: number): never {
  throw new CounterfactError({
    code: 'bad_file',
    column: where ?? undefined,
    message:
      `the file is not valid UTF-8: ${where === null ? 'the header' : `column ${showName(where)}`} holds bytes that are not UTF-8 (line ${line}: ${showValue(value)}); ` +
      'it is probably Latin-1 / Windows-1252 (Excel\'s "CSV" on Windows): read it with --encoding latin1 (study file: data.encoding: latin1), or save it as CSV UTF-8',
  });
}

/** The reader's checks on one finished text column: valid UTF-8, then the near-numeric type rule. */
function finishText(name: string, col: CategoricalColumn, isPlain: (s: string) => boolean, checkUtf8: boolean): CategoricalColumn {
  if (checkUtf8) {
    for (let k = 0; k < col.levels.length; k++) {
      if (col.levels[k]!.includes('\uFFFD')) {
        const i = col.codes.indexOf(k);
        invalidUtf8(name, col.levels[k]!, i + 2);
      }
    }
  }
  return typeCheckText(col, isPlain, 'line');
}

/** A column name as it is when plain, else quoted and escaped. */
function plainName(name: string): string {
  const shown = showName(name);
  return shown === `\`${name}\`` ? name : shown;
}

/** Header problems: empty or duplicated names (at most 10 listed), too many columns. */
function headerProblems(names: readonly string[], maxColumns: number): Problem[] {
  const problems: Problem[] = [];
  if (names.length > maxColumns) {
    problems.push({
      code: 'bad_file',
      message: `the header has ${names.length.toLocaleString('en')} columns, more than the ${maxColumns.toLocaleString('en')} allowed: check the delimiter (set it with --delimiter), or raise maxColumns`,
    });
    return problems;
  }
  const seen = new Map<string, number>();
  let more = 0;
  names.forEach((name, j) => {
    let p: Problem | null = null;
    if (name === '') p = { code: 'bad_file', message: `column ${j + 1} of the header has no name: name every column` };
    else if (seen.has(name)) {
      p = {
        code: 'duplicate_column',
        column: name,
        message: `column name ${showName(name)} appears twice in the header (columns ${seen.get(name)! + 1} and ${j + 1}): rename one of them`,
      };
    } else seen.set(name, j);
    if (p && problems.length < 10) problems.push(p);
    else if (p) more++;
  });
  if (more) problems.push({ code: 'bad_file', message: `… and ${more.toLocaleString('en')} more problems with the header's names` });
  for (const name of names) {
    if (name.includes('\uFFFD')) {
      problems.length = 0;
      invalidUtf8(null, name, 1);
    }
  }
  return problems;
}

export interface IngestReport {
  readonly rowsRead: number;
  readonly rowsRejected: number;
  readonly rejected: readonly { readonly row: number; readonly reason: string }[];
  readonly bytes: number;
  readonly delimiter: string;
  readonly columns: readonly { readonly name: string; readonly kind: 'numeric' | 'categorical'; readonly missing: number }[];
  /** Threads that parsed the file (file readers only; 1 when read on the calling thread). */
  readonly threads?: number;
}

const TAB = '\t';

/** Growable column: numbers until a non-number appears, then a string dictionary. */
class ColumnBuilder {
  private nums = new Float64Array(1024);
  private codes: Int32Array | null = null;
  private dict: Map<string, number> | null = null;
  private labels: string[] = [];
  length = 0;
  missing = 0;
  constructor(
    private readonly decimalComma: boolean,
    private readonly autoComma: boolean,
    private readonly thousands: string | undefined,
    /** Read as text exactly as written (the `text` option). */
    forceText = false,
  ) {
    if (forceText) this.toDictionary(0);
  }

  push(raw: string): void {
    if (this.length === (this.codes ? this.codes.length : this.nums.length)) this.grow();
    const i = this.length++;
    if (raw === '' || isMissingString(raw)) {
      this.missing++;
      if (this.codes) this.codes[i] = -1;
      else this.nums[i] = NaN;
      return;
    }
    if (!this.codes) {
      const x = this.toNumber(raw);
      if (!Number.isNaN(x)) {
        this.nums[i] = x;
        return;
      }
      this.toDictionary(i);
    }
    const s = raw.trim();
    let c = this.dict!.get(s);
    if (c === undefined) {
      c = this.labels.length;
      this.labels.push(s);
      this.dict!.set(s, c);
    }
    this.codes![i] = c;
  }

  /** True when the reader reads `s` as a number. */
  isNumber(s: string): boolean {
    return !Number.isNaN(this.toNumber(s));
  }

  private toNumber(raw: string): number {
    let s = raw.trim();
    const c0 = s.charCodeAt(0);
    // Fast reject: numbers start with a digit, sign or dot (or are Inf/NaN words, handled below).
    if (!((c0 >= 48 && c0 <= 57) || c0 === 45 || c0 === 43 || c0 === 46 || c0 === 73 || c0 === 105)) return NaN;
    if (this.thousands) s = s.split(this.thousands).join('');
    if (this.decimalComma) s = s.replace(',', '.');
    else if (this.autoComma && /^[+-]?\d+,\d+$/.test(s)) s = s.replace(',', '.');
    if (s === 'Inf' || s === 'inf' || s === 'Infinity') return Infinity;
    if (s === '-Inf' || s === '-inf' || s === '-Infinity') return -Infinity;
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return NaN;
    const x = Number(s);
    // An integer literal beyond 2^53 (a long id) cannot be held exactly: the column stays text.
    if (Math.abs(x) > 9007199254740991 && /^[+-]?\d+$/.test(s)) return NaN;
    return x;
  }

  private toDictionary(upTo: number): void {
    this.dict = new Map();
    this.codes = new Int32Array(this.nums.length);
    for (let k = 0; k < upTo; k++) {
      const x = this.nums[k]!;
      if (Number.isNaN(x)) this.codes[k] = -1;
      else {
        const s = String(x);
        let c = this.dict.get(s);
        if (c === undefined) {
          c = this.labels.length;
          this.labels.push(s);
          this.dict.set(s, c);
        }
        this.codes[k] = c;
      }
    }
    this.nums = new Float64Array(0);
  }

  private grow(): void {
    if (this.codes) {
      const next = new Int32Array(this.codes.length * 2);
      next.set(this.codes);
      this.codes = next;
    } else {
      const next = new Float64Array(this.nums.length * 2);
      next.set(this.nums);
      this.nums = next;
    }
  }

  finish(): Column {
    if (!this.codes) return { kind: 'numeric', values: this.nums.slice(0, this.length) };
    // Levels in code-point order; remap codes.
    const order = this.labels.map((_, k) => k).sort((a, b) => compareCodePoints(this.labels[a]!, this.labels[b]!));
    const remap = new Int32Array(order.length);
    order.forEach((old, k) => {
      remap[old] = k;
    });
    const codes = new Int32Array(this.length);
    for (let i = 0; i < this.length; i++) {
      const c = this.codes[i]!;
      codes[i] = c < 0 ? -1 : remap[c]!;
    }
    return { kind: 'categorical', codes, levels: order.map((k) => this.labels[k]!) };
  }
}

/**
 * Incremental CSV parser over text: `push` string chunks, then `finish` (the reference
 * implementation; {@link CsvByteReader} gives the same results from bytes, faster). RFC 4180 quoting ("" escapes,
 * delimiters and newlines inside quotes), CRLF or LF, a leading UTF-8 BOM.
 */
export class CsvReader {
  private delimiter: string | null;
  private header: string[] | null = null;
  private builders: (ColumnBuilder | null)[] = [];
  private field = '';
  private row: string[] = [];
  private inQuotes = false;
  private quotePending = false;
  private fieldWasQuoted = false;
  private started = false;
  private lineNo = 1;
  private rowStartLine = 1;
  private rowsRead = 0;
  private bytes = 0;
  private readonly rejected: { row: number; reason: string }[] = [];
  private rejectedCount = 0;
  private readonly maxField: number;
  private pendingCR = false;

  constructor(private readonly options: CsvOptions = {}) {
    checkCsvOptions(options);
    this.delimiter = options.delimiter && options.delimiter !== 'auto' ? options.delimiter : null;
    this.maxField = options.maxFieldChars ?? 1_000_000;
  }

  /** Feed the next piece of text. */
  push(chunk: string): void {
    if (!this.started) {
      if (chunk.length === 0) return;
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    this.bytes += chunk.length;
    if (this.delimiter === null) {
      // Detect from the header line once it is complete (or from what we have).
      this.headBuffer += chunk;
      const nl = this.headBuffer.search(/\r|\n/);
      if (nl < 0 && this.headBuffer.length < 1 << 20) return;
      this.delimiter = detectDelimiter(nl < 0 ? this.headBuffer : this.headBuffer.slice(0, nl));
      chunk = this.headBuffer;
      this.headBuffer = '';
    }
    this.scan(chunk);
  }
  private headBuffer = '';

  private scan(s: string): void {
    const delim = this.delimiter!;
    const n = s.length;
    let k = 0;
    while (k < n) {
      const ch = s[k]!;
      if (this.pendingCR) {
        this.pendingCR = false;
        if (ch === '\n') {
          k++;
          continue;
        }
      }
      if (this.inQuotes) {
        if (this.quotePending) {
          this.quotePending = false;
          if (ch === '"') {
            this.field += '"';
            k++;
            continue;
          }
          this.inQuotes = false;
          continue; // re-handle ch outside quotes
        }
        // Copy a run of ordinary characters at once.
        const q = s.indexOf('"', k);
        const end = q < 0 ? n : q;
        if (end > k) {
          const piece = s.slice(k, end);
          for (let j = 0; j < piece.length; j++) if (piece[j] === '\n') this.lineNo++;
          this.field += piece;
          this.checkField();
          k = end;
          continue;
        }
        this.quotePending = true;
        k++;
        continue;
      }
      if (ch === '"' && this.field.length === 0 && !this.fieldWasQuoted) {
        this.inQuotes = true;
        this.fieldWasQuoted = true;
        k++;
        continue;
      }
      if (ch === delim) {
        this.endField();
        k++;
        continue;
      }
      if (ch === '\n' || ch === '\r') {
        this.endField();
        this.endRow();
        this.lineNo++;
        if (ch === '\r') this.pendingCR = true;
        k++;
        continue;
      }
      // Plain run up to the next special character.
      let j = k;
      while (j < n) {
        const c = s[j]!;
        if (c === delim || c === '\n' || c === '\r' || c === '"') break;
        j++;
      }
      if (j === k) {
        // A quote in the middle of an unquoted field: keep it literally.
        this.field += ch;
        k++;
      } else {
        this.field += s.slice(k, j);
        k = j;
      }
      this.checkField();
    }
  }

  private checkField(): void {
    if (this.field.length > this.maxField) {
      throw new CounterfactError({
        code: 'bad_file',
        message: `a field on line ${this.rowStartLine} is longer than ${this.maxField.toLocaleString('en')} characters (an unclosed quote, or a binary file?): fix the file, or raise maxFieldChars`,
      });
    }
  }

  private endField(): void {
    this.row.push(this.field);
    this.field = '';
    this.fieldWasQuoted = false;
  }

  private endRow(): void {
    const row = this.row;
    this.row = [];
    const line = this.rowStartLine;
    this.rowStartLine = this.lineNo + 1;
    if (row.length === 1 && row[0] === '') return; // blank line
    if (!this.header) {
      this.setHeader(row);
      return;
    }
    const h = this.header;
    if (row.length !== h.length) {
      this.rejectedCount++;
      if (this.rejected.length < 20) this.rejected.push({ row: line, reason: `${row.length} fields where the header has ${h.length}` });
      return;
    }
    for (let j = 0; j < h.length; j++) this.builders[j]?.push(row[j]!);
    this.rowsRead++;
  }

  private setHeader(row: string[]): void {
    const names = row.map((s) => s.trim());
    const problems = headerProblems(names, this.options.maxColumns ?? 100_000);
    if (problems.length) throw new CounterfactError(problems);
    const seen = new Set(names);
    const wanted = this.options.columns ? new Set(this.options.columns) : null;
    if (wanted) {
      const missing = [...wanted].filter((c) => !seen.has(c));
      if (missing.length) {
        throw new CounterfactError({
          code: 'unknown_column',
          column: missing[0],
          message: `column(s) ${missing.map((c) => showName(c)).join(', ')} not in the file's header (${names
            .slice(0, 12)
            .map((c) => plainName(c))
            .join(', ')}${names.length > 12 ? ', …' : ''})`,
        });
      }
    }
    this.header = names;
    const comma = this.options.decimal === ',';
    const auto = (this.options.decimal ?? 'auto') === 'auto' && this.delimiter !== ',';
    const text = new Set(this.options.text ?? []);
    this.builders = names.map((name) => (!wanted || wanted.has(name) ? new ColumnBuilder(comma, auto, this.options.thousands, text.has(name)) : null));
  }

  /** Finish parsing: the table and a report. Throws for empty files, header-only files and ragged rows. */
  finish(): { table: Table; report: IngestReport } {
    if (this.delimiter === null) {
      const head = this.headBuffer;
      this.headBuffer = '';
      this.delimiter = detectDelimiter(head);
      this.scan(head);
    }
    if (this.inQuotes && !this.quotePending) {
      throw new CounterfactError({
        code: 'bad_file',
        message: `a quoted field starting on line ${this.rowStartLine} is never closed: add the closing quote (")`,
      });
    }
    this.inQuotes = false;
    this.quotePending = false;
    if (this.field.length > 0 || this.row.length > 0) {
      this.endField();
      this.endRow();
    }
    if (!this.header) throw new CounterfactError({ code: 'empty_data', message: 'the file is empty: expected a header line and data rows' });
    if (this.rejectedCount > 0) {
      const first = this.rejected
        .slice(0, 5)
        .map((r) => `line ${r.row}: ${r.reason}`)
        .join('; ');
      throw new CounterfactError({
        code: 'ragged_row',
        count: this.rejectedCount,
        message: `${this.rejectedCount} row(s) have the wrong number of fields (${first}${this.rejectedCount > 5 ? '; …' : ''}): check the delimiter (detected ${JSON.stringify(this.delimiter)}; set it with --delimiter) and quoting`,
      });
    }
    if (this.rowsRead === 0) {
      throw new CounterfactError({
        code: 'empty_data',
        message: `the file has a header (${this.header
          .slice(0, 8)
          .map((c) => plainName(c))
          .join(', ')}${this.header.length > 8 ? ', …' : ''}) but no data rows`,
      });
    }
    const names: string[] = [];
    const columns = columnRecord<Column>();
    const info: { name: string; kind: 'numeric' | 'categorical'; missing: number }[] = [];
    const probe = new ColumnBuilder(
      this.options.decimal === ',',
      (this.options.decimal ?? 'auto') === 'auto' && this.delimiter !== ',',
      this.options.thousands,
    );
    this.header.forEach((name, j) => {
      const b = this.builders[j];
      if (!b) return;
      let col = b.finish();
      if (col.kind === 'categorical' && !this.options.text?.includes(name)) col = typeCheckText(col, (s) => probe.isNumber(s), 'line');
      names.push(name);
      columns[name] = col;
      info.push({ name, kind: col.kind, missing: b.missing });
    });
    return {
      table: { nRows: this.rowsRead, names, columns },
      report: {
        rowsRead: this.rowsRead,
        rowsRejected: this.rejectedCount,
        rejected: this.rejected,
        bytes: this.bytes,
        delimiter: this.delimiter,
        columns: info,
      },
    };
  }
}

/** The most frequent of , ; tab | outside quotes in a header line (comma when none). */
export function detectDelimiter(headerLine: string): ',' | ';' | '\t' | '|' {
  const counts: Record<string, number> = { ',': 0, ';': 0, [TAB]: 0, '|': 0 };
  let inQ = false;
  for (const ch of headerLine) {
    if (ch === '"') inQ = !inQ;
    else if (!inQ && ch in counts) counts[ch]!++;
  }
  let best: ',' | ';' | '\t' | '|' = ',';
  for (const d of [',', ';', TAB, '|'] as const) if (counts[d]! > counts[best]!) best = d;
  return best;
}

/**
 * Parse CSV text or UTF-8 bytes into a Table (browser-safe).
 * Numeric columns: every non-missing value is a number; others are categorical (levels in
 * code-point order). Missing: empty, NA, NaN, null, NULL, ".". A column with an integer
 * beyond 2^53 (a long id such as a 17-digit code) is read as text, so it is kept exactly.
 * Bytes are parsed directly (no string per field); text is encoded to UTF-8 first.
 * Cost: O(characters).
 * @throws CounterfactError: empty file, header only, duplicated or empty column names, ragged
 *   rows (line numbers), an unclosed quote, a field over `maxFieldChars`.
 * @example
 * parseCsv('id;age;wage\n1;30;1,5\n2;41;2,25').table.columns.wage // numeric [1.5, 2.25]
 */
export function parseCsv(text: string | Uint8Array, options: CsvOptions = {}): { table: Table; report: IngestReport } {
  if (typeof text === 'string') {
    // Lone surrogates cannot round-trip through UTF-8: keep the string parser for them.
    if (!(text as unknown as { isWellFormed(): boolean }).isWellFormed()) {
      const reader = new CsvReader(options);
      reader.push(text);
      return reader.finish();
    }
    // Already decoded: its UTF-8 bytes, read as UTF-8 (a U+FFFD in a string is a character of it).
    const reader = new CsvByteReader({ ...options, encoding: 'utf-8' });
    reader.push(new TextEncoder().encode(text));
    const out = reader.finish();
    const chars = text.length - (text.charCodeAt(0) === 0xfeff ? 1 : 0);
    return { table: out.table, report: { ...out.report, bytes: chars } };
  }
  const reader = new CsvByteReader(options);
  reader.push(text);
  return reader.finish();
}

// ---------------------------------------------------------------------------------------------
// Byte-level CSV core. Self-contained on purpose: its source text is also run inside worker
// threads (src/io/parallelCsv.ts), so it must not refer to anything outside its own body.
// ---------------------------------------------------------------------------------------------

/** Column of one parsed part: numbers, or dictionary codes into first-seen `labels`. */
export interface CsvPartColumn {
  readonly text: boolean;
  readonly nums: Float64Array | null;
  readonly codes: Int32Array | null;
  readonly labels: string[];
  readonly missing: number;
  /** Non-missing numbers turned into labels (String(x)) when the part met its first text value. */
  readonly converted: number;
  readonly length: number;
}

/** Settings shared by every part of one file (plain data: also sent to workers). */
export interface CsvCoreConfig {
  readonly delim: number;
  readonly ncol: number;
  /** Per column: parsed (true) or skipped (false). */
  readonly wanted: readonly boolean[];
  /** Thousands separator byte, or -1. */
  readonly thousands: number;
  /** 0: decimal '.', 1: decimal ',' (also '.'), 2: ',' only in fields like 1,5. */
  readonly mode: 0 | 1 | 2;
  readonly maxField: number;
  /** Most fields a line may have (checked when the field arrays grow). */
  readonly maxColumns: number;
  /** Columns to read as text from the first value (their earlier parts were text already). */
  readonly forcedText: readonly boolean[];
}

/** A growing column inside {@link csvCore} (internal). */
export interface CsvCoreBuilder {
  text: boolean;
  nums: Float64Array;
  codes: Int32Array;
  len: number;
  missing: number;
  converted: number;
  labels: string[];
  labelMap: Map<string, number>;
  // byte-key cache in front of labelMap: open addressing over entries
  table: Int32Array;
  eOff: Int32Array;
  eLen: Int32Array;
  eCode: Int32Array;
  nEnt: number;
  arena: Uint8Array;
  arenaLen: number;
}

/** Parser state inside {@link csvCore} (internal). */
export interface CsvCoreState {
  cfg: CsvCoreConfig;
  builders: (CsvCoreBuilder | null)[];
  fs: Int32Array;
  fe: Int32Array;
  fsrc: Uint8Array;
  nf: number;
  term: boolean;
  scratch: Uint8Array;
  sl: number;
  lineNo: number;
  rowStartLine: number;
  rowsRead: number;
  rejectedCount: number;
  rejected: { row: number; reason: string }[];
  /** 'field' (too long), 'quote' (never closed), or '' */
  err: string;
  errLine: number;
  /** false until the header row is set (rows are then returned to the caller, not pushed) */
  body: boolean;
  /** Columns already sized for the whole file (`reserveRows`): no estimate from the first rows. */
  sized: boolean;
}

/**
 * The byte parser's functions (see {@link CsvByteReader}); returns a fresh instance so its
 * scratch state is private. Exported for the worker-thread reader.
 */
export function csvCore() {
  const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];
  const F = new Float64Array(2);
  const U = new Uint32Array(F.buffer);
  const SPLIT = 134217729; // 2^27 + 1
  const EPS = 9.313225746154785e-10; // 2^-30
  const MISSING = new Set(['', 'NA', 'NaN', 'nan', 'null', 'NULL', '.']);
  const utf8 = new TextDecoder();
  // 10^-k = RH[k] + RL[k] to about 2^-106 (RL from the exact residual 1 − RH·10^k).
  const RH: number[] = [];
  const RL: number[] = [];
  for (let k = 0; k <= 22; k++) {
    const P = POW10[k]!;
    const rh = 1 / P;
    const ph = rh * P;
    RH.push(rh);
    RL.push((1 - ph - prodErr(rh, P, ph)) / P);
  }
  let fallback = false;
  let numStop = 0;

  /** The exact error of the rounded product a*b = p (Dekker; no FMA in JS). */
  function prodErr(a: number, b: number, p: number): number {
    let t = SPLIT * a;
    const ah = t - (t - a);
    const al = a - ah;
    t = SPLIT * b;
    const bh = t - (t - b);
    const bl = b - bh;
    return ah * bh - p + ah * bl + al * bh + al * bl;
  }

  function isWs(c: number): boolean {
    return c === 32 || (c >= 9 && c <= 13);
  }

  function decode(buf: Uint8Array, s: number, e: number): string {
    let ascii = true;
    for (let k = s; k < e; k++) {
      if (buf[k]! >= 128) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      if (e - s < 64) {
        let out = '';
        for (let k = s; k < e; k++) out += String.fromCharCode(buf[k]!);
        return out;
      }
      let out = '';
      for (let k = s; k < e; k += 8192) out += String.fromCharCode.apply(null, Array.from(buf.subarray(k, Math.min(e, k + 8192))));
      return out;
    }
    return utf8.decode(buf.slice(s, e));
  }

  /** Exactly the string path's number rule (Number() of the regex-checked text). */
  function toNumber(raw: string, cfg: CsvCoreConfig): number {
    let s = raw.trim();
    const c0 = s.charCodeAt(0);
    if (!((c0 >= 48 && c0 <= 57) || c0 === 45 || c0 === 43 || c0 === 46 || c0 === 73 || c0 === 105)) return NaN;
    if (cfg.thousands >= 0) s = s.split(String.fromCharCode(cfg.thousands)).join('');
    if (cfg.mode === 1) s = s.replace(',', '.');
    else if (cfg.mode === 2 && /^[+-]?\d+,\d+$/.test(s)) s = s.replace(',', '.');
    if (s === 'Inf' || s === 'inf' || s === 'Infinity') return Infinity;
    if (s === '-Inf' || s === '-inf' || s === '-Infinity') return -Infinity;
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return NaN;
    const x = Number(s);
    // An integer literal beyond 2^53 (a long id) cannot be held exactly: the column stays text.
    if (Math.abs(x) > 9007199254740991 && /^[+-]?\d+$/.test(s)) return NaN;
    return x;
  }

  /**
   * Number from trimmed ASCII-ended bytes without building a string. NaN with `fallback`
   * false: certainly not a number. NaN with `fallback` true: ask `toNumber`. Otherwise the
   * value, which equals Number() of the text: ≤15 significant digits with |exponent| ≤ 22 is one
   * correctly rounded IEEE operation; 16–19 digits carry the exact integer as a double-double
   * and correct the rounded quotient/product by its exact residual (near-ties fall back).
   */
  function fastNumber(buf: Uint8Array, s: number, e: number, cfg: CsvCoreConfig): number {
    fallback = false;
    const th = cfg.thousands;
    const mode = cfg.mode;
    let p = s;
    let c = buf[p]!;
    if (c === 73 || c === 105) {
      fallback = true;
      return NaN;
    }
    if (!((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46)) return NaN;
    let neg = false;
    if (c === 45 || c === 43) {
      neg = c === 45;
      p++;
    }
    // Significant digits: the first 9 in `a`, the next 9 in `b`, a 19th in `c19` (int32 chains).
    let a = 0;
    let b = 0;
    let c19 = 0;
    let sig = 0;
    const intStart = p;
    for (; p < e; p++) {
      const d = buf[p]! - 48;
      if (d < 0 || d > 9) break;
      if (sig === 0 && d === 0) continue;
      if (sig < 9) a = a * 10 + d;
      else if (sig < 18) b = b * 10 + d;
      else c19 = d;
      sig++;
    }
    const nInt = p - intStart;
    let nFrac = 0;
    let comma = false;
    let hasExp = false;
    let ex = 0;
    if (p < e) {
      c = buf[p]!;
      if (c === 46 || c === 44) {
        if (c === th) {
          fallback = true;
          return NaN;
        }
        if (c === 44) {
          if (mode === 0) return NaN;
          comma = true;
        }
        p++;
        const fracStart = p;
        for (; p < e; p++) {
          const d = buf[p]! - 48;
          if (d < 0 || d > 9) break;
          if (sig === 0 && d === 0) continue;
          if (sig < 9) a = a * 10 + d;
          else if (sig < 18) b = b * 10 + d;
          else c19 = d;
          sig++;
        }
        nFrac = p - fracStart;
      }
    }
    if (p < e) {
      c = buf[p]!;
      if (c === 101 || c === 69) {
        p++;
        let eneg = false;
        if (p < e && (buf[p] === 45 || buf[p] === 43)) {
          eneg = buf[p] === 45;
          p++;
        }
        if (p >= e) return NaN;
        for (; p < e; p++) {
          c = buf[p]!;
          if (c < 48 || c > 57) break;
          ex = ex * 10 + (c - 48);
          if (ex > 9999) {
            fallback = true;
            return NaN;
          }
        }
        if (eneg) ex = -ex;
        hasExp = true;
        if (p < e) c = buf[p]!;
      }
    }
    if (p < e) {
      // Anything else: a thousands mark or an I/i (Inf words) needs the string rule; the rest is text.
      for (let k = p; k < e; k++) {
        const t = buf[k]!;
        if (t === th || t === 73 || t === 105) {
          fallback = true;
          return NaN;
        }
      }
      return NaN;
    }
    if (nInt + nFrac === 0) return NaN;
    if (comma && mode === 2 && (nInt === 0 || nFrac === 0 || hasExp)) return NaN;
    if (sig === 0) return neg ? -0 : 0;
    if (sig > 19 || (sig > 15 && nFrac === 0 && !hasExp)) {
      // Long mantissas, and long integers (ids beyond 2^53 stay text): the string rule decides.
      fallback = true;
      return NaN;
    }
    const q = ex - nFrac;
    if (q > 22 || q < -22) {
      fallback = true;
      return NaN;
    }
    let x: number;
    if (sig <= 15) {
      const H = sig <= 9 ? a : a * POW10[sig - 9]! + b;
      x = q === 0 ? H : q > 0 ? H * POW10[q]! : H / POW10[-q]!;
      return neg ? -x : x;
    }
    if (sig === 16) {
      // Sixteen digits below 2^53 (most shortest-form doubles of 16 digits) are an exact double
      // too: one correctly rounded operation (Clinger's fast path), as for 15.
      const H = a * 1e7 + b;
      if (H < 9007199254740992) {
        x = q === 0 ? H : q > 0 ? H * POW10[q]! : H / POW10[-q]!;
        return neg ? -x : x;
      }
    }
    // m = a·10^(sig−9) + rest exactly, as mh + ml.
    const P = POW10[sig - 9]!;
    const rest = sig <= 18 ? b : b * 10 + c19;
    const prod = a * P;
    const c2 = prodErr(a, P, prod) + rest;
    const mh = prod + c2;
    const ml = c2 - (mh - prod);
    let d: number;
    if (q === 0) return neg ? -mh : mh;
    if (q > 0) {
      const p10 = POW10[q]!;
      x = mh * p10;
      d = prodErr(mh, p10, x) + ml * p10;
    } else {
      // × 10^q as the double-double rh + rl (no division).
      const rh = RH[-q]!;
      x = mh * rh;
      d = prodErr(mh, rh, x) + (mh * RL[-q]! + ml * rh);
    }
    // x is within ~1.5 ulp of m·10^q and d ≈ m·10^q − x: step to the nearest double.
    for (let it = 0; it < 3; it++) {
      F[0] = x;
      const hi = U[1]!;
      const be = (hi >>> 20) & 0x7ff;
      if (be < 60 || be > 2000) break;
      U[3] = (be - 52) << 20;
      U[2] = 0;
      const up = F[1]!;
      const down = U[0] === 0 && (hi & 0xfffff) === 0 ? up / 2 : up;
      if (d >= 0) {
        const h = up / 2;
        if (d < h * (1 - EPS)) return neg ? -x : x;
        if (d <= h * (1 + EPS)) break;
        x += up;
        d -= up;
      } else {
        const h = down / 2;
        if (-d < h * (1 - EPS)) return neg ? -x : x;
        if (-d <= h * (1 + EPS)) break;
        x -= down;
        d += down;
      }
    }
    fallback = true;
    return NaN;
  }
  /**
   * `fastNumber` for a field whose end is not known yet: reads the longest number form from s
   * (before `e`, the end of the bytes) and leaves its end in `numStop`. The value equals
   * fastNumber(buf, s, numStop) when the field ends there (the caller checks the delimiter or
   * line end at numStop); NaN (or `fallback`): not decided here.
   */
  function numberAt(buf: Uint8Array, s: number, e: number, cfg: CsvCoreConfig): number {
    fallback = false;
    const delim = cfg.delim;
    const th = cfg.thousands;
    const mode = cfg.mode;
    let p = s;
    let c = buf[p]!;
    if (c === 73 || c === 105) {
      fallback = true;
      return NaN;
    }
    if (!((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46)) return NaN;
    let neg = false;
    if (c === 45 || c === 43) {
      neg = c === 45;
      p++;
    }
    // Significant digits: the first 9 in `a`, the next 9 in `b`, a 19th in `c19` (int32 chains).
    let a = 0;
    let b = 0;
    let c19 = 0;
    let sig = 0;
    const intStart = p;
    for (; p < e; p++) {
      const d = buf[p]! - 48;
      if (d < 0 || d > 9) break;
      if (sig === 0 && d === 0) continue;
      if (sig < 9) a = a * 10 + d;
      else if (sig < 18) b = b * 10 + d;
      else c19 = d;
      sig++;
    }
    const nInt = p - intStart;
    let nFrac = 0;
    let comma = false;
    let hasExp = false;
    let ex = 0;
    if (p < e) {
      c = buf[p]!;
      if ((c === 46 || c === 44) && c !== delim) {
        if (c === th) {
          fallback = true;
          return NaN;
        }
        if (c === 44) {
          if (mode === 0) return NaN;
          comma = true;
        }
        p++;
        const fracStart = p;
        for (; p < e; p++) {
          const d = buf[p]! - 48;
          if (d < 0 || d > 9) break;
          if (sig === 0 && d === 0) continue;
          if (sig < 9) a = a * 10 + d;
          else if (sig < 18) b = b * 10 + d;
          else c19 = d;
          sig++;
        }
        nFrac = p - fracStart;
      }
    }
    if (p < e) {
      c = buf[p]!;
      if (c === 101 || c === 69) {
        p++;
        let eneg = false;
        if (p < e && (buf[p] === 45 || buf[p] === 43)) {
          eneg = buf[p] === 45;
          p++;
        }
        const e0 = p;
        for (; p < e; p++) {
          c = buf[p]!;
          if (c < 48 || c > 57) break;
          ex = ex * 10 + (c - 48);
          if (ex > 9999) {
            fallback = true;
            return NaN;
          }
        }
        if (p === e0) return NaN;
        if (eneg) ex = -ex;
        hasExp = true;
        if (p < e) c = buf[p]!;
      }
    }
    numStop = p;
    if (nInt + nFrac === 0) return NaN;
    if (comma && mode === 2 && (nInt === 0 || nFrac === 0 || hasExp)) return NaN;
    if (sig === 0) return neg ? -0 : 0;
    if (sig > 19 || (sig > 15 && nFrac === 0 && !hasExp)) {
      // Long mantissas, and long integers (ids beyond 2^53 stay text): the string rule decides.
      fallback = true;
      return NaN;
    }
    const q = ex - nFrac;
    if (q > 22 || q < -22) {
      fallback = true;
      return NaN;
    }
    let x: number;
    if (sig <= 15) {
      const H = sig <= 9 ? a : a * POW10[sig - 9]! + b;
      x = q === 0 ? H : q > 0 ? H * POW10[q]! : H / POW10[-q]!;
      return neg ? -x : x;
    }
    if (sig === 16) {
      // Sixteen digits below 2^53 (most shortest-form doubles of 16 digits) are an exact double
      // too: one correctly rounded operation (Clinger's fast path), as for 15.
      const H = a * 1e7 + b;
      if (H < 9007199254740992) {
        x = q === 0 ? H : q > 0 ? H * POW10[q]! : H / POW10[-q]!;
        return neg ? -x : x;
      }
    }
    // m = a·10^(sig−9) + rest exactly, as mh + ml.
    const P = POW10[sig - 9]!;
    const rest = sig <= 18 ? b : b * 10 + c19;
    const prod = a * P;
    const c2 = prodErr(a, P, prod) + rest;
    const mh = prod + c2;
    const ml = c2 - (mh - prod);
    let d: number;
    if (q === 0) return neg ? -mh : mh;
    if (q > 0) {
      const p10 = POW10[q]!;
      x = mh * p10;
      d = prodErr(mh, p10, x) + ml * p10;
    } else {
      // × 10^q as the double-double rh + rl (no division).
      const rh = RH[-q]!;
      x = mh * rh;
      d = prodErr(mh, rh, x) + (mh * RL[-q]! + ml * rh);
    }
    // x is within ~1.5 ulp of m·10^q and d ≈ m·10^q − x: step to the nearest double.
    for (let it = 0; it < 3; it++) {
      F[0] = x;
      const hi = U[1]!;
      const be = (hi >>> 20) & 0x7ff;
      if (be < 60 || be > 2000) break;
      U[3] = (be - 52) << 20;
      U[2] = 0;
      const up = F[1]!;
      const down = U[0] === 0 && (hi & 0xfffff) === 0 ? up / 2 : up;
      if (d >= 0) {
        const h = up / 2;
        if (d < h * (1 - EPS)) return neg ? -x : x;
        if (d <= h * (1 + EPS)) break;
        x += up;
        d -= up;
      } else {
        const h = down / 2;
        if (-d < h * (1 - EPS)) return neg ? -x : x;
        if (-d <= h * (1 + EPS)) break;
        x -= down;
        d += down;
      }
    }
    fallback = true;
    return NaN;
  }

  function newBuilder(forcedText: boolean): CsvCoreBuilder {
    return {
      text: forcedText,
      nums: forcedText ? new Float64Array(0) : new Float64Array(1024),
      codes: forcedText ? new Int32Array(1024) : new Int32Array(0),
      len: 0,
      missing: 0,
      converted: 0,
      labels: [],
      labelMap: new Map(),
      table: new Int32Array(0),
      eOff: new Int32Array(0),
      eLen: new Int32Array(0),
      eCode: new Int32Array(0),
      nEnt: 0,
      arena: new Uint8Array(0),
      arenaLen: 0,
    };
  }

  function grow(b: CsvCoreBuilder): void {
    if (b.text) {
      const next = new Int32Array(Math.max(1024, b.codes.length * 2));
      next.set(b.codes);
      b.codes = next;
    } else {
      const next = new Float64Array(Math.max(1024, b.nums.length * 2));
      next.set(b.nums);
      b.nums = next;
    }
  }

  function reserve(b: CsvCoreBuilder, n: number): void {
    if (b.text) {
      if (b.codes.length >= n) return;
      const next = new Int32Array(n);
      next.set(b.codes.subarray(0, b.len));
      b.codes = next;
    } else {
      if (b.nums.length >= n) return;
      const next = new Float64Array(n);
      next.set(b.nums.subarray(0, b.len));
      b.nums = next;
    }
  }

  function codeOf(b: CsvCoreBuilder, s: string): number {
    let c = b.labelMap.get(s);
    if (c === undefined) {
      c = b.labels.length;
      b.labels.push(s);
      b.labelMap.set(s, c);
    }
    return c;
  }

  function toDictionary(b: CsvCoreBuilder, upTo: number): void {
    const codes = new Int32Array(Math.max(1024, b.nums.length));
    for (let k = 0; k < upTo; k++) {
      const x = b.nums[k]!;
      if (Number.isNaN(x)) codes[k] = -1;
      else {
        codes[k] = codeOf(b, String(x));
        b.converted++;
      }
    }
    b.codes = codes;
    b.nums = new Float64Array(0);
    b.text = true;
  }

  /** The string path: exactly the original ColumnBuilder.push. */
  function pushString(b: CsvCoreBuilder, raw: string, cfg: CsvCoreConfig): void {
    if (b.len === (b.text ? b.codes.length : b.nums.length)) grow(b);
    const i = b.len++;
    if (raw === '' || MISSING.has(raw.trim())) {
      b.missing++;
      if (b.text) b.codes[i] = -1;
      else b.nums[i] = NaN;
      return;
    }
    if (!b.text) {
      const x = toNumber(raw, cfg);
      if (!Number.isNaN(x)) {
        b.nums[i] = x;
        return;
      }
      toDictionary(b, i);
    }
    b.codes[i] = codeOf(b, raw.trim());
  }

  function codeOfBytes(b: CsvCoreBuilder, buf: Uint8Array, s: number, e: number): number {
    const n = e - s;
    let h = 0x811c9dc5 | 0;
    for (let k = s; k < e; k++) h = Math.imul(h ^ buf[k]!, 0x01000193);
    if (b.nEnt * 2 >= b.table.length) rehash(b);
    const mask = b.table.length - 1;
    let slot = h & mask;
    for (;;) {
      const ent = b.table[slot]!;
      if (ent === 0) break;
      const k = ent - 1;
      if (b.eLen[k] === n) {
        const off = b.eOff[k]!;
        let same = true;
        for (let t = 0; t < n; t++) {
          if (b.arena[off + t] !== buf[s + t]) {
            same = false;
            break;
          }
        }
        if (same) return b.eCode[k]!;
      }
      slot = (slot + 1) & mask;
    }
    const code = codeOf(b, decode(buf, s, e));
    if (b.nEnt === b.eOff.length) {
      const m = Math.max(16, b.eOff.length * 2);
      const o = new Int32Array(m);
      o.set(b.eOff);
      b.eOff = o;
      const l = new Int32Array(m);
      l.set(b.eLen);
      b.eLen = l;
      const c = new Int32Array(m);
      c.set(b.eCode);
      b.eCode = c;
    }
    if (b.arenaLen + n > b.arena.length) {
      const a = new Uint8Array(Math.max(1024, (b.arenaLen + n) * 2));
      a.set(b.arena.subarray(0, b.arenaLen));
      b.arena = a;
    }
    b.arena.set(buf.subarray(s, e), b.arenaLen);
    const k = b.nEnt++;
    b.eOff[k] = b.arenaLen;
    b.eLen[k] = n;
    b.eCode[k] = code;
    b.arenaLen += n;
    b.table[slot] = k + 1;
    return code;
  }

  function rehash(b: CsvCoreBuilder): void {
    const size = Math.max(64, b.table.length * 2);
    const t = new Int32Array(size);
    const mask = size - 1;
    for (let k = 0; k < b.nEnt; k++) {
      let h = 0x811c9dc5 | 0;
      const off = b.eOff[k]!;
      for (let j = 0; j < b.eLen[k]!; j++) h = Math.imul(h ^ b.arena[off + j]!, 0x01000193);
      let slot = h & mask;
      while (t[slot] !== 0) slot = (slot + 1) & mask;
      t[slot] = k + 1;
    }
    b.table = t;
  }

  /** One field's bytes [s, e) into a column: same result as pushString(decoded text). */
  function pushBytes(b: CsvCoreBuilder, buf: Uint8Array, s0: number, e0: number, cfg: CsvCoreConfig): void {
    let s = s0;
    let e = e0;
    while (s < e && isWs(buf[s]!)) s++;
    while (e > s && isWs(buf[e - 1]!)) e--;
    if (s < e && (buf[s]! >= 128 || buf[e - 1]! >= 128)) {
      pushString(b, decode(buf, s0, e0), cfg);
      return;
    }
    if (b.len === (b.text ? b.codes.length : b.nums.length)) grow(b);
    const i = b.len++;
    const n = e - s;
    let miss = n === 0;
    if (n > 0 && n <= 4) {
      const c0 = buf[s]!;
      if (n === 1) miss = c0 === 46;
      else if (n === 2) miss = c0 === 78 && buf[s + 1] === 65;
      else if (n === 3) miss = (c0 === 78 && buf[s + 1] === 97 && buf[s + 2] === 78) || (c0 === 110 && buf[s + 1] === 97 && buf[s + 2] === 110);
      else
        miss =
          (c0 === 110 && buf[s + 1] === 117 && buf[s + 2] === 108 && buf[s + 3] === 108) ||
          (c0 === 78 && buf[s + 1] === 85 && buf[s + 2] === 76 && buf[s + 3] === 76);
    }
    if (miss) {
      b.missing++;
      if (b.text) b.codes[i] = -1;
      else b.nums[i] = NaN;
      return;
    }
    if (!b.text) {
      let x = fastNumber(buf, s, e, cfg);
      if (fallback) x = toNumber(decode(buf, s, e), cfg);
      if (!Number.isNaN(x)) {
        b.nums[i] = x;
        return;
      }
      toDictionary(b, i);
    }
    b.codes[i] = codeOfBytes(b, buf, s, e);
  }

  function finishBuilder(b: CsvCoreBuilder): CsvPartColumn {
    // Exactly filled (a column sized for the whole file): the array itself, no copy.
    return {
      text: b.text,
      nums: b.text ? null : b.nums.length === b.len ? b.nums : b.nums.slice(0, b.len),
      codes: b.text ? (b.codes.length === b.len ? b.codes : b.codes.slice(0, b.len)) : null,
      labels: b.labels,
      missing: b.missing,
      converted: b.converted,
      length: b.len,
    };
  }

  function newState(cfg: CsvCoreConfig, body: boolean): CsvCoreState {
    return {
      cfg,
      builders: body ? cfg.wanted.map((w, j) => (w ? newBuilder(cfg.forcedText[j] === true) : null)) : [],
      fs: new Int32Array(64),
      fe: new Int32Array(64),
      fsrc: new Uint8Array(64),
      nf: 0,
      term: false,
      scratch: new Uint8Array(1024),
      sl: 0,
      lineNo: 1,
      rowStartLine: 1,
      rowsRead: 0,
      rejectedCount: 0,
      rejected: [],
      err: '',
      errLine: 0,
      body,
      sized: false,
    };
  }

  function scratchPut(st: CsvCoreState, buf: Uint8Array, s: number, e: number, unquote: boolean): void {
    const need = st.sl + (e - s);
    if (need > st.scratch.length) {
      const next = new Uint8Array(Math.max(need * 2, 1024));
      next.set(st.scratch.subarray(0, st.sl));
      st.scratch = next;
    }
    if (!unquote) {
      st.scratch.set(buf.subarray(s, e), st.sl);
      st.sl += e - s;
      return;
    }
    for (let k = s; k < e; k++) {
      st.scratch[st.sl++] = buf[k]!;
      if (buf[k] === 34) k++; // "" → "
    }
  }

  /** UTF-16 length of bytes [s, e) (with "" counted once when `quoted`) exceeds maxField? */
  function tooLong(st: CsvCoreState, buf: Uint8Array, s: number, e: number, quoted: boolean): boolean {
    if (e - s <= st.cfg.maxField) return false;
    let text = decode(buf, s, e);
    if (quoted) text = text.split('""').join('"');
    return text.length > st.cfg.maxField;
  }

  function fail(st: CsvCoreState, kind: string): number {
    st.err = kind;
    st.errLine = st.rowStartLine;
    return -2;
  }

  /**
   * Scan one row from p: field ranges into st.fs/fe/fsrc. Returns the position after the row,
   * -1 if the row is not complete before `end` (more bytes needed; state unchanged), or -2 on
   * an error (st.err).
   */
  function scanRow(st: CsvCoreState, buf: Uint8Array, p: number, end: number, final: boolean): number {
    const d = st.cfg.delim;
    const hiSpecial = d > 13 ? d : 13;
    const line0 = st.lineNo;
    let nf = 0;
    st.sl = 0;
    for (;;) {
      if (nf === st.fs.length) {
        if (nf >= st.cfg.maxColumns) {
          st.lineNo = line0;
          return fail(st, 'columns');
        }
        const m = nf * 2;
        const a = new Int32Array(m);
        a.set(st.fs);
        st.fs = a;
        const b = new Int32Array(m);
        b.set(st.fe);
        st.fe = b;
        const c = new Uint8Array(m);
        c.set(st.fsrc);
        st.fsrc = c;
      }
      let fs: number;
      let fe: number;
      let src = 0;
      if (p < end && buf[p] === 34) {
        const cs = p + 1;
        let q = cs;
        let simple = true;
        for (;;) {
          while (q < end && buf[q] !== 34) {
            if (buf[q] === 10) st.lineNo++;
            q++;
          }
          if (q >= end) {
            if (tooLong(st, buf, cs, end, !simple)) {
              st.lineNo = line0;
              return fail(st, 'field');
            }
            st.lineNo = line0;
            if (!final) return -1;
            return fail(st, 'quote');
          }
          if (q + 1 < end && buf[q + 1] === 34) {
            simple = false;
            q += 2;
            continue;
          }
          if (q + 1 >= end && !final) {
            st.lineNo = line0;
            return -1;
          }
          break;
        }
        p = q + 1;
        if (p < end && buf[p] !== d && buf[p] !== 10 && buf[p] !== 13) {
          let t = p;
          while (t < end && buf[t] !== d && buf[t] !== 10 && buf[t] !== 13) t++;
          fs = st.sl;
          scratchPut(st, buf, cs, q, !simple);
          scratchPut(st, buf, p, t, false);
          fe = st.sl;
          src = 1;
          p = t;
        } else if (!simple) {
          fs = st.sl;
          scratchPut(st, buf, cs, q, true);
          fe = st.sl;
          src = 1;
        } else {
          fs = cs;
          fe = q;
        }
      } else {
        fs = p;
        while (p < end) {
          const c = buf[p]!;
          if (c > hiSpecial) {
            p++;
            continue;
          }
          if (c === d || c === 10 || c === 13) break;
          p++;
        }
        fe = p;
      }
      if (fe - fs > st.cfg.maxField && tooLong(st, src ? st.scratch : buf, fs, fe, false)) {
        st.lineNo = line0;
        return fail(st, 'field');
      }
      st.fs[nf] = fs;
      st.fe[nf] = fe;
      st.fsrc[nf] = src;
      nf++;
      if (p >= end) {
        if (!final) {
          st.lineNo = line0;
          return -1;
        }
        st.nf = nf;
        st.term = false;
        return end;
      }
      const c = buf[p]!;
      if (c === d) {
        p++;
        continue;
      }
      if (c === 13) {
        if (p + 1 < end) p += buf[p + 1] === 10 ? 2 : 1;
        else if (!final) {
          st.lineNo = line0;
          return -1;
        } else p++;
      } else p++;
      st.nf = nf;
      st.term = true;
      return p;
    }
  }

  /**
   * One plain row (no quotes, no surrounding spaces, exactly ncol fields, '\n'/'\r\n'/'\r' end)
   * scanned and stored in one pass: numbers converted as their field is found. Returns the
   * position after the row, or -1 (nothing stored; only dictionary entries the same row adds
   * anyway) when the row needs the general path (`scanRow` + `pushBytes`).
   */
  function fastRow(st: CsvCoreState, buf: Uint8Array, p: number, end: number): number {
    const cfg = st.cfg;
    const d = cfg.delim;
    const hi = d > 13 ? d : 13;
    const ncol = cfg.ncol;
    const maxField = cfg.maxField;
    const builders = st.builders;
    const missJ = st.fs; // columns counted missing in this row (undone on a bail-out)
    let nm = 0;
    let ok = true;
    for (let j = 0; j < ncol && ok; j++) {
      if (p >= end) {
        ok = false;
        break;
      }
      const c0 = buf[p]!;
      if (c0 === 34 || (j === 0 && (c0 === 10 || c0 === 13))) {
        ok = false;
        break;
      }
      const s = p;
      const b = builders[j];
      if (b && !b.text) {
        // A number read as the field is found; its end must be the field's end.
        const x = numberAt(buf, s, end, cfg);
        const t = numStop;
        // biome-ignore lint/suspicious/noSelfCompare: x === x is the NaN test in this hot loop (cheaper than Number.isNaN)
        if (!fallback && x === x && t < end && t - s <= maxField && (buf[t] === d || buf[t] === 10 || buf[t] === 13)) {
          if (b.len === b.nums.length) grow(b);
          b.nums[b.len] = x;
          p = t;
          if (j < ncol - 1) {
            if (buf[p] !== d) ok = false;
            else p++;
          } else if (buf[p] === 10) p++;
          else if (buf[p] === 13 && p + 1 < end) p += buf[p + 1] === 10 ? 2 : 1;
          else ok = false;
          continue;
        }
      }
      while (p < end) {
        const c = buf[p]!;
        if (c > hi) {
          p++;
          continue;
        }
        if (c === d || c === 10 || c === 13) break;
        p++;
      }
      const e = p;
      const n = e - s;
      if (p >= end || n > maxField) {
        ok = false;
        break;
      }
      if (b) {
        if (n > 0 && (isWs(buf[s]!) || isWs(buf[e - 1]!) || buf[s]! >= 128 || buf[e - 1]! >= 128)) {
          ok = false;
          break;
        }
        let miss = n === 0;
        if (n > 0 && n <= 4) {
          const a = buf[s]!;
          if (n === 1) miss = a === 46;
          else if (n === 2) miss = a === 78 && buf[s + 1] === 65;
          else if (n === 3) miss = (a === 78 && buf[s + 1] === 97 && buf[s + 2] === 78) || (a === 110 && buf[s + 1] === 97 && buf[s + 2] === 110);
          else
            miss =
              (a === 110 && buf[s + 1] === 117 && buf[s + 2] === 108 && buf[s + 3] === 108) ||
              (a === 78 && buf[s + 1] === 85 && buf[s + 2] === 76 && buf[s + 3] === 76);
        }
        if (b.text) {
          if (b.len === b.codes.length) grow(b);
          if (miss) {
            b.codes[b.len] = -1;
            b.missing++;
            missJ[nm++] = j;
          } else b.codes[b.len] = codeOfBytes(b, buf, s, e);
        } else {
          if (b.len === b.nums.length) grow(b);
          if (miss) {
            b.nums[b.len] = NaN;
            b.missing++;
            missJ[nm++] = j;
          } else {
            const x = fastNumber(buf, s, e, cfg);
            // biome-ignore lint/suspicious/noSelfCompare: x === x is the NaN test in this hot loop (cheaper than Number.isNaN)
            if (fallback || x !== x) {
              ok = false;
              break;
            }
            b.nums[b.len] = x;
          }
        }
      }
      const t = buf[p]!;
      if (j < ncol - 1) {
        if (t !== d) ok = false;
        else p++;
      } else if (t === 10) p++;
      else if (t === 13 && p + 1 < end) p += buf[p + 1] === 10 ? 2 : 1;
      else ok = false;
    }
    if (!ok) {
      for (let k = 0; k < nm; k++) builders[missJ[k]!]!.missing--;
      return -1;
    }
    for (let j = 0; j < ncol; j++) {
      const b = builders[j];
      if (b) b.len++;
    }
    return p;
  }

  /** The fields of the last scanned row as strings (for the header). */
  function rowStrings(st: CsvCoreState, buf: Uint8Array): string[] {
    const out: string[] = [];
    for (let j = 0; j < st.nf; j++) out.push(decode(st.fsrc[j] ? st.scratch : buf, st.fs[j]!, st.fe[j]!));
    return out;
  }

  /** True when the last scanned row is blank (one empty field). */
  function blankRow(st: CsvCoreState): boolean {
    return st.nf === 1 && st.fe[0] === st.fs[0];
  }

  /** Line bookkeeping after a scanned row; returns the row's first line. */
  function endRowLines(st: CsvCoreState): number {
    const line = st.rowStartLine;
    st.rowStartLine = st.lineNo + 1;
    if (st.term) st.lineNo++;
    return line;
  }

  /**
   * Parse data rows in [p, end) into the builders. Returns the position of the first byte not
   * consumed (the start of an incomplete row), or -2 on an error (st.err).
   */
  function parseRows(st: CsvCoreState, buf: Uint8Array, p: number, end: number, final: boolean): number {
    const cfg = st.cfg;
    const ncol = cfg.ncol;
    const builders = st.builders;
    const p0 = p;
    const rows0 = st.rowsRead;
    let reserved = false;
    // Thousands marks need the text rule; the one-pass row handles everything else it accepts.
    const fast = cfg.thousands < 0 && ncol <= st.fs.length;
    while (p < end) {
      if (!reserved && !st.sized && st.rowsRead - rows0 === 2048) {
        // Size the columns once from the bytes per row so far (no repeated doubling).
        reserved = true;
        const est = Math.ceil(((end - p0) / (p - p0)) * 2048 * 1.05) + 1024;
        for (const b of builders) if (b) reserve(b, b.len + est - 2048);
      }
      if (fast) {
        const q = fastRow(st, buf, p, end);
        if (q >= 0) {
          // endRowLines for a one-line row ended by a line break
          st.rowStartLine = st.lineNo + 1;
          st.lineNo++;
          p = q;
          st.rowsRead++;
          continue;
        }
      }
      const r = scanRow(st, buf, p, end, final);
      if (r === -1) return p;
      if (r === -2) return -2;
      const line = endRowLines(st);
      p = r;
      const nf = st.nf;
      if (nf === 1 && st.fe[0] === st.fs[0]) continue;
      if (nf !== ncol) {
        st.rejectedCount++;
        if (st.rejected.length < 20) st.rejected.push({ row: line, reason: `${nf} fields where the header has ${ncol}` });
        continue;
      }
      const fs = st.fs;
      const fe = st.fe;
      const fsrc = st.fsrc;
      for (let j = 0; j < ncol; j++) {
        const b = builders[j];
        if (!b) continue;
        pushBytes(b, fsrc[j] ? st.scratch : buf, fs[j]!, fe[j]!, cfg);
      }
      st.rowsRead++;
    }
    return p;
  }

  /**
   * Start a new part on the same state, keeping the columns' arrays (no fresh memory: the
   * worker threads parse part after part into the same arrays).
   */
  function resetPart(st: CsvCoreState, cfg: CsvCoreConfig): void {
    st.cfg = cfg;
    st.rowsRead = 0;
    st.rejectedCount = 0;
    st.rejected = [];
    st.err = '';
    st.lineNo = 1;
    st.rowStartLine = 1;
    st.sized = false;
    for (let j = 0; j < st.builders.length; j++) {
      const b = st.builders[j];
      if (!b) continue;
      const text = cfg.forcedText[j] === true;
      if (text && b.codes.length === 0) b.codes = new Int32Array(Math.max(1024, b.nums.length));
      if (!text && b.nums.length === 0) b.nums = new Float64Array(Math.max(1024, b.codes.length));
      b.text = text;
      b.len = 0;
      b.missing = 0;
      b.converted = 0;
      b.labels = [];
      b.labelMap = new Map();
      b.table.fill(0);
      b.nEnt = 0;
      b.arenaLen = 0;
    }
  }

  /** Size every column for `n` rows in all (the rows the file holds, when known in advance). */
  function reserveRows(st: CsvCoreState, n: number): void {
    for (const b of st.builders) if (b) reserve(b, n);
    st.sized = true;
  }

  /** The part's columns (exact length); then new empty builders (text from the start where `forcedText`). */
  function takePart(st: CsvCoreState, forcedText: readonly boolean[]): (CsvPartColumn | null)[] {
    const out = st.builders.map((b) => (b ? finishBuilder(b) : null));
    st.builders = st.cfg.wanted.map((w, j) => (w ? newBuilder(forcedText[j] === true) : null));
    return out;
  }

  return {
    newState,
    scanRow,
    rowStrings,
    blankRow,
    endRowLines,
    parseRows,
    reserveRows,
    resetPart,
    takePart,
    fastNumber,
    toNumber,
    fallbackUsed: () => fallback,
  };
}

type CsvCore = ReturnType<typeof csvCore>;
type CoreState = ReturnType<CsvCore['newState']>;

const SEGMENT_BYTES = 8 << 20;

/**
 * CSV from bytes into typed columns (browser safe): `push` Uint8Array chunks (UTF-8), then
 * `finish`. Same rules, results and errors as {@link CsvReader}, without a JS string per
 * field: numbers are converted from the bytes (exactly as `Number()` would), text fields are
 * looked up in a byte-keyed dictionary and decoded once per distinct value.
 */
export class CsvByteReader {
  private readonly core: CsvCore = csvCore();
  private delimiter: ',' | ';' | '\t' | '|' | null;
  private header: string[] | null = null;
  private cfg: CsvCoreConfig | null = null;
  private st: CoreState | null = null;
  private pending = new Uint8Array(0);
  private pendLen = 0;
  private started = false;
  private bytes = 0;
  private readonly parts: (CsvPartColumn | null)[][] = [];
  private textSeen: boolean[] = [];
  private rowsRead = 0;
  private rowsHint = 0;
  private takenRows = 0;

  private readonly decoder: TextDecoder | null;
  private readonly encoder: TextEncoder | null;

  constructor(private readonly options: CsvOptions = {}) {
    checkCsvOptions(options);
    this.delimiter = options.delimiter && options.delimiter !== 'auto' ? options.delimiter : null;
    const recode = options.encoding !== undefined && options.encoding !== 'utf-8';
    this.decoder = recode ? new TextDecoder(options.encoding) : null;
    this.encoder = recode ? new TextEncoder() : null;
  }

  /** Feed the next bytes (in the `encoding` option's encoding; UTF-8 by default). */
  push(chunk: Uint8Array): void {
    if (!this.started && chunk.length > 0) sniffCsvBytes(chunk, this.options.encoding);
    if (this.decoder) chunk = this.encoder!.encode(this.decoder.decode(chunk, { stream: true }));
    this.pushUtf8(chunk);
  }

  private pushUtf8(chunk: Uint8Array): void {
    if (!this.started) {
      if (chunk.length === 0) return;
      this.started = true;
      if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
    }
    this.bytes += chunk.length;
    if (this.pendLen + chunk.length > this.pending.length) {
      const next = new Uint8Array(Math.max(this.pendLen + chunk.length, Math.min(this.pending.length * 2, this.pendLen + chunk.length + SEGMENT_BYTES)));
      next.set(this.pending.subarray(0, this.pendLen));
      this.pending = next;
    }
    this.pending.set(chunk, this.pendLen);
    this.pendLen += chunk.length;
    if (this.delimiter === null) {
      let nl = -1;
      for (let k = 0; k < this.pendLen; k++) {
        const c = this.pending[k]!;
        if (c === 10 || c === 13) {
          nl = k;
          break;
        }
      }
      if (nl < 0 && this.pendLen < 1 << 20) return;
      this.delimiter = detectDelimiter(new TextDecoder().decode(this.pending.subarray(0, nl < 0 ? this.pendLen : nl)));
    }
    if (this.pendLen >= SEGMENT_BYTES) this.process(false);
  }

  /**
   * The number of data rows the input holds, when the caller knows it (the file reader counts
   * line ends first): the columns are then allocated once at that size and filled in place (no
   * parts to join). Only a capacity: a wrong hint gives the same table, a little slower.
   */
  sizeHint(rows: number): void {
    this.rowsHint = rows > 0 ? Math.floor(rows) : 0;
  }

  /** Byte count fed so far (after a BOM). */
  get bytesRead(): number {
    return this.bytes;
  }

  /**
   * Parse the header from `buf` (after any BOM) if it is complete there: the offset where data
   * rows begin, or -1. For the parallel file reader; throws the header errors.
   */
  readHeader(buf: Uint8Array, start: number, end: number, final: boolean): number {
    if (this.delimiter === null) {
      let nl = end;
      for (let k = start; k < end; k++) {
        if (buf[k] === 10 || buf[k] === 13) {
          nl = k;
          break;
        }
      }
      if (nl === end && !final && end - start < 1 << 20) return -1;
      this.delimiter = detectDelimiter(new TextDecoder().decode(buf.subarray(start, nl)));
    }
    const r = this.parseHeader(buf, start, end, final);
    if (r < 0) {
      // Not complete: forget the partial state.
      this.st = null;
      return -1;
    }
    return r;
  }

  /** The settings for parsing data rows (after the header), with the current text columns. */
  config(): CsvCoreConfig {
    return { ...this.cfg!, forcedText: this.textSeen.slice() };
  }

  /**
   * Add a part parsed elsewhere (a worker), in file order. False when the part parsed a column
   * as numbers that earlier parts already made text (or the reverse order of conversion): parse
   * it again with `config()` (which forces those columns to text) and add that.
   */
  addPart(cols: readonly (CsvPartColumn | null)[], rowsRead: number): boolean {
    for (let j = 0; j < cols.length; j++) {
      const c = cols[j];
      if (!c || !this.textSeen[j]) continue;
      if (c.text ? c.converted > 0 : c.length - c.missing > 0) return false;
    }
    cols.forEach((c, j) => {
      if (c?.text) this.textSeen[j] = true;
    });
    this.parts.push(cols.slice());
    this.rowsRead += rowsRead;
    return true;
  }

  /** Parse complete rows of [start, end) here, as one part (the reparse of a rejected part). */
  parsePart(buf: Uint8Array, start: number, end: number): { cols: (CsvPartColumn | null)[]; rowsRead: number; consumed: number; ok: boolean } {
    const st = this.core.newState(this.config(), true);
    const r = this.core.parseRows(st, buf, start, end, true);
    const ok = r === end && st.rejectedCount === 0;
    return { cols: this.core.takePart(st, []), rowsRead: st.rowsRead, consumed: r, ok };
  }

  private parseHeader(buf: Uint8Array, p: number, end: number, final: boolean): number {
    if (!this.st) {
      this.st = this.core.newState(
        {
          delim: this.delimiter!.charCodeAt(0),
          ncol: 0,
          wanted: [],
          thousands: -1,
          mode: 0,
          maxField: this.options.maxFieldChars ?? 1_000_000,
          maxColumns: this.options.maxColumns ?? 100_000,
          forcedText: [],
        },
        false,
      );
    }
    const st = this.st;
    while (p < end) {
      const r = this.core.scanRow(st, buf, p, end, final);
      if (r === -1) {
        this.st = null;
        return -1;
      }
      if (r === -2) this.throwError(st);
      this.core.endRowLines(st);
      p = r;
      if (this.core.blankRow(st)) continue;
      this.setHeader(this.core.rowStrings(st, buf));
      // Carry the line count into the body state.
      const body = this.core.newState(this.config(), true);
      body.lineNo = st.lineNo;
      body.rowStartLine = st.rowStartLine;
      this.st = body;
      return p;
    }
    if (!final) this.st = null;
    return final ? p : -1;
  }

  private setHeader(row: string[]): void {
    const names = row.map((s) => s.trim());
    const problems = headerProblems(names, this.options.maxColumns ?? 100_000);
    if (problems.length) throw new CounterfactError(problems);
    const seen = new Set(names);
    const wanted = this.options.columns ? new Set(this.options.columns) : null;
    if (wanted) {
      const missing = [...wanted].filter((c) => !seen.has(c));
      if (missing.length) {
        throw new CounterfactError({
          code: 'unknown_column',
          column: missing[0],
          message: `column(s) ${missing.map((c) => showName(c)).join(', ')} not in the file's header (${names
            .slice(0, 12)
            .map((c) => plainName(c))
            .join(', ')}${names.length > 12 ? ', …' : ''})`,
        });
      }
    }
    this.header = names;
    const comma = this.options.decimal === ',';
    const auto = (this.options.decimal ?? 'auto') === 'auto' && this.delimiter !== ',';
    this.cfg = {
      delim: this.delimiter!.charCodeAt(0),
      ncol: names.length,
      wanted: names.map((name) => !wanted || wanted.has(name)),
      thousands: this.options.thousands ? this.options.thousands.charCodeAt(0) : -1,
      mode: comma ? 1 : auto ? 2 : 0,
      maxField: this.options.maxFieldChars ?? 1_000_000,
      maxColumns: this.options.maxColumns ?? 100_000,
      forcedText: [],
    };
    const text = new Set(this.options.text ?? []);
    this.textSeen = names.map((name) => text.has(name));
  }

  private throwError(st: CoreState): never {
    if (st.err === 'columns') {
      const max = this.options.maxColumns ?? 100_000;
      throw new CounterfactError({
        code: 'bad_file',
        message: `line ${st.errLine} has more than ${max.toLocaleString('en')} fields (a binary file, or the wrong delimiter?): check the file and --delimiter, or raise maxColumns`,
      });
    }
    if (st.err === 'field') {
      const max = this.options.maxFieldChars ?? 1_000_000;
      throw new CounterfactError({
        code: 'bad_file',
        message: `a field on line ${st.errLine} is longer than ${max.toLocaleString('en')} characters (an unclosed quote, or a binary file?): fix the file, or raise maxFieldChars`,
      });
    }
    throw new CounterfactError({
      code: 'bad_file',
      message: `a quoted field starting on line ${st.errLine} is never closed: add the closing quote (")`,
    });
  }

  private process(final: boolean): void {
    const buf = this.pending;
    let p = 0;
    const end = this.pendLen;
    if (!this.header) {
      const r = this.parseHeader(buf, 0, end, final);
      if (r < 0) return;
      p = r;
    }
    const st = this.st!;
    if (this.rowsHint > 0 && !st.sized) this.core.reserveRows(st, this.rowsHint);
    const r = this.core.parseRows(st, buf, p, end, final);
    if (r === -2) this.throwError(st);
    // With a size hint the columns are one part, taken at the end; otherwise one part per call.
    if ((this.rowsHint === 0 || final) && st.rowsRead > this.takenRows) {
      this.takenRows = st.rowsRead;
      const cols = this.core.takePart(st, []);
      cols.forEach((c, j) => {
        if (c?.text) this.textSeen[j] = true;
      });
      this.parts.push(cols);
      // Columns already text start the next part as text (as one continuous parse would).
      this.core.takePart(st, this.textSeen);
    }
    buf.copyWithin(0, r, end);
    this.pendLen = end - r;
  }

  /** Finish parsing: the table and a report. Throws for empty files, header-only files and ragged rows. */
  finish(): { table: Table; report: IngestReport } {
    if (this.decoder) {
      const rest = this.decoder.decode();
      if (rest) this.pushUtf8(this.encoder!.encode(rest));
    }
    if (this.delimiter === null) {
      this.delimiter = detectDelimiter(new TextDecoder().decode(this.pending.subarray(0, this.pendLen)));
    }
    this.process(true);
    return this.finishWith(this.st?.rejectedCount ?? 0, this.st?.rejected ?? []);
  }

  /**
   * The table from columns assembled by the caller (the parallel file reader): `columnOf(j)`
   * for each wanted header column j, `rowsRead` rows in all. Throws as `finish` for no data.
   */
  finishColumns(rowsRead: number, columnOf: (j: number) => { column: Column; missing: number }): { table: Table; report: IngestReport } {
    this.checkRows(0, [], rowsRead);
    return this.assemble(rowsRead, 0, [], columnOf);
  }

  private checkRows(rejectedCount: number, rejected: readonly { row: number; reason: string }[], rowsRead: number): void {
    if (!this.header) throw new CounterfactError({ code: 'empty_data', message: 'the file is empty: expected a header line and data rows' });
    if (rejectedCount > 0) {
      const first = rejected
        .slice(0, 5)
        .map((r) => `line ${r.row}: ${r.reason}`)
        .join('; ');
      throw new CounterfactError({
        code: 'ragged_row',
        count: rejectedCount,
        message: `${rejectedCount} row(s) have the wrong number of fields (${first}${rejectedCount > 5 ? '; …' : ''}): check the delimiter (detected ${JSON.stringify(this.delimiter)}; set it with --delimiter) and quoting`,
      });
    }
    if (rowsRead === 0) {
      throw new CounterfactError({
        code: 'empty_data',
        message: `the file has a header (${this.header
          .slice(0, 8)
          .map((c) => plainName(c))
          .join(', ')}${this.header.length > 8 ? ', …' : ''}) but no data rows`,
      });
    }
  }

  private assemble(
    rowsRead: number,
    rejectedCount: number,
    rejected: readonly { row: number; reason: string }[],
    columnOf: (j: number) => { column: Column; missing: number },
  ): { table: Table; report: IngestReport } {
    const names: string[] = [];
    const columns = columnRecord<Column>();
    const info: { name: string; kind: 'numeric' | 'categorical'; missing: number }[] = [];
    const cfg = this.cfg!;
    const text = new Set(this.options.text ?? []);
    const checkUtf8 = this.options.encoding === undefined;
    const isPlain = (s: string) => !Number.isNaN(this.core.toNumber(s, cfg));
    this.header!.forEach((name, j) => {
      if (!cfg.wanted[j]) return;
      let { column, missing } = columnOf(j);
      if (column.kind === 'categorical')
        column = text.has(name) ? finishText(name, column, () => true, checkUtf8) : finishText(name, column, isPlain, checkUtf8);
      names.push(name);
      columns[name] = column;
      info.push({ name, kind: column.kind, missing });
    });
    return {
      table: { nRows: rowsRead, names, columns },
      report: { rowsRead, rowsRejected: rejectedCount, rejected, bytes: this.bytes, delimiter: this.delimiter!, columns: info },
    };
  }

  /** Assemble the parts (`rejected`: ragged rows found by the caller). */
  finishWith(rejectedCount: number, rejected: readonly { row: number; reason: string }[]): { table: Table; report: IngestReport } {
    const rowsRead = this.rowsRead + (this.st && this.st.body ? this.st.rowsRead : 0);
    this.checkRows(rejectedCount, rejected, rowsRead);
    return this.assemble(rowsRead, rejectedCount, rejected, (j) => {
      const pieces = this.parts.map((cols) => cols[j]!);
      for (const cols of this.parts) cols[j] = null; // let each piece go once merged
      return mergeColumn(pieces, rowsRead);
    });
  }
}

/** Concatenate one column's parts; text labels merged and sorted in code-point order. */
function mergeColumn(pieces: readonly CsvPartColumn[], n: number): { column: Column; missing: number } {
  let missing = 0;
  for (const p of pieces) missing += p.missing;
  if (!pieces.some((p) => p.text)) {
    if (pieces.length === 1 && pieces[0]!.nums!.length === n) return { column: { kind: 'numeric', values: pieces[0]!.nums! }, missing };
    const values = new Float64Array(n);
    let at = 0;
    for (const p of pieces) {
      values.set(p.nums!, at);
      at += p.length;
    }
    return { column: { kind: 'numeric', values }, missing };
  }
  if (pieces.length === 1 && pieces[0]!.codes!.length === n) {
    // One text part that owns an exactly sized array: its (distinct) labels sorted, codes remapped in place.
    const p = pieces[0]!;
    const order = p.labels.map((_, k) => k).sort((a, b) => compareCodePoints(p.labels[a]!, p.labels[b]!));
    const remap = new Int32Array(order.length);
    order.forEach((old, k) => {
      remap[old] = k;
    });
    const codes = p.codes!;
    for (let i = 0; i < n; i++) {
      const c = codes[i]!;
      if (c >= 0) codes[i] = remap[c]!;
    }
    return { column: { kind: 'categorical', codes, levels: order.map((k) => p.labels[k]!) }, missing };
  }
  const labels: string[] = [];
  const index = new Map<string, number>();
  const codeOf = (s: string): number => {
    let c = index.get(s);
    if (c === undefined) {
      c = labels.length;
      labels.push(s);
      index.set(s, c);
    }
    return c;
  };
  const codes = new Int32Array(n);
  let at = 0;
  for (const p of pieces) {
    if (p.text) {
      const remap = p.labels.map(codeOf);
      const pc = p.codes!;
      for (let i = 0; i < p.length; i++) {
        const c = pc[i]!;
        codes[at + i] = c < 0 ? -1 : remap[c]!;
      }
    } else {
      // Numbers before the column's first text value: labelled as String(x), as the string parser does.
      const v = p.nums!;
      for (let i = 0; i < p.length; i++) {
        const x = v[i]!;
        codes[at + i] = Number.isNaN(x) ? -1 : codeOf(String(x));
      }
    }
    at += p.length;
  }
  const order = labels.map((_, k) => k).sort((a, b) => compareCodePoints(labels[a]!, labels[b]!));
  const remap = new Int32Array(order.length);
  order.forEach((old, k) => {
    remap[old] = k;
  });
  for (let i = 0; i < n; i++) {
    const c = codes[i]!;
    if (c >= 0) codes[i] = remap[c]!;
  }
  return { column: { kind: 'categorical', codes, levels: order.map((k) => labels[k]!) }, missing };
}
