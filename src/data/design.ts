/**
 * Treatment indicators and design matrices: the one place where covariates become numbers.
 * Categorical covariates are dummy-coded against their first level (sorted order), as R's
 * default treatment contrasts. Validation collects every problem in one pass.
 */
import { CounterfactError, describeRows, type Problem } from '../problems.js';
import {
  getColumn,
  nearNumericProblem,
  numericAsCategorical,
  ownValue,
  showValue,
  unknownColumnProblem,
  type CategoricalColumn,
  type Column,
  type Table,
} from './table.js';

/**
 * Most levels a categorical covariate may have: max(50, rows / 10), and never more than 1,000
 * (each level is a dummy column of the propensity model; more is an id or free text).
 */
export function maxCategoricalLevels(rows: number): number {
  return Math.min(1000, Math.max(50, Math.floor(rows / 10)));
}

const TREATED_LABELS = new Set(['1', 'true', 't', 'yes', 'y', 'si', 'sì', 's', 'treated', 'treat', 'trattato']);
const CONTROL_LABELS = new Set(['0', 'false', 'f', 'no', 'n', 'control', 'untreated', 'controllo']);

/**
 * Read the treatment column as 0/1.
 * Accepts 0/1 numbers, or two labels where one is recognisably "treated" (1, TRUE, yes, si, …)
 * and the other "control" (0, FALSE, no, …); otherwise `treatedValue` must name the treated label.
 * @throws CounterfactError `bad_treatment` (missing values, more than two values, unclear labels),
 *   `no_treated`, `no_controls`, `unknown_column`.
 */
export function resolveTreatment(table: Table, name: string, treatedValue?: string | number): Uint8Array {
  const col = getColumn(table, name, 'treatment');
  const n = table.nRows;
  const out = new Uint8Array(n);
  const missing: number[] = [];
  let missingCount = 0;
  // Distinct values, as strings.
  const distinct = new Map<string, number>();
  if (col.kind === 'numeric') {
    // Numbers counted as numbers (no string per row); their labels are String(x), as cellLabel's.
    const byValue = new Map<number, number>();
    const v = col.values;
    // 0s and 1s counted in registers (a Map update per row was most of this check's time); the
    // Map keeps the other values, in order of first appearance, as before.
    let n0 = 0,
      n1 = 0;
    for (let i = 0; i < n; i++) {
      const x = v[i]!;
      if (x === 0) {
        if (n0++ === 0) byValue.set(0, 0);
      } else if (x === 1) {
        if (n1++ === 0) byValue.set(1, 0);
      } else if (Number.isNaN(x)) {
        missingCount++;
        if (missing.length < 5) missing.push(i);
      } else byValue.set(x, (byValue.get(x) ?? 0) + 1);
    }
    if (n0) byValue.set(0, n0);
    if (n1) byValue.set(1, n1);
    for (const [x, c] of byValue) distinct.set(String(x), c);
  } else
    for (let i = 0; i < n; i++) {
      const s = cellLabel(col, i);
      if (s === null) {
        missingCount++;
        if (missing.length < 5) missing.push(i);
        continue;
      }
      distinct.set(s, (distinct.get(s) ?? 0) + 1);
    }
  if (missingCount > 0) {
    throw new CounterfactError({
      code: 'bad_treatment',
      column: name,
      rows: missing,
      count: missingCount,
      message: `treatment column \`${name}\` has ${missingCount} missing values (${describeRows(missing, missingCount)}): every unit must be treated (1) or control (0)`,
    });
  }
  const values = [...distinct.keys()];
  let treatedLabel: string | undefined;
  if (treatedValue !== undefined) {
    treatedLabel = String(treatedValue);
    if (!distinct.has(treatedLabel)) {
      throw new CounterfactError({
        code: 'bad_treatment',
        column: name,
        message: `treated value ${showValue(treatedLabel)} does not occur in treatment column \`${name}\` (values: ${values
          .slice(0, 6)
          .map((v) => showValue(v))
          .join(', ')})`,
      });
    }
    if (values.length > 2) {
      throw new CounterfactError({
        code: 'bad_treatment',
        column: name,
        message: `treatment column \`${name}\` has ${values.length} distinct values (${values
          .slice(0, 6)
          .map((v) => showValue(v))
          .join(', ')}${values.length > 6 ? ', …' : ''}): it must have two; for several arms use the multi-arm API`,
      });
    }
  } else {
    if (values.length > 2 || values.length === 0) {
      throw new CounterfactError({
        code: 'bad_treatment',
        column: name,
        received: values.slice(0, 6).join(', '),
        expected: '0/1 or two labels',
        message: `treatment column \`${name}\` must be 0/1 (or two labels) but has ${values.length} distinct values (${values
          .slice(0, 6)
          .map((v) => showValue(v, 20))
          .join(', ')}${values.length > 6 ? ', …' : ''})`,
      });
    }
    const t = values.filter((v) => TREATED_LABELS.has(v.toLowerCase()));
    const c = values.filter((v) => CONTROL_LABELS.has(v.toLowerCase()));
    if (values.length === 2 && t.length === 1 && c.length === 1) treatedLabel = t[0];
    else if (values.length === 1 && t.length === 1) treatedLabel = t[0];
    else if (values.length === 1 && c.length === 1) treatedLabel = undefined;
    else {
      throw new CounterfactError({
        code: 'bad_treatment',
        column: name,
        message: `treatment column \`${name}\` has labels ${values.map((v) => showValue(v)).join(' and ')}: say which is treated (option treatedValue, CLI --treated-value)`,
      });
    }
  }
  let nt = 0;
  if (col.kind === 'numeric' && (treatedLabel === '1' || treatedLabel === undefined) && values.every((v) => v === '0' || v === '1')) {
    // 0/1 numbers: no label per row.
    const v = col.values;
    const one = treatedLabel === '1' ? 1 : NaN;
    for (let i = 0; i < n; i++) {
      const t = v[i] === one ? 1 : 0;
      out[i] = t;
      nt += t;
    }
  } else
    for (let i = 0; i < n; i++) {
      const s = cellLabel(col, i)!;
      const t = s === treatedLabel ? 1 : 0;
      out[i] = t;
      nt += t;
    }
  if (nt === 0) {
    throw new CounterfactError({
      code: 'no_treated',
      column: name,
      message: `treatment column \`${name}\` has no treated units (all ${n} are controls): check the column or the treated value`,
    });
  }
  if (nt === n) {
    throw new CounterfactError({
      code: 'no_controls',
      column: name,
      message: `treatment column \`${name}\` has no control units (all ${n} are treated): the study needs a comparison group`,
    });
  }
  return out;
}

