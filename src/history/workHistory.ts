/**
 * Work history from contract spells: the pre-treatment covariates the training studies matched
 * on, for every person at their own reference date (docs/work-history.md states each definition
 * once; the DuckDB engine in ./duckdb.ts computes the same columns with the same rules).
 *
 * Rules:
 * - A contract counts for person p when it started before the reference date r (start < r);
 *   its end is clipped to the day before r (an open-ended contract runs to r − 1).
 * - emp_mk = 1 when a contract is active (start ≤ d ≤ end) on d = r minus k calendar months
 *   (`addMonths(r, −k)`: 31 March − 1 month = 28/29 February); months_employed = Σ emp_mk.
 * - never_employed = 1 when no contract started before r.
 * - highest_qualification: the highest level, in the given order (lowest first), among counted
 *   contracts with a known qualification; "none" without one.
 * - longest_sector: the sector of the longest counted contract with a known sector (days from
 *   start to the clipped end, both included); ties go to the earliest start, then file order.
 * - main_contract_type: the type most counted contracts have (known types only); ties go to the
 *   level first in sorted order.
 * - days_since_did = r − DID date (days; negative when the DID is after r); NaN without a DID.
 * - No reference date (NaN): every column missing (NaN, categorical code −1).
 * Categorical columns' levels are the spells' levels plus "none", sorted.
 */
import { addMonths } from '../data/dates.js';
import type { CategoricalColumn, Column } from '../data/table.js';
import type { Spells } from '../outcomes/spells.js';
import { CounterfactError } from '../problems.js';

export interface WorkHistoryOptions {
  /** Months of monthly flags before the reference date (default 18: emp_m1 … emp_m18). */
  readonly months?: number;
  /** Contractual qualification levels, lowest first (needed when the spells have a qualification column with text levels). */
  readonly qualificationOrder?: readonly string[];
  /** Date of the declaration of immediate availability (DID) per person, days since 1970-01-01 (NaN = none). */
  readonly didDays?: Float64Array;
}

/** The value categorical work-history columns take when a person has no qualifying contract. */
export const NONE_LEVEL = 'none';

/** Output column names, in order, for `months` monthly flags. */
export function workHistoryColumnNames(months = 18): string[] {
  return [
    ...Array.from({ length: months }, (_, k) => `emp_m${k + 1}`),
    'months_employed',
    'never_employed',
    'highest_qualification',
    'longest_sector',
    'main_contract_type',
    'days_since_did',
  ];
}

/** Check `months`: a whole number 1–120. */
export function checkMonths(months: number): number {
  if (!Number.isInteger(months) || months < 1 || months > 120) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: 'months',
      message: `months (of work history before the reference date) must be a whole number from 1 to 120, received ${months}`,
    });
  }
  return months;
}

/** Sorted output levels ("none" added) and the map from input codes to output codes. */
export function outputLevels(levels: readonly string[]): { levels: string[]; remap: Int32Array; none: number } {
  const out = [...new Set([...levels, NONE_LEVEL])].sort();
  const remap = Int32Array.from(levels, (l) => out.indexOf(l));
  return { levels: out, remap, none: out.indexOf(NONE_LEVEL) };
}

/**
 * Rank of each qualification level (0 = lowest). With `order`, every level of the spells must be
 * in it; without, the levels must all be numbers (ranked numerically).
 * @throws CounterfactError `bad_argument` on `qualificationOrder`.
 */
export function qualificationRanks(levels: readonly string[], order: readonly string[] | undefined): Int32Array {
  if (order) {
    const pos = new Map(order.map((l, k) => [String(l), k]));
    const unknown = levels.filter((l) => !pos.has(l));
    if (unknown.length) {
      throw new CounterfactError({
        code: 'bad_argument',
        column: 'qualificationOrder',
        message: `the qualification order does not rank ${unknown
          .slice(0, 5)
          .map((l) => JSON.stringify(l))
          .join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}: list every qualification level the spells hold, lowest first`,
      });
    }
    return Int32Array.from(levels, (l) => pos.get(l)!);
  }
  const nums = levels.map((l) => (l.trim() === '' ? NaN : Number(l)));
  if (nums.some((x) => !Number.isFinite(x))) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: 'qualificationOrder',
      message: `the qualification levels are not numbers (e.g. ${JSON.stringify(levels[nums.findIndex((x) => !Number.isFinite(x))])}): give their order, lowest first (qualificationOrder / history.qualificationOrder / --qualification-order)`,
    });
  }
  const sorted = [...new Set(nums)].sort((a, b) => a - b);
  return Int32Array.from(nums, (x) => sorted.indexOf(x));
}

