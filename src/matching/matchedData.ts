/**
 * The matched sample as a data table, as MatchIt's `match_data()` / `get_matches()` (4.7.2):
 * the input columns plus the matching `distance`, `weights` and `subclass` (matched-set id).
 * Browser-safe; writing the table to a file is `writeMatchedData` in counterfact/node.
 */
import { table as aqTable, type ColumnTable } from 'arquero';
import type { MatchResult } from '../contracts.js';
import type { Column, Table } from '../data/table.js';
import { badArgument, CounterfactError } from '../problems.js';

/** Options of {@link matchedData}. Column-name options take MatchIt's argument names. */
export interface MatchedDataOptions {
  /**
   * `'units'` (MatchIt `match_data()`): one row per unit, in data order. `'matches'` (MatchIt
   * `get_matches()`): one row per (matched set, unit), sorted by set, treated unit first, so a
   * control reused by several treated units appears once per set. Default `'units'`.
   */
  readonly layout?: 'units' | 'matches';
  /** Name of the matching-weight column. Default `'weights'`. */
  readonly weights?: string;
  /** Name of the matched-set column. Default `'subclass'`. */
  readonly subclass?: string;
  /** Name of the distance column (written only when the method matched on a distance). Default `'distance'`. */
  readonly distance?: string;
  /** `'matches'` layout only: name of the column holding the unit's 1-based row number. Default `'id'`. */
  readonly id?: string;
  /** `'units'` layout only: keep only units with weight > 0 (MatchIt `drop.unmatched`). Default true. */
  readonly dropUnmatched?: boolean;
  /** `'units'` layout only: `'all'`, `'treated'` or `'control'` units (MatchIt `group`). Default `'all'`. */
  readonly group?: 'all' | 'treated' | 'control';
}

/** Matched-set numbering derived from the pairs (see {@link matchedSets}). */
export interface MatchedSets {
  /** Number of matched sets (= matched treated units). */
  readonly count: number;
  /** Per unit: its set number 1…count, or 0 when the unit is in no set. For a reused control, its first set. */
  readonly subclass: Int32Array;
  /** True when some control belongs to more than one set (matching with replacement). */
  readonly reused: boolean;
  /** CSR index of each set's matches: pairs `order[start[s]] … order[start[s + 1] − 1]` belong to set s + 1, in match order. */
  readonly start: Int32Array;
  readonly order: Int32Array;
}

/**
 * Number the matched sets as MatchIt does: set k is the k-th treated unit in data order that has
 * at least one match; each matched control joins its treated unit's set. Cost: O(n + matches).
 */
export function matchedSets(match: MatchResult): MatchedSets {
  const n = match.nUnits;
  const { treated, control } = match.pairs;
  const m = treated.length;
  const perTreated = new Int32Array(n + 1);
  for (let k = 0; k < m; k++) perTreated[treated[k]! + 1]!++;
  const subclass = new Int32Array(n);
  const setStart: number[] = [0];
  let count = 0;
  let acc = 0;
  const firstOf = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    firstOf[i] = acc;
    const c = perTreated[i + 1]!;
    if (c > 0) {
      subclass[i] = ++count;
      acc += c;
      setStart.push(acc);
    }
  }
  firstOf[n] = acc;
  const fill = firstOf.slice();
  const order = new Int32Array(m);
  for (let k = 0; k < m; k++) order[fill[treated[k]!]!++] = k;
  let reused = false;
  for (let k = 0; k < m; k++) {
    const c = control[k]!;
    const s = subclass[treated[k]!]!;
    if (subclass[c] === 0) subclass[c] = s;
    else if (subclass[c] !== s) reused = true;
  }
  return { count, subclass, reused, start: Int32Array.from(setStart), order };
}

/** The subclass of each unit when the method stratifies (subclassification, CEM: `subclass` on the result), else null. */
function stratumOf(match: MatchResult): Int32Array | null {
  const s = (match as MatchResult & { subclass?: unknown }).subclass;
  return s instanceof Int32Array && s.length === match.nUnits ? s : null;
}

function checkName(option: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.trim() === '') {
    badArgument(option, `${option} must be a non-empty column name, received ${JSON.stringify(value)}`);
  }
  return value;
}

/** Column values at the given rows: numbers (Float64Array when none is missing, else null for missing) or labels. */
function takeColumn(col: Column, rows: Int32Array): Float64Array | (number | null)[] | (string | null)[] {
  const m = rows.length;
  if (col.kind === 'categorical') {
    const out: (string | null)[] = new Array(m);
    for (let r = 0; r < m; r++) {
      const k = col.codes[rows[r]!]!;
      out[r] = k < 0 ? null : col.levels[k]!;
    }
    return out;
  }
  return numbersAt(col.values, rows);
}