function cellLabel(col: Column, i: number): string | null {
  if (col.kind === 'numeric') {
    const v = col.values[i]!;
    return Number.isNaN(v) ? null : String(v);
  }
  const c = col.codes[i]!;
  return c < 0 ? null : col.levels[c]!;
}

/** One covariate's contribution to the design. */
export interface DesignTerm {
  readonly covariate: string;
  readonly kind: 'numeric' | 'categorical';
  /** Indices into `DesignMatrix.columns` for this term (dummies for categorical). */
  readonly columnIndices: readonly number[];
  /** For categorical terms: all levels (first is the reference, not in the design). */
  readonly levels?: readonly string[];
  /**
   * With `dummies: false`: the level code of every row (into the column's own levels) and, for
   * each entry of `levels`, its code — the categorical term without dummy columns.
   */
  readonly codes?: Int32Array;
  readonly levelCodes?: readonly number[];
}

/** Numeric design columns (no intercept), each of length nRows. */
export interface DesignMatrix {
  readonly nRows: number;
  /** Column names: the covariate for numeric terms, `name[level]` for dummies. */
  readonly names: readonly string[];
  readonly columns: readonly Float64Array[];
  readonly terms: readonly DesignTerm[];
}

export interface DesignOptions {
  /** Numeric covariates to treat as categorical (string columns always are). */
  readonly categorical?: readonly string[];
  /**
   * For balance tables: expand categorical covariates into one dummy per level (MatchIt's
   * summary does) rather than dropping the reference level.
   */
  readonly allLevels?: boolean;
  /**
   * Allocates the dummy columns of categorical covariates (default `new Float64Array(n)`), e.g.
   * on a SharedArrayBuffer so worker threads read them without a copy. Must return zeros.
   */
  readonly allocate?: (n: number) => Float64Array;
  /**
   * false: categorical terms get no dummy columns, only their `codes` and `levelCodes` (for
   * code that counts levels itself, e.g. the balance table). Default true.
   */
  readonly dummies?: boolean;
}