/** The reference date for month k before r, per person: Float64Array of people × months (row-major). */
function monthDays(referenceDays: Float64Array, months: number, sign: -1 | 1): Float64Array {
  const n = referenceDays.length;
  const out = new Float64Array(n * months);
  for (let p = 0; p < n; p++) {
    const r = referenceDays[p]!;
    for (let k = 1; k <= months; k++) out[p * months + k - 1] = addMonths(r, sign * k);
  }
  return out;
}

/**
 * Work-history covariates for every person at `referenceDays[p]` (see the module comment and
 * docs/work-history.md for the definitions).
 * Cost: O(people × months + spells × months) time, O(people × months) memory; no per-person maps.
 * @throws CounterfactError when referenceDays does not have one value per person, for bad
 * `months`, or a qualification column that cannot be ranked.
 * @example
 * const s = prepareSpells(contracts, { id: 'id', start: 'start', end: 'end', sector: 'sector', qualification: 'level' }, people.ids);
 * const h = workHistory(s, referenceDaysOf(people, 'course_start'), { qualificationOrder: ['low', 'mid', 'high'] });
 * h.emp_m1; h.never_employed; h.highest_qualification;
 */
export function workHistory(spells: Spells, referenceDays: Float64Array, options: WorkHistoryOptions = {}): Record<string, Column> {
  const months = checkMonths(options.months ?? 18);
  const n = spells.nPeople;
  if (referenceDays.length !== n) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: 'referenceDays',
      message: `referenceDays has ${referenceDays.length} values but the spells cover ${n} people`,
    });
  }
  const did = options.didDays;
  if (did && did.length !== n) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: 'didDays',
      message: `didDays has ${did.length} values but the spells cover ${n} people`,
    });
  }
  const { offsets, start, end } = spells;
  const days = monthDays(referenceDays, months, -1);
  const h = historyArrays(n, months);
  const { flags, total, never, sinceDid, highest, longest, mainType } = h;

  const qual = spells.qualification;
  const qualOut = outputLevels(spells.qualificationLevels);
  const rank = qual ? qualificationRanks(spells.qualificationLevels, options.qualificationOrder) : new Int32Array(0);
  const sectorOut = outputLevels(spells.sectorLevels);
  const typeOut = outputLevels(spells.typeLevels);
  const typeCount = new Int32Array(typeOut.levels.length);
  const sector = spells.sector;
  const type = spells.type;

  for (let p = 0; p < n; p++) {
    const r = referenceDays[p]!;
    if (!Number.isFinite(r)) {
      markUndated(h, p);
      continue;
    }
    sinceDid[p] = did && Number.isFinite(did[p]!) ? r - did[p]! : NaN;
    const a = offsets[p]!;
    const b = offsets[p + 1]!;
    const base = p * months;
    let counted = 0;
    let bestRank = -1;
    let bestQual = -1;
    let bestLen = -1;
    let bestSector = -1;
    for (let s = a; s < b; s++) {
      const s0 = start[s]!;
      if (s0 >= r) break; // sorted by start: the rest start on or after r
      counted++;
      const e = Math.min(end[s]!, r - 1);
      // Month k's day falls as k grows: flags for every k with s0 ≤ day_k ≤ e.
      for (let k = 0; k < months; k++) {
        const d = days[base + k]!;
        if (d < s0) break;
        if (d <= e) flags[k]![p] = 1;
      }
      if (qual) {
        const q = qual[s]!;
        if (q >= 0 && rank[q]! > bestRank) {
          bestRank = rank[q]!;
          bestQual = qualOut.remap[q]!;
        }
      }
      if (sector) {
        const c = sector[s]!;
        const len = e - s0 + 1;
        if (c >= 0 && len > bestLen) {
          bestLen = len;
          bestSector = sectorOut.remap[c]!;
        }
      }
      if (type) {
        const t = type[s]!;
        if (t >= 0) typeCount[typeOut.remap[t]!]!++;
      }
    }
    let sum = 0;
    for (let k = 0; k < months; k++) sum += flags[k]![p]!;
    total[p] = sum;
    never[p] = counted === 0 ? 1 : 0;
    highest[p] = bestQual >= 0 ? bestQual : qualOut.none;
    longest[p] = bestSector >= 0 ? bestSector : sectorOut.none;
    let best = -1;
    let bestCount = 0;
    if (type) {
      for (let s = a; s < b && start[s]! < r; s++) {
        const t = type[s]!;
        if (t < 0) continue;
        const o = typeOut.remap[t]!;
        const c = typeCount[o]!;
        if (c > bestCount || (c === bestCount && o < best)) {
          best = o;
          bestCount = c;
        }
      }
      for (let s = a; s < b && start[s]! < r; s++) if (type[s]! >= 0) typeCount[typeOut.remap[type[s]!]!] = 0;
    }
    mainType[p] = best >= 0 ? best : typeOut.none;
  }
  return historyColumns(h, { qualification: qualOut.levels, sector: sectorOut.levels, type: typeOut.levels });
}