/** Numbers at the given rows: a Float64Array, or an array with null for missing (NaN) values. */
function numbersAt(values: ArrayLike<number>, rows: Int32Array): Float64Array | (number | null)[] {
  const v = Float64Array.from(rows, (i) => values[i]!);
  return v.some(Number.isNaN) ? Array.from(v, (x) => (Number.isNaN(x) ? null : x)) : v;
}

/**
 * The matched sample as an arquero table: the input columns (categorical ones as their labels,
 * missing values as null) plus `distance` (when the method matched on one), `weights`
 * (`MatchResult.weights`: MatchIt's matching weights) and `subclass` (matched-set number 1…K,
 * K-th matched treated unit in data order, as MatchIt).
 *
 * Layout `'units'` is MatchIt's `match_data()`: one row per unit, data order, unmatched units
 * dropped unless `dropUnmatched: false`. `subclass` is the method's own subclass for stratified
 * methods (subclassification, CEM); for pair matching it is included only when every matched
 * control belongs to one set. After matching with replacement (a control reused) or a pure
 * weighting method there is no set membership, as in MatchIt — use layout `'matches'`.
 *
 * Layout `'matches'` is MatchIt's `get_matches()`: one row per (matched set, unit), columns
 * `id` (the unit's 1-based row number), `subclass`, `weights`, the input columns and `distance`;
 * sorted by set, treated unit first, then its controls in get_matches()' order (each treated
 * unit's controls nearest first, then a set's controls by where each first appears in that
 * list). Row weights: treated 1,
 * each control its pair weight (1 / number of matches of that treated unit, ties included).
 *
 * Cost: O(rows × columns + matches).
 * @throws CounterfactError when `table` does not have one row per matched unit, an output column
 *   name is already a column of the table (rename it with the `weights` / `subclass` /
 *   `distance` / `id` option), two output names coincide, an option is invalid, or layout
 *   `'matches'` is asked of a method without pairs.
 * @example
 * const m = matchNearest(fitPropensity(data, { treatment: 'treat', covariates }));
 * const md = matchedData(data, m);                          // one row per matched unit
 * const gm = matchedData(data, m, { layout: 'matches' });   // one row per (set, unit)
 * md.columnNames(); // [...data columns, 'distance', 'weights', 'subclass']
 */
