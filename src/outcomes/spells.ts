/**
 * Employment status from administrative contract spells (compulsory-employment notices): who
 * was employed on a given date, at any horizon after a reference date, and pre-treatment
 * work histories as covariates.
 *
 * Conventions (documented once, used everywhere):
 * - A contract is active on day d when start ≤ d ≤ end: the end date is inclusive, so a
 *   contract ending on the horizon day counts; one starting the day after does not.
 * - A missing end date means open-ended: active every day from its start.
 * - Overlapping contracts count once: status is employed / not employed.
 * - The horizon date is the reference date plus h calendar months, the day of month clamped to
 *   the month's length (31 January + 1 month = 28/29 February), see `addMonths`.
 */
import type { MatchResult } from '../contracts.js';
import { addMonths, dateColumnToDays, formatDate, parseDate } from '../data/dates.js';
import { columnLabels, getColumn, type CategoricalColumn, type Column, type Table } from '../data/table.js';
import { CounterfactError, describeRows, type Problem } from '../problems.js';
import type { Rng } from '../random.js';

export interface SpellColumns {
  /** Person identifier (matches the people's id column). */
  readonly id: string;
  readonly start: string;
  /** End date; empty/NA = open-ended. */
  readonly end: string;
  readonly type?: string;
  readonly sector?: string;
  /** Contractual qualification level of the contract (ranked by a given order; see src/history). */
  readonly qualification?: string;
}

export interface SpellExclusion {
  readonly reason: 'unknown person' | 'bad start date' | 'bad end date' | 'end before start';
  readonly count: number;
  /** First few spell rows (0-based). */
  readonly rows: readonly number[];
}

/** Validated spells, grouped by person (CSR layout), sorted by start within person. */
export interface Spells {
  readonly kind: 'Spells';
  readonly nPeople: number;
  /** Spells of person p are at offsets[p] … offsets[p + 1] − 1. */
  readonly offsets: Int32Array;
  readonly start: Float64Array;
  /** Inclusive end day; Infinity when open-ended. */
  readonly end: Float64Array;
  readonly type: Int32Array | null;
  readonly typeLevels: readonly string[];
  readonly sector: Int32Array | null;
  readonly sectorLevels: readonly string[];
  /** Contractual qualification (code into `qualificationLevels`, −1 missing); null without the column. */
  readonly qualification: Int32Array | null;
  readonly qualificationLevels: readonly string[];
  readonly spellsRead: number;
  readonly spellsUsed: number;
  readonly exclusions: readonly SpellExclusion[];
  /** The last date the spells show (latest start or end day of a used spell); −Infinity without one. */
  readonly lastDay: number;
}

/** The date formats a date column may hold (text), in the words messages use. */
export const DATE_FORMATS = 'yyyy-mm-dd, dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy or yyyymmdd';

/**
 * A numeric column as dates: only when every value is a compact yyyymmdd date (a CSV reader
 * takes 20160331 for a number); any other number (a day count, an Excel serial, a year) is
 * refused, naming the column and the formats accepted — never read as days since 1970.
 */
function numericDates(values: Float64Array, column: string, role: string): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) {
      out[i] = NaN;
      continue;
    }
    const d = Number.isInteger(v) && v >= 10000101 && v <= 99991231 ? parseDate(String(v)) : NaN;
    if (Number.isNaN(d)) {
      throw new CounterfactError({
        code: 'bad_date',
        column,
        rows: [i],
        message: `${role} \`${column}\` holds numbers (e.g. ${v} on data row ${i + 1}), not dates: give it as text dates in ${DATE_FORMATS}`,
      });
    }
    out[i] = d;
  }
  return out;
}

/**
 * Reference dates (course end, voucher intake) as days since 1970-01-01, one per unit, NaN
 * where empty. A text column is parsed as dates; a numeric column is accepted only as compact
 * yyyymmdd dates and otherwise refused naming the column (a number is not a date).
 * @throws CounterfactError `bad_date` naming the column, the first bad value and the formats accepted.
 * @example referenceDaysOf(people, 'course_end')
 */
export function referenceDaysOf(table: Table, column: string, role = 'reference date column'): Float64Array {
  const col = getColumn(table, column, 'reference date');
  if (col.kind === 'numeric') return numericDates(col.values, column, role);
  return dateColumnToDays(table, column, true);
}

