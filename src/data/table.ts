/**
 * Columnar tables: named typed-array columns. Numeric columns are `Float64Array` with NaN for
 * missing; categorical columns are dictionary-encoded (`Int32Array` codes into sorted `levels`,
 * -1 for missing). No per-row objects; a row selection is an index array, never a copy of rows.
 */
import { CounterfactError, describeRows } from '../problems.js';

export interface NumericColumn {
  readonly kind: 'numeric';
  /** Values; NaN marks a missing value. */
  readonly values: Float64Array;
}

export interface CategoricalColumn {
  readonly kind: 'categorical';
  /** Index into `levels`; -1 marks a missing value. */
  readonly codes: Int32Array;
  /** Distinct labels in sorted (code-point) order; the first is the reference level. */
  readonly levels: readonly string[];
  /**
   * Set by the readers when a text column is mostly numbers (see {@link typeCheckText}): using
   * it as a number or as a covariate not declared categorical is refused, naming these values.
   */
  readonly nearNumeric?: NearNumeric;
}

/** A text column that is numeric but for some values (what the readers found). */
export interface NearNumeric {
  /** Non-missing values that read as numbers (plain or in another notation). */
  readonly numeric: number;
  /** Non-missing values in all. */
  readonly nonMissing: number;
  /** Values that are not plain numbers, in row order (at most 5), with their line or row number. */
  readonly offending: readonly { readonly value: string; readonly at: number }[];
  /** How many non-missing values are not plain numbers. */
  readonly offendingCount: number;
  /** 'line': spreadsheet line numbers (header = line 1); 'row': row numbers (first row = 1). */
  readonly unit: 'line' | 'row';
  /** Notations met: 'decimal comma', 'thousands', 'percent', 'currency', 'hex', 'text'. */
  readonly notations: readonly string[];
}

export type Column = NumericColumn | CategoricalColumn;

/** An immutable columnar table. */
export interface Table {
  readonly nRows: number;
  /** Column names in input order. */
  readonly names: readonly string[];
  readonly columns: Readonly<Record<string, Column>>;
}

/** What `toTable` accepts: a Table, an object of columns, an array of row objects, or an arquero table. */
export type TableInput =
  | Table
  | Readonly<Record<string, ArrayLike<unknown>>>
  | readonly Record<string, unknown>[]
  | { columnNames(): string[]; array(name: string): ArrayLike<unknown>; numRows(): number };

const MISSING_STRINGS = new Set(['', 'NA', 'NaN', 'nan', 'null', 'NULL', '.']);

/** True for the strings read as missing: empty, NA, NaN, null, NULL, "." (Stata). */
export function isMissingString(s: string): boolean {
  return MISSING_STRINGS.has(s.trim());
}

export function isTable(x: unknown): x is Table {
  return typeof x === 'object' && x !== null && 'nRows' in x && 'names' in x && 'columns' in x && Array.isArray((x as Table).names);
}

/**
 * Turn any accepted input into a {@link Table}.
 * Numbers and booleans become numeric columns; strings become numeric when every non-missing
 * value parses as a number, otherwise categorical. `null`, `undefined` and the strings in
 * {@link isMissingString} are missing.
 * Cost: O(rows × columns).
 * @throws CounterfactError `bad_argument` for ragged columns or an unsupported input.
 * @example
 * const t = toTable({ treat: [1, 0, 0], age: [30, 41, 25], region: ['N', 'S', 'N'] });
 * t.columns.region; // { kind: 'categorical', codes: Int32Array [0, 1, 0], levels: ['N', 'S'] }
 */
export function toTable(input: TableInput): Table {
  if (isTable(input)) return input;
  if (Array.isArray(input)) return fromRows(input as readonly Record<string, unknown>[]);
  const maybeArquero = input as { columnNames?: unknown; array?: unknown; numRows?: unknown };
  if (typeof maybeArquero.columnNames === 'function' && typeof maybeArquero.array === 'function') {
    const aq = input as { columnNames(): string[]; array(name: string): ArrayLike<unknown> };
    const cols = columnRecord<ArrayLike<unknown>>();
    for (const name of aq.columnNames()) cols[name] = aq.array(name);
    return fromColumns(cols);
  }
  if (typeof input === 'object' && input !== null) {
    return fromColumns(input as Record<string, ArrayLike<unknown>>);
  }
  throw new CounterfactError({
    code: 'bad_argument',
    column: 'data',
    message: 'data must be a table: an object of equal-length columns, an array of row objects, or an arquero table',
  });
}