/** Name of the dummy column for a level. */
export function dummyName(covariate: string, level: string): string {
  return `${covariate}[${level}]`;
}

/**
 * Validate covariates and build the design matrix. Reports every problem at once: unknown
 * columns, missing or infinite values (count and first rows), constant columns.
 * Cost: O(rows × design columns).
 * @throws CounterfactError with all problems.
 */
export function buildDesign(table: Table, covariates: readonly string[], options: DesignOptions = {}): DesignMatrix {
  const problems: Problem[] = [];
  const categorical = new Set(options.categorical ?? []);
  const names: string[] = [];
  const columns: Float64Array[] = [];
  const terms: DesignTerm[] = [];
  const n = table.nRows;
  for (const cov of new Set(options.categorical ?? [])) {
    if (!covariates.includes(cov) && !ownValue(table.columns, cov)) {
      problems.push(unknownColumnProblem(table, cov, 'categorical'));
    }
  }
  const seen = new Set<string>();
  for (const cov of covariates) {
    if (seen.has(cov)) {
      problems.push({ code: 'bad_argument', column: cov, message: `covariate \`${cov}\` is listed twice: list each covariate once` });
      continue;
    }
    seen.add(cov);
    const raw = ownValue(table.columns, cov);
    if (!raw) {
      problems.push(unknownColumnProblem(table, cov, 'covariate'));
      continue;
    }
    if (raw.kind === 'categorical' && raw.nearNumeric && !categorical.has(cov)) {
      problems.push(nearNumericProblem(cov, 'covariate', raw.nearNumeric, true));
      continue;
    }
    // Bounded work: a categorical covariate with a level for (nearly) every row is an id or free text.
    const levelCount = raw.kind === 'categorical' ? countPresent(raw) : categorical.has(cov) ? countDistinct(raw.values, maxCategoricalLevels(n) + 1) : 0;
    if (levelCount > maxCategoricalLevels(n)) {
      const example =
        raw.kind === 'categorical'
          ? ` (e.g. ${raw.levels
              .slice(0, 3)
              .map((l) => showValue(l))
              .join(', ')})`
          : '';
      problems.push({
        code: 'bad_argument',
        column: cov,
        count: levelCount,
        message:
          `categorical covariate \`${cov}\` has ${raw.kind === 'categorical' ? levelCount.toLocaleString('en') : `more than ${maxCategoricalLevels(n).toLocaleString('en')}`} distinct values${example} in ${n.toLocaleString('en')} rows, ` +
          `more than the ${maxCategoricalLevels(n).toLocaleString('en')} levels allowed (max(50, rows / 10), at most 1,000): it looks like an id or free text — ` +
          'remove it from the covariates, group it into fewer categories, or match exactly on it',
      });
      continue;
    }
    // Missing / non-finite values.
    const bad: number[] = [];
    // (The loops over rows are small functions of their own: each is compiled once, for one
    // array type, and stays fast for every covariate.)
    const [badCount, infCount] = raw.kind === 'numeric' ? nonFiniteRows(raw.values, bad) : missingCodes(raw.codes, bad);
    if (badCount > 0) {
      problems.push({
        code: infCount === badCount ? 'non_finite' : 'missing_values',
        column: cov,
        rows: bad,
        count: badCount,
        message:
          infCount === badCount
            ? `covariate \`${cov}\` has ${badCount} infinite values (${describeRows(bad, badCount)}): fix or drop those rows`
            : `covariate \`${cov}\` has ${badCount} missing values (${describeRows(bad, badCount)}): impute or drop them`,
      });
      continue;
    }
    const col: Column = raw.kind === 'numeric' && categorical.has(cov) ? numericAsCategorical(raw) : raw;
    if (col.kind === 'numeric') {
      const v = col.values;
      if (isConstant(v) && n > 0) {
        problems.push({
          code: 'constant_column',
          column: cov,
          message: `covariate \`${cov}\` is constant (every value is ${v[0]}): it cannot explain treatment; remove it`,
        });
        continue;
      }
      terms.push({ covariate: cov, kind: 'numeric', columnIndices: [columns.length] });
      names.push(cov);
      columns.push(v);
    } else {
      const cat = col as CategoricalColumn;
      const counts = levelCounts(cat.codes, cat.levels.length);
      const present = cat.levels.map((_, k) => k).filter((k) => counts[k]! > 0);
      if (present.length < 2) {
        problems.push({
          code: 'constant_column',
          column: cov,
          message: `covariate \`${cov}\` has a single level ("${cat.levels[present[0] ?? 0]}"): it cannot explain treatment; remove it`,
        });
        continue;
      }
      const start = options.allLevels ? 0 : 1;
      const idx: number[] = [];
      if (options.dummies === false) {
        terms.push({
          covariate: cov,
          kind: 'categorical',
          columnIndices: [],
          levels: present.map((k) => cat.levels[k]!),
          codes: cat.codes,
          levelCodes: present,
        });
        continue;
      }
      // All the dummies in one pass over the codes (a 1 where the row has the level; the
      // columns start at 0).
      const byCode: (Float64Array | undefined)[] = new Array(cat.levels.length);
      for (let p = start; p < present.length; p++) {
        const k = present[p]!;
        const d = options.allocate ? options.allocate(n) : new Float64Array(n);
        byCode[k] = d;
        idx.push(columns.length);
        names.push(dummyName(cov, cat.levels[k]!));
        columns.push(d);
      }
      fillDummies(cat.codes, byCode);
      terms.push({
        covariate: cov,
        kind: 'categorical',
        columnIndices: idx,
        levels: present.map((k) => cat.levels[k]!),
      });
    }
  }
  if (problems.length > 0) throw new CounterfactError(problems);
  return { nRows: n, names, columns, terms };
}