function dayValues(table: Table, column: string): { days: Float64Array; invalid: Uint8Array } {
  const col = getColumn(table, column, 'spell date');
  const n = table.nRows;
  const days = new Float64Array(n);
  const invalid = new Uint8Array(n);
  if (col.kind === 'numeric') {
    days.set(numericDates(col.values, column, 'spell date column'));
  } else {
    const parsed = col.levels.map(parseDate);
    for (let i = 0; i < n; i++) {
      const c = col.codes[i]!;
      if (c < 0) days[i] = NaN;
      else {
        days[i] = parsed[c]!;
        if (Number.isNaN(parsed[c]!)) invalid[i] = 1;
      }
    }
  }
  return { days, invalid };
}

/**
 * Validate contract spells against the people table and group them by person.
 * Every spell is used or counted in `exclusions` with its reason (unknown person, unparseable
 * dates, end before start); with `strict` any exclusion is an error instead.
 * Cost: O(spells log spells).
 * @throws CounterfactError for unknown columns, or any exclusion when `strict`.
 * @example
 * const s = prepareSpells(spellsTable, { id: 'id', start: 'start', end: 'end' }, people.ids);
 * s.exclusions; // [{ reason: 'end before start', count: 2, rows: [17, 40] }]
 */
export function prepareSpells(spells: Table, columns: SpellColumns, peopleIds: ArrayLike<string | number | null>, options: { strict?: boolean } = {}): Spells {
  const n = spells.nRows;
  const idLabels = columnLabels(getColumn(spells, columns.id, 'spell id'));
  const index = new Map<string, number>();
  for (let p = 0; p < peopleIds.length; p++) {
    const v = peopleIds[p];
    if (v !== null && v !== undefined) index.set(String(v), p);
  }
  const s = dayValues(spells, columns.start);
  const e = dayValues(spells, columns.end);
  const typeCol = columns.type ? getColumn(spells, columns.type, 'contract type') : null;
  const sectorCol = columns.sector ? getColumn(spells, columns.sector, 'sector') : null;
  const asCat = (c: Column | null): CategoricalColumn | null =>
    !c
      ? null
      : c.kind === 'categorical'
        ? c
        : (() => {
            const labels = columnLabels(c);
            const levels = [...new Set(labels.filter((x): x is string => x !== null))].sort();
            const m = new Map(levels.map((l, k) => [l, k]));
            return { kind: 'categorical', codes: Int32Array.from(labels, (l) => (l === null ? -1 : m.get(l)!)), levels };
          })();
  const typeCat = asCat(typeCol);
  const sectorCat = asCat(sectorCol);
  const qualificationCat = asCat(columns.qualification ? getColumn(spells, columns.qualification, 'qualification') : null);
  const reasons: Record<SpellExclusion['reason'], { count: number; rows: number[] }> = {
    'unknown person': { count: 0, rows: [] },
    'bad start date': { count: 0, rows: [] },
    'bad end date': { count: 0, rows: [] },
    'end before start': { count: 0, rows: [] },
  };
  const keep: number[] = [];
  const person = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const l = idLabels[i];
    const p = l === null ? undefined : index.get(l);
    let reason: SpellExclusion['reason'] | null = null;
    if (p === undefined) reason = 'unknown person';
    else if (!Number.isFinite(s.days[i]!)) reason = 'bad start date';
    else if (e.invalid[i]) reason = 'bad end date';
    else if (!Number.isNaN(e.days[i]!) && e.days[i]! < s.days[i]!) reason = 'end before start';
    if (reason) {
      const r = reasons[reason];
      r.count++;
      if (r.rows.length < 5) r.rows.push(i);
      continue;
    }
    person[i] = p!;
    keep.push(i);
  }
  const exclusions: SpellExclusion[] = Object.entries(reasons)
    .filter(([, v]) => v.count > 0)
    .map(([reason, v]) => ({ reason: reason as SpellExclusion['reason'], count: v.count, rows: v.rows }));
  if (options.strict && exclusions.length) {
    const problems: Problem[] = exclusions.map((x) => ({
      code: x.reason === 'unknown person' ? 'unknown_person' : x.reason === 'end before start' ? 'bad_spell' : 'bad_date',
      column: x.reason === 'unknown person' ? columns.id : x.reason === 'bad end date' ? columns.end : columns.start,
      rows: x.rows,
      count: x.count,
      message: `${x.count} spell(s) with ${x.reason} (${describeRows(x.rows, x.count)}): fix them, or run without strict to exclude and report them`,
    }));
    throw new CounterfactError(problems);
  }
  keep.sort((a, b) => person[a]! - person[b]! || s.days[a]! - s.days[b]! || a - b);
  const nPeople = peopleIds.length;
  const offsets = new Int32Array(nPeople + 1);
  for (const i of keep) offsets[person[i]! + 1]!++;
  for (let p = 0; p < nPeople; p++) offsets[p + 1] += offsets[p]!;
  const m = keep.length;
  let lastDay = -Infinity;
  for (const i of keep) {
    if (s.days[i]! > lastDay) lastDay = s.days[i]!;
    const e1 = e.days[i]!;
    if (Number.isFinite(e1) && e1 > lastDay) lastDay = e1;
  }
  const start = new Float64Array(m);
  const end = new Float64Array(m);
  const type = typeCat ? new Int32Array(m) : null;
  const sector = sectorCat ? new Int32Array(m) : null;
  const qualification = qualificationCat ? new Int32Array(m) : null;
  keep.forEach((i, k) => {
    start[k] = s.days[i]!;
    end[k] = Number.isNaN(e.days[i]!) ? Infinity : e.days[i]!;
    if (type) type[k] = typeCat!.codes[i]!;
    if (sector) sector[k] = sectorCat!.codes[i]!;
    if (qualification) qualification[k] = qualificationCat!.codes[i]!;
  });
  return Object.freeze({
    kind: 'Spells',
    nPeople,
    offsets,
    start,
    end,
    type,
    typeLevels: typeCat?.levels ?? [],
    sector,
    sectorLevels: sectorCat?.levels ?? [],
    qualification,
    qualificationLevels: qualificationCat?.levels ?? [],
    spellsRead: n,
    spellsUsed: m,
    exclusions,
    lastDay,
  });
}