/**
 * An empty object without a prototype, for columns keyed by name: a column called
 * `__proto__`, `constructor` or `toString` is an ordinary own key there, never Object's.
 */
export function columnRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** The value of an own key (never one inherited from Object.prototype), or undefined. */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Build a table from an array of row objects (keys of the first row, plus any later keys). */
export function fromRows(rows: readonly Record<string, unknown>[]): Table {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const k of Object.keys(row)) {
      if (!seen.has(k)) {
        seen.add(k);
        names.push(k);
      }
    }
  }
  const cols = columnRecord<unknown[]>();
  for (const name of names) {
    const a = new Array<unknown>(rows.length);
    for (let i = 0; i < rows.length; i++) a[i] = ownValue(rows[i]!, name);
    cols[name] = a;
  }
  return fromColumns(cols);
}

/** Build a table from named columns of equal length. */
export function fromColumns(cols: Readonly<Record<string, ArrayLike<unknown>>>): Table {
  const names = Object.keys(cols);
  if (names.length === 0) return { nRows: 0, names: [], columns: columnRecord<Column>() };
  const n = cols[names[0]!]!.length;
  const bad = names.filter((k) => cols[k]!.length !== n);
  if (bad.length > 0) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: bad[0]!,
      message: `column \`${bad[0]}\` has ${cols[bad[0]!]!.length} values but \`${names[0]}\` has ${n}: all columns must have the same length`,
    });
  }
  const columns = columnRecord<Column>();
  for (const name of names) columns[name] = toColumn(cols[name]!);
  return { nRows: n, names, columns };
}

/** Convert one array of values into a column (see {@link toTable} for the rules). */
export function toColumn(values: ArrayLike<unknown>): Column {
  if (values instanceof Float64Array) return { kind: 'numeric', values };
  if (ArrayBuffer.isView(values)) {
    return { kind: 'numeric', values: Float64Array.from(values as ArrayLike<number>) };
  }
  const n = values.length;
  const out = new Float64Array(n);
  let allNumeric = true;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) out[i] = NaN;
    else if (typeof v === 'number') out[i] = v;
    else if (typeof v === 'boolean') out[i] = v ? 1 : 0;
    else if (typeof v === 'bigint') {
      // An int64 beyond 2^53 (a long id) cannot be held exactly as a number: the column is text.
      if (v > 9007199254740991n || v < -9007199254740991n) {
        allNumeric = false;
        break;
      }
      out[i] = Number(v);
    } else if (v instanceof Date) out[i] = v.getTime();
    else {
      const s = String(v);
      if (isMissingString(s)) out[i] = NaN;
      else {
        const x = parseNumber(s);
        if (Number.isNaN(x) || (Math.abs(x) > Number.MAX_SAFE_INTEGER && /^\s*[+-]?\d+\s*$/.test(s))) {
          allNumeric = false;
          break;
        }
        out[i] = x;
      }
    }
  }
  if (allNumeric) return { kind: 'numeric', values: out };
  return typeCheckText(categoricalFromStrings(values), (s) => !Number.isNaN(parseNumber(s)), 'row');
}

/** Parse a plain number ("12", "-3.5e2", "Inf"); NaN if it is not one. */
export function parseNumber(s: string): number {
  const t = s.trim();
  if (t === '') return NaN;
  if (t === 'Inf' || t === 'inf' || t === 'Infinity') return Infinity;
  if (t === '-Inf' || t === '-inf' || t === '-Infinity') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return NaN;
  return Number(t);
}

function categoricalFromStrings(values: ArrayLike<unknown>): CategoricalColumn {
  const n = values.length;
  const labels: (string | null)[] = new Array(n);
  const set = new Set<string>();
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) labels[i] = null;
    else {
      const s = String(v);
      if (isMissingString(s)) labels[i] = null;
      else {
        labels[i] = s;
        set.add(s);
      }
    }
  }
  const levels = [...set].sort(compareCodePoints);
  const index = new Map(levels.map((l, i) => [l, i]));
  const codes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    codes[i] = l === null ? -1 : index.get(l)!;
  }
  return { kind: 'categorical', codes, levels };
}