/** Rows of v that are not finite: [count, of which infinite]; the first 5 rows into `bad`. */
function nonFiniteRows(v: Float64Array, bad: number[]): [number, number] {
  let count = 0;
  let inf = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x)) {
      count++;
      if (!Number.isNaN(x)) inf++;
      if (bad.length < 5) bad.push(i);
    }
  }
  return [count, inf];
}

/** Rows with a missing code: [count, 0]; the first 5 rows into `bad`. */
function missingCodes(codes: Int32Array, bad: number[]): [number, number] {
  let count = 0;
  for (let i = 0; i < codes.length; i++) {
    if (codes[i]! < 0) {
      count++;
      if (bad.length < 5) bad.push(i);
    }
  }
  return [count, 0];
}

/** True when every value equals the first. */
function isConstant(v: Float64Array): boolean {
  const v0 = v[0];
  for (let i = 1; i < v.length; i++) if (v[i] !== v0) return false;
  return true;
}

/** Rows per level code (codes all ≥ 0). */
function levelCounts(codes: Int32Array, levels: number): Int32Array {
  const counts = new Int32Array(levels);
  for (let i = 0; i < codes.length; i++) counts[codes[i]!]!++;
  return counts;
}

/** A 1 in the dummy column of each row's level (columns start at 0; no column: the reference). */
function fillDummies(codes: Int32Array, byCode: readonly (Float64Array | undefined)[]): void {
  for (let i = 0; i < codes.length; i++) {
    const d = byCode[codes[i]!];
    if (d !== undefined) d[i] = 1;
  }
}

/** Levels that occur in the column. */
function countPresent(col: CategoricalColumn): number {
  if (col.levels.length <= 50) return col.levels.length;
  const seen = new Uint8Array(col.levels.length);
  let k = 0;
  for (let i = 0; i < col.codes.length; i++) {
    const c = col.codes[i]!;
    if (c >= 0 && !seen[c]) {
      seen[c] = 1;
      k++;
    }
  }
  return k;
}

/** Distinct non-missing values of v, counting stops at `stop`. */
function countDistinct(v: Float64Array, stop: number): number {
  const seen = new Set<number>();
  for (let i = 0; i < v.length && seen.size < stop; i++) if (!Number.isNaN(v[i]!)) seen.add(v[i]!);
  return seen.size;
}

/** True when a numeric vector takes only the values 0 and 1. */
export function isBinary(v: ArrayLike<number>): boolean {
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x !== 0 && x !== 1) return false;
  }
  return true;
}