/** 1 if person p has a contract active on `day` (start ≤ day ≤ end), else 0. O(spells of p). */
export function employedOn(spells: Spells, p: number, day: number): number {
  const a = spells.offsets[p]!;
  const b = spells.offsets[p + 1]!;
  for (let k = a; k < b; k++) {
    if (spells.start[k]! > day) return 0; // sorted by start: no later spell can cover day
    if (spells.end[k]! >= day) return 1;
  }
  return 0;
}

/**
 * Employment status of every person at each horizon (months after their reference date).
 * Returns one Float64Array per horizon: 1 employed, 0 not, NaN when the person has no
 * reference date. Cost: O(horizons × (people + spells)).
 * @example statusAt(spells, ref, [6, 12, 18])[2][0] // 1: person 0 employed 18 months after
 */
export function statusAt(spells: Spells, referenceDays: Float64Array, horizonsMonths: readonly number[]): Float64Array[] {
  checkHorizons(horizonsMonths);
  if (referenceDays.length !== spells.nPeople) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: 'referenceDays',
      message: `referenceDays has ${referenceDays.length} values but the spells cover ${spells.nPeople} people`,
    });
  }
  return horizonsMonths.map((h) => {
    const out = new Float64Array(spells.nPeople);
    for (let p = 0; p < spells.nPeople; p++) {
      const r = referenceDays[p]!;
      out[p] = Number.isFinite(r) ? employedOn(spells, p, addMonths(r, h)) : NaN;
    }
    return out;
  });
}

function checkHorizons(h: readonly number[]): void {
  if (h.length === 0 || h.some((x) => !Number.isInteger(x))) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: 'horizons',
      message: `horizons must be a non-empty list of whole numbers of months, received ${JSON.stringify(h)}`,
    });
  }
}

/**
 * Outcomes for a matched sample at each horizon: treated units at their own reference date;
 * the control of match m at the reference date of match m's treated unit (so a control reused
 * by two treated units is measured at two dates). `unitOutcome` feeds `estimateATT`'s
 * `outcome`, `pairOutcome` its `pairOutcome`.
 * Cost: O(horizons × (treated + matches) × spells per person).
 * @throws CounterfactError when a matched treated unit has no reference date.
 */