/** Code-point order (locale independent, so results never depend on the machine). */
export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Re-encode a numeric column as categorical (levels sorted numerically, as R's `factor`). */
export function numericAsCategorical(col: NumericColumn): CategoricalColumn {
  const distinct = [...new Set(Array.from(col.values).filter((v) => !Number.isNaN(v)))].sort((a, b) => a - b);
  const index = new Map(distinct.map((v, i) => [v, i]));
  const codes = new Int32Array(col.values.length);
  for (let i = 0; i < codes.length; i++) {
    const v = col.values[i]!;
    codes[i] = Number.isNaN(v) ? -1 : index.get(v)!;
  }
  return { kind: 'categorical', codes, levels: distinct.map((v) => String(v)) };
}

/** Closest names (edit distance ≤ 3 or case-insensitive match), for "did you mean" hints. */
export function suggestNames(name: string, names: readonly string[]): string[] {
  const lower = name.toLowerCase();
  const scored = names
    .map((c) => ({ c, d: c.toLowerCase() === lower ? 0 : editDistance(lower, c.toLowerCase()) }))
    .filter((x) => x.d <= (name.length <= 3 ? 1 : name.length <= 8 ? 2 : 3))
    .sort((a, b) => a.d - b.d);
  return scored.slice(0, 3).map((x) => x.c);
}

function editDistance(a: string, b: string): number {
  const prev = new Array(b.length + 1).fill(0).map((_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The problem for a column that is not in the table, with a "did you mean" hint. */
export function unknownColumnProblem(table: Table, name: string, role: string) {
  const hint = suggestNames(name, table.names);
  const shown = table.names
    .slice(0, 12)
    .map((c) => showName(c))
    .join(', ');
  return {
    code: 'unknown_column' as const,
    column: name,
    message:
      `${role} column ${showName(name)} is not in the data` +
      (hint.length ? `; did you mean ${hint.map((h) => showName(h)).join(' or ')}?` : '.') +
      ` Columns are: ${shown}${table.names.length > 12 ? ', …' : ''}`,
  };
}

/** Get a column or throw `unknown_column` naming the role ("covariate", "outcome", …). */
export function getColumn(table: Table, name: string, role = 'the'): Column {
  const c = ownValue(table.columns, name);
  if (!c) throw new CounterfactError(unknownColumnProblem(table, name, role));
  return c;
}

/**
 * Get a numeric column, or throw naming the column: categorical where a number was expected,
 * or missing / non-finite values (with the first rows) unless `allowMissing`.
 */
export function getNumeric(table: Table, name: string, role = 'the', allowMissing = false): Float64Array {
  const c = getColumn(table, name, role);
  if (c.kind !== 'numeric') {
    if (c.nearNumeric) throw new CounterfactError(nearNumericProblem(name, role, c.nearNumeric, false));
    throw new CounterfactError({
      code: 'non_numeric',
      column: name,
      message: `${role} column \`${name}\` must be numeric but holds text (e.g. ${showValue(c.levels[0] ?? '')}): recode it as numbers`,
    });
  }
  if (!allowMissing) {
    const rows: number[] = [];
    let count = 0;
    let nonFinite = 0;
    for (let i = 0; i < c.values.length; i++) {
      const v = c.values[i]!;
      if (!Number.isFinite(v)) {
        count++;
        if (!Number.isNaN(v)) nonFinite++;
        if (rows.length < 5) rows.push(i);
      }
    }
    if (count > 0) {
      throw new CounterfactError({
        code: nonFinite === count ? 'non_finite' : 'missing_values',
        column: name,
        rows,
        count,
        message:
          nonFinite === count
            ? `${role} column \`${name}\` has ${count} infinite values (${describeRows(rows, count)}): fix or drop those rows`
            : `${role} column \`${name}\` has ${count} missing or non-finite values (${describeRows(rows, count)}): impute or drop those rows`,
      });
    }
  }
  return c.values;
}

/** Labels of a column as strings (numbers formatted as in JSON), missing as null. */
export function columnLabels(col: Column): (string | null)[] {
  const out: (string | null)[] = new Array(col.kind === 'numeric' ? col.values.length : col.codes.length);
  if (col.kind === 'numeric') {
    for (let i = 0; i < out.length; i++) out[i] = Number.isNaN(col.values[i]!) ? null : String(col.values[i]);
  } else {
    for (let i = 0; i < out.length; i++) out[i] = col.codes[i]! < 0 ? null : col.levels[col.codes[i]!]!;
  }
  return out;
}

/** A new table with only the rows at `index` (in that order). */
export function takeRows(table: Table, index: ArrayLike<number>): Table {
  const columns = columnRecord<Column>();
  const m = index.length;
  for (const name of table.names) {
    const c = table.columns[name]!;
    if (c.kind === 'numeric') {
      const v = new Float64Array(m);
      for (let i = 0; i < m; i++) v[i] = c.values[index[i]!]!;
      columns[name] = { kind: 'numeric', values: v };
    } else {
      const v = new Int32Array(m);
      for (let i = 0; i < m; i++) v[i] = c.codes[index[i]!]!;
      columns[name] = { kind: 'categorical', codes: v, levels: c.levels };
    }
  }
  return { nRows: m, names: table.names, columns };
}

/** A new table with one column added or replaced. */
export function withColumn(table: Table, name: string, values: ArrayLike<unknown> | Column): Table {
  const col = typeof values === 'object' && values !== null && 'kind' in values ? (values as Column) : toColumn(values as ArrayLike<unknown>);
  const len = col.kind === 'numeric' ? col.values.length : col.codes.length;
  if (len !== table.nRows && table.names.length > 0) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: name,
      message: `column \`${name}\` has ${len} values but the table has ${table.nRows} rows`,
    });
  }
  const columns = columnRecord<Column>();
  Object.assign(columns, table.columns);
  columns[name] = col;
  return {
    nRows: table.names.length === 0 ? len : table.nRows,
    names: table.names.includes(name) ? table.names : [...table.names, name],
    columns,
  };
}

/**
 * A value from a file, safe to print in a message: quoted, cut to `max` characters (with the
 * full length), control characters, escapes and bidirectional overrides shown as \xNN / \u{NNNN}.
 * @example showValue('a\u001b[31mb') // '"a\\x1b[31mb"'
 */
export function showValue(value: string, max = 40): string {
  const chars = Array.from(value);
  let out = '';
  for (const ch of chars.slice(0, max)) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || (c >= 0x7f && c < 0xa0)) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0x200e || c === 0x200f || c === 0x061c) out += `\\u{${c.toString(16)}}`;
    else if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else out += ch;
  }
  return `"${out}"${chars.length > max ? `… (${chars.length.toLocaleString('en')} characters)` : ''}`;
}

