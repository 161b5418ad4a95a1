/**
 * CSV straight into typed columns: one state machine, fed whole strings (`parseCsv`, browser
 * safe) or chunk by chunk (the streaming file reader in `src/io`). No array of row objects is
 * ever built: numeric columns grow as Float64Array, text columns as dictionary codes.
 */
import type { Column, Table } from './table.js';
import { compareCodePoints, isMissingString } from './table.js';
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
}

export interface IngestReport {
  readonly rowsRead: number;
  readonly rowsRejected: number;
  readonly rejected: readonly { readonly row: number; readonly reason: string }[];
  readonly bytes: number;
  readonly delimiter: string;
  readonly columns: readonly { readonly name: string; readonly kind: 'numeric' | 'categorical'; readonly missing: number }[];
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
  ) {}

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
    return Number(s);
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
 * Incremental CSV parser: `push` text chunks, then `finish`. RFC 4180 quoting ("" escapes,
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
    const problems: Problem[] = [];
    const seen = new Map<string, number>();
    names.forEach((name, j) => {
      if (name === '') {
        problems.push({ code: 'bad_file', message: `column ${j + 1} of the header has no name: name every column` });
      } else if (seen.has(name)) {
        problems.push({
          code: 'duplicate_column',
          column: name,
          message: `column name \`${name}\` appears twice in the header (columns ${seen.get(name)! + 1} and ${j + 1}): rename one of them`,
        });
      } else seen.set(name, j);
    });
    if (problems.length) throw new CounterfactError(problems);
    const wanted = this.options.columns ? new Set(this.options.columns) : null;
    if (wanted) {
      const missing = [...wanted].filter((c) => !seen.has(c));
      if (missing.length) {
        throw new CounterfactError({
          code: 'unknown_column',
          column: missing[0],
          message: `column(s) ${missing.map((c) => `\`${c}\``).join(', ')} not in the file's header (${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''})`,
        });
      }
    }
    this.header = names;
    const comma = this.options.decimal === ',';
    const auto = (this.options.decimal ?? 'auto') === 'auto' && this.delimiter !== ',';
    this.builders = names.map((name) => (!wanted || wanted.has(name) ? new ColumnBuilder(comma, auto, this.options.thousands) : null));
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
      const first = this.rejected.slice(0, 5).map((r) => `line ${r.row}: ${r.reason}`).join('; ');
      throw new CounterfactError({
        code: 'ragged_row',
        count: this.rejectedCount,
        message: `${this.rejectedCount} row(s) have the wrong number of fields (${first}${this.rejectedCount > 5 ? '; …' : ''}): check the delimiter (detected ${JSON.stringify(this.delimiter)}; set it with --delimiter) and quoting`,
      });
    }
    if (this.rowsRead === 0) {
      throw new CounterfactError({ code: 'empty_data', message: `the file has a header (${this.header.slice(0, 8).join(', ')}) but no data rows` });
    }
    const names: string[] = [];
    const columns: Record<string, Column> = {};
    const info: { name: string; kind: 'numeric' | 'categorical'; missing: number }[] = [];
    this.header.forEach((name, j) => {
      const b = this.builders[j];
      if (!b) return;
      const col = b.finish();
      names.push(name);
      columns[name] = col;
      info.push({ name, kind: col.kind, missing: b.missing });
    });
    return {
      table: { nRows: this.rowsRead, names, columns },
      report: { rowsRead: this.rowsRead, rowsRejected: this.rejectedCount, rejected: this.rejected, bytes: this.bytes, delimiter: this.delimiter, columns: info },
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
 * Parse CSV text into a Table (browser-safe).
 * Numeric columns: every non-missing value is a number; others are categorical (levels in
 * code-point order). Missing: empty, NA, NaN, null, NULL, ".".
 * Cost: O(characters).
 * @throws CounterfactError: empty file, header only, duplicated or empty column names, ragged
 *   rows (line numbers), an unclosed quote, a field over `maxFieldChars`.
 * @example
 * parseCsv('id;age;wage\n1;30;1,5\n2;41;2,25').table.columns.wage // numeric [1.5, 2.25]
 */
export function parseCsv(text: string, options: CsvOptions = {}): { table: Table; report: IngestReport } {
  const reader = new CsvReader(options);
  reader.push(text);
  return reader.finish();
}