export function statusForMatches(
  spells: Spells,
  match: MatchResult,
  referenceDays: Float64Array,
  horizonsMonths: readonly number[],
): { horizon: number; unitOutcome: Float64Array; pairOutcome: Float64Array; beyondLastDate: number }[] {
  checkHorizons(horizonsMonths);
  const n = match.nUnits;
  const bad: number[] = [];
  let badCount = 0;
  for (let i = 0; i < n; i++) {
    if (match.treatment[i] && match.matched[i] && !Number.isFinite(referenceDays[i]!)) {
      badCount++;
      if (bad.length < 5) bad.push(i);
    }
  }
  if (badCount) {
    throw new CounterfactError({
      code: 'bad_date',
      column: 'referenceDate',
      rows: bad,
      count: badCount,
      message: `${badCount} matched treated unit(s) have no reference date (${describeRows(bad, badCount)}): every treated unit needs one (course end, voucher intake)`,
    });
  }
  const p = match.pairs;
  const beyond = horizonsBeyondData(spells, match, referenceDays, horizonsMonths);
  return horizonsMonths.map((h, k) => {
    const unitOutcome = new Float64Array(n).fill(NaN);
    for (let i = 0; i < n; i++) {
      if (match.treatment[i] && match.matched[i]) unitOutcome[i] = employedOn(spells, i, addMonths(referenceDays[i]!, h));
    }
    const pairOutcome = new Float64Array(p.treated.length);
    for (let m = 0; m < p.treated.length; m++) {
      pairOutcome[m] = employedOn(spells, p.control[m]!, addMonths(referenceDays[p.treated[m]!]!, h));
    }
    return { horizon: h, unitOutcome, pairOutcome, beyondLastDate: beyond[k]! };
  });
}

/**
 * For each horizon, how many matched treated units have their horizon date (reference date +
 * h months) after the last date the spells show — their status there is unknown, not
 * "not employed". Refuses a horizon where that is every matched treated unit (the curve would
 * be all zeros), naming the horizon and the last date.
 * @throws CounterfactError `bad_argument` on `horizons`.
 */
export function horizonsBeyondData(spells: Spells, match: MatchResult, referenceDays: Float64Array, horizonsMonths: readonly number[]): number[] {
  const treated: number[] = [];
  for (let i = 0; i < match.nUnits; i++) if (match.treatment[i] && match.matched[i] && Number.isFinite(referenceDays[i]!)) treated.push(i);
  const last = spells.lastDay;
  const lastText = Number.isFinite(last) ? formatDate(last) : 'none (no dated contract)';
  const counts = horizonsMonths.map((h) => {
    let c = 0;
    for (const i of treated) if (!(addMonths(referenceDays[i]!, h) <= last)) c++;
    return c;
  });
  const refused = horizonsMonths.filter((_, k) => treated.length > 0 && counts[k] === treated.length);
  if (refused.length) {
    let earliest = Infinity;
    for (const i of treated) earliest = Math.min(earliest, referenceDays[i]!);
    throw new CounterfactError({
      code: 'bad_argument',
      column: 'horizons',
      message: `horizon(s) ${refused.join(', ')} month(s) fall after the last date in the spells (${lastText}) for every matched treated unit (earliest reference date ${formatDate(earliest)}): employment there is unknown, not zero; drop those horizons or use spells that reach further`,
    });
  }
  return counts;
}

/**
 * The alternative to per-match dates: every control without a reference date gets a fixed
 * pseudo-date drawn (uniformly, with replacement) from the treated units' reference dates,
 * with the given seeded generator. Treated units keep theirs.
 * Cost: O(n).
 * @throws CounterfactError when no treated unit has a reference date.
 */
export function pseudoReferenceDates(treatment: Uint8Array, referenceDays: Float64Array, rng: Rng): Float64Array {
  const pool: number[] = [];
  for (let i = 0; i < treatment.length; i++) if (treatment[i] && Number.isFinite(referenceDays[i]!)) pool.push(referenceDays[i]!);
  if (pool.length === 0) {
    throw new CounterfactError({ code: 'bad_date', column: 'referenceDate', message: 'no treated unit has a reference date to draw pseudo-dates from' });
  }
  const out = Float64Array.from(referenceDays);
  for (let i = 0; i < treatment.length; i++) if (!treatment[i] && !Number.isFinite(out[i]!)) out[i] = pool[rng.int(pool.length)]!;
  return out;
}

/* historyCovariates (pre-treatment work history) moved to src/history/workHistory.ts, beside
 * workHistory; src/outcomes/index.ts re-exports it for existing callers. */