/** What both engines fill for n people: the monthly flags and the other history columns. */
export interface HistoryArrays {
  readonly flags: Float64Array[];
  readonly total: Float64Array;
  readonly never: Float64Array;
  readonly sinceDid: Float64Array;
  readonly highest: Int32Array;
  readonly longest: Int32Array;
  readonly mainType: Int32Array;
}

/** Empty history arrays for n people and `months` monthly flags. */
export function historyArrays(n: number, months: number): HistoryArrays {
  return {
    flags: Array.from({ length: months }, () => new Float64Array(n)),
    total: new Float64Array(n),
    never: new Float64Array(n),
    sinceDid: new Float64Array(n),
    highest: new Int32Array(n),
    longest: new Int32Array(n),
    mainType: new Int32Array(n),
  };
}

/** Person p has no reference date: every history column is missing (NaN, or code −1). */
export function markUndated(h: HistoryArrays, p: number): void {
  for (const f of h.flags) f[p] = NaN;
  h.total[p] = NaN;
  h.never[p] = NaN;
  h.sinceDid[p] = NaN;
  h.highest[p] = -1;
  h.longest[p] = -1;
  h.mainType[p] = -1;
}

/** The history as columns, named as {@link workHistoryColumnNames}, with the output levels. */
export function historyColumns(
  h: HistoryArrays,
  levels: { readonly qualification: readonly string[]; readonly sector: readonly string[]; readonly type: readonly string[] },
): Record<string, Column> {
  const names = workHistoryColumnNames(h.flags.length);
  const cols: Record<string, Column> = {};
  h.flags.forEach((f, k) => (cols[names[k]!] = { kind: 'numeric', values: f }));
  cols.months_employed = { kind: 'numeric', values: h.total };
  cols.never_employed = { kind: 'numeric', values: h.never };
  cols.highest_qualification = { kind: 'categorical', codes: h.highest, levels: levels.qualification } satisfies CategoricalColumn;
  cols.longest_sector = { kind: 'categorical', codes: h.longest, levels: levels.sector } satisfies CategoricalColumn;
  cols.main_contract_type = { kind: 'categorical', codes: h.mainType, levels: levels.type } satisfies CategoricalColumn;
  cols.days_since_did = { kind: 'numeric', values: h.sinceDid };
  return cols;
}

/**
 * The earlier name, kept for existing callers: `emp_m1` … `emp_m<months>`, `months_employed`,
 * `longest_sector` and `main_contract_type` of {@link workHistory}.
 * Cost: as workHistory.
 */
export function historyCovariates(spells: Spells, referenceDays: Float64Array, options: { months?: number } = {}): Record<string, Column> {
  const months = options.months ?? 18;
  const all = workHistory(spells, referenceDays, { months, qualificationOrder: spells.qualification ? [...spells.qualificationLevels] : undefined });
  const keep = [...Array.from({ length: months }, (_, k) => `emp_m${k + 1}`), 'months_employed', 'longest_sector', 'main_contract_type'];
  return Object.fromEntries(keep.map((k) => [k, all[k]!]));
}