const NUM = String.raw`(?:\d+(?:[.,]\d+)*|[.,]\d+)`;
const HEX_RE = /^[+-]?0[xX][0-9a-fA-F]+$/;
const PERCENT_RE = new RegExp(String.raw`^[+-]?${NUM}\s?%$`);
const CURRENCY_RE = new RegExp(String.raw`^[+-]?(?:[€$£¥]|EUR|USD|GBP)\s?[+-]?${NUM}$|^[+-]?${NUM}\s?(?:[€$£¥]|EUR|USD|GBP)$`);
const THOUSANDS_RE = /^[+-]?\d{1,3}([.,' \u00a0\u202f])\d{3}(?:\1\d{3})*(?:[.,]\d+)?$/;
const COMMA_RE = /^[+-]?\d*,\d+$/;

/**
 * How a text value reads as a number when it is not a plain one: 'decimal comma' (1,5),
 * 'thousands X' (1.234,56 with X the grouping mark), 'percent', 'currency', 'hex', or 'text'.
 */
export function numberNotation(s: string): string {
  const t = s.trim();
  const c = t.charCodeAt(0);
  // Fast reject: a number in any notation starts with a digit, sign, mark or currency sign.
  if (
    !(
      (c >= 48 && c <= 57) ||
      c === 43 ||
      c === 45 ||
      c === 46 ||
      c === 44 ||
      c === 36 ||
      c === 0x20ac ||
      c === 0xa3 ||
      c === 0xa5 ||
      c === 69 ||
      c === 85 ||
      c === 71
    )
  )
    return 'text';
  if (HEX_RE.test(t)) return 'hex';
  if (PERCENT_RE.test(t)) return 'percent';
  if (CURRENCY_RE.test(t)) return 'currency';
  const m = THOUSANDS_RE.exec(t);
  if (m) return `thousands ${m[1] === '\u00a0' || m[1] === '\u202f' ? ' ' : m[1]}`;
  if (COMMA_RE.test(t)) return 'decimal comma';
  return 'text';
}

/**
 * The readers' type rule for a text column. When at least half of its non-missing values are
 * numbers (plain, or in another notation: decimal comma, thousands marks, percent, currency,
 * hex) but not all are plain numbers, the column is marked {@link NearNumeric}: it is then
 * refused where a number or a covariate is expected, unless declared categorical. Integers
 * beyond 2^53 (long ids kept as text) count as plain numbers.
 * Cost: one test per distinct value; one pass over the rows only for a marked column.
 * @param isPlain what the reader itself reads as a number (its decimal and thousands settings)
 * @param unit 'line' for files with a header line (row i is line i + 2), 'row' otherwise
 */
export function typeCheckText(col: CategoricalColumn, isPlain: (s: string) => boolean, unit: 'line' | 'row'): CategoricalColumn {
  const k = col.levels.length;
  if (k === 0) return col;
  // 0: plain number, 1: another notation, 2: text
  const cls = new Uint8Array(k);
  const notation: string[] = new Array(k);
  let plain = 0;
  let other = 0;
  for (let j = 0; j < k; j++) {
    const l = col.levels[j]!;
    if (isPlain(l) || /^\s*[+-]?\d+\s*$/.test(l)) {
      plain++;
      continue;
    }
    const n = numberNotation(l);
    notation[j] = n;
    cls[j] = n === 'text' ? 2 : 1;
    if (n !== 'text') other++;
  }
  if (plain === k || plain + other === 0) return col;
  const counts = [0, 0, 0];
  const offending: { value: string; at: number }[] = [];
  const seen = new Set<string>();
  const codes = col.codes;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c < 0) continue;
    const x = cls[c]!;
    counts[x]!++;
    if (x !== 0 && offending.length < 5) offending.push({ value: col.levels[c]!, at: unit === 'line' ? i + 2 : i + 1 });
    if (x !== 0) seen.add(notation[c]!);
  }
  const nonMissing = counts[0]! + counts[1]! + counts[2]!;
  const numeric = counts[0]! + counts[1]!;
  if (numeric * 2 < nonMissing || counts[1]! + counts[2]! === 0) return col;
  return {
    ...col,
    nearNumeric: { numeric, nonMissing, offending, offendingCount: counts[1]! + counts[2]!, unit, notations: [...seen].sort() },
  };
}