export function matchedData(table: Table, match: MatchResult, options: MatchedDataOptions = {}): ColumnTable {
  const layout = options.layout ?? 'units';
  if (layout !== 'units' && layout !== 'matches') {
    badArgument(
      'layout',
      `layout must be 'units' (one row per unit, MatchIt match_data) or 'matches' (one row per matched set and unit, MatchIt get_matches), received ${JSON.stringify(layout)}`,
    );
  }
  const group = options.group ?? 'all';
  if (group !== 'all' && group !== 'treated' && group !== 'control') {
    badArgument('group', `group must be 'all', 'treated' or 'control', received ${JSON.stringify(group)}`);
  }
  if (options.dropUnmatched !== undefined && typeof options.dropUnmatched !== 'boolean') {
    badArgument('dropUnmatched', `dropUnmatched must be true or false, received ${JSON.stringify(options.dropUnmatched)}`);
  }
  if (layout === 'matches' && (options.group !== undefined || options.dropUnmatched !== undefined)) {
    badArgument(
      options.group !== undefined ? 'group' : 'dropUnmatched',
      `${options.group !== undefined ? 'group' : 'dropUnmatched'} applies to layout 'units' only: layout 'matches' holds the matched units of every set`,
    );
  }
  if (table.nRows !== match.nUnits) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: 'table',
      message: `the table has ${table.nRows} rows but the matching was run on ${match.nUnits} units: pass the same table the propensity score and matching were computed on`,
    });
  }
  const names = {
    distance: checkName('distance', options.distance, 'distance'),
    weights: checkName('weights', options.weights, 'weights'),
    subclass: checkName('subclass', options.subclass, 'subclass'),
    id: checkName('id', options.id, 'id'),
  };
  const sets = matchedSets(match);
  const strata = stratumOf(match);
  const hasDistance = match.distance !== null;
  const hasSubclass = layout === 'matches' || strata !== null || (match.pairs.treated.length > 0 && !sets.reused);
  if (layout === 'matches' && match.pairs.treated.length === 0) {
    badArgument(
      'layout',
      `layout 'matches' needs matched pairs, but method '${match.method}' produced none (${strata ? "its units are grouped in subclasses, which layout 'units' gives" : 'a weighting method'}): use layout 'units'`,
    );
  }
  const added = [
    ...(layout === 'matches' ? (['id', 'subclass', 'weights'] as const) : []),
    ...(hasDistance ? (['distance'] as const) : []),
    ...(layout === 'units' ? (['weights'] as const) : []),
    ...(layout === 'units' && hasSubclass ? (['subclass'] as const) : []),
  ];
  const seen = new Map<string, string>();
  for (const option of added) {
    const name = names[option];
    if (table.columns[name] !== undefined) {
      throw new CounterfactError({
        code: 'duplicate_column',
        column: name,
        message: `\`${name}\` is already a column of the data: choose another name for the ${option} column with the \`${option}\` option (e.g. ${option}: 'match_${option}')`,
      });
    }
    const other = seen.get(name);
    if (other !== undefined) {
      badArgument(option, `the ${other} and ${option} columns would both be named \`${name}\`: give them different names`);
    }
    seen.set(name, option);
  }

  const columns = new Map<string, unknown>();
  const order: string[] = [];
  const put = (name: string, values: unknown) => {
    columns.set(name, values);
    order.push(name);
  };
  const n = match.nUnits;
  const w = match.weights;

  if (layout === 'units') {
    const drop = options.dropUnmatched ?? true;
    const keep: number[] = [];
    for (let i = 0; i < n; i++) {
      if (drop && !(w[i]! > 0)) continue;
      if (group === 'treated' && !match.treatment[i]) continue;
      if (group === 'control' && match.treatment[i]) continue;
      keep.push(i);
    }
    const rows = Int32Array.from(keep);
    for (const name of table.names) put(name, takeColumn(table.columns[name]!, rows));
    if (hasDistance) put(names.distance, numbersAt(match.distance!, rows));
    put(
      names.weights,
      Float64Array.from(rows, (i) => w[i]!),
    );
    if (hasSubclass) {
      const of = strata ?? sets.subclass;
      const sub = Array.from(rows, (i) => (of[i]! > 0 ? of[i]! : null));
      put(names.subclass, sub.every((s) => s !== null) ? Float64Array.from(sub as number[]) : sub);
    }
    return aqTable(columns, order);
  }

  // 'matches': per set, the treated unit then its controls. MatchIt's match.matrix lists a
  // treated unit's controls nearest first; get_matches() then orders a set's controls by where
  // each control first appears in that list (sets in order) — a side effect of its merge().
  // Both reproduced, so the rows are MatchIt's (ties in distance keep the pairs' order).
  const { treated, control, weight } = match.pairs;
  const d = match.distance;
  const listed = Int32Array.from(sets.order);
  if (d !== null) {
    for (let s = 0; s < sets.count; s++) {
      const a = sets.start[s]!;
      const b = sets.start[s + 1]!;
      const t = treated[listed[a]!]!;
      const gap = (k: number) => Math.abs(d[control[k]!]! - d[t]!);
      listed.set(
        Array.from(listed.subarray(a, b)).sort((x, y) => gap(x) - gap(y)),
        a,
      );
    }
  }
  const firstSeen = new Int32Array(n).fill(-1);
  let seenCount = 0;
  for (let j = 0; j < listed.length; j++) {
    const c = control[listed[j]!]!;
    if (firstSeen[c] < 0) firstSeen[c] = seenCount++;
  }
  const total = sets.count + treated.length;
  const rows = new Int32Array(total);
  const rowSet = new Float64Array(total);
  const rowWeight = new Float64Array(total);
  let r = 0;
  for (let s = 0; s < sets.count; s++) {
    const a = sets.start[s]!;
    const b = sets.start[s + 1]!;
    rows[r] = treated[sets.order[a]!]!;
    rowSet[r] = s + 1;
    rowWeight[r++] = 1;
    const ks = Array.from(listed.subarray(a, b)).sort((x, y) => firstSeen[control[x]!]! - firstSeen[control[y]!]!);
    for (const k of ks) {
      rows[r] = control[k]!;
      rowSet[r] = s + 1;
      rowWeight[r++] = weight[k]!;
    }
  }
  put(
    names.id,
    Float64Array.from(rows, (i) => i + 1),
  );
  put(names.subclass, rowSet);
  put(names.weights, rowWeight);
  for (const name of table.names) put(name, takeColumn(table.columns[name]!, rows));
  if (hasDistance) put(names.distance, numbersAt(match.distance!, rows));
  return aqTable(columns, order);
}