/**
 * The problem for a near-numeric text column used as a number (`role` 'outcome', …) or as a
 * covariate: names the column, the first values that are not plain numbers with their line
 * numbers, and the fixes.
 */
export function nearNumericProblem(name: string, role: string, nn: NearNumeric, canBeCategorical: boolean) {
  const where = nn.offending.map((o) => `${nn.unit} ${o.at}: ${showValue(o.value)}`).join(', ');
  const fixes: string[] = [];
  const comma = nn.notations.includes('decimal comma') || nn.notations.includes('thousands .');
  const thousands = nn.notations.filter((n) => n.startsWith('thousands ')).map((n) => n.slice(10));
  if (comma || thousands.length) {
    const opts = [comma ? '--decimal ,' : '', ...thousands.map((t) => `--thousands ${t === ' ' ? "' '" : t}`)].filter(Boolean);
    const study = [comma ? "decimal: ','" : '', ...thousands.map((t) => `thousands: '${t}'`)].filter(Boolean);
    fixes.push(`read them as numbers with ${opts.join(' ')} (study file: data.${study.join(', data.')})`);
  }
  fixes.push('fix those cells');
  if (canBeCategorical) fixes.push(`declare the column categorical (--categorical ${name}; study file: categorical: [${name}])`);
  const more = nn.offendingCount > nn.offending.length ? `, … (${nn.offendingCount.toLocaleString('en')} in all)` : '';
  return {
    code: 'non_numeric' as const,
    column: name,
    count: nn.offendingCount,
    message:
      `${role} column \`${name}\` is numeric but for ${nn.offendingCount.toLocaleString('en')} of its ${nn.nonMissing.toLocaleString('en')} values ` +
      `(${where}${more}): ${fixes.length > 1 ? `${fixes.slice(0, -1).join(', ')}, or ${fixes[fixes.length - 1]}` : fixes[0]}`,
  };
}

/** A column name for a message: in backticks, or quoted and escaped (see {@link showValue}) when it holds anything unusual. */
export function showName(name: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this looks for
  return name.length <= 60 && !/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069`]/.test(name) ? `\`${name}\`` : showValue(name, 60);
}
