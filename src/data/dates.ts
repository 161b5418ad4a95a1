/**
 * Dates as integer days since 1970-01-01 (UTC): parsed once, compared as numbers.
 */
import { CounterfactError, describeRows } from '../problems.js';
import type { Table } from './table.js';
import { getColumn } from './table.js';

const DAY = 86_400_000;

function ymdToDays(y: number, m: number, d: number): number {
  if (!(m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m))) return NaN;
  return Math.round(Date.UTC(y, m - 1, d) / DAY);
}

/** Days in month m (1–12) of year y. */
export function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/**
 * Parse a date to days since 1970-01-01; NaN if it is not one. Accepts ISO `yyyy-mm-dd`
 * (optionally followed by a time), `dd/mm/yyyy` and `dd-mm-yyyy` (day first, as Italian
 * exports), `dd.mm.yyyy`, and `yyyymmdd`.
 * @example parseDate('2016-03-31') // 16891; parseDate('31/03/2016') // 16891
 */
export function parseDate(s: string): number {
  const t = s.trim();
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$/.exec(t);
  if (m) return ymdToDays(+m[1]!, +m[2]!, +m[3]!);
  m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(t);
  if (m) return ymdToDays(+m[3]!, +m[2]!, +m[1]!);
  m = /^(\d{4})(\d{2})(\d{2})$/.exec(t);
  if (m) return ymdToDays(+m[1]!, +m[2]!, +m[3]!);
  return NaN;
}

/** ISO `yyyy-mm-dd` for a day number. */
export function formatDate(days: number): string {
  return new Date(days * DAY).toISOString().slice(0, 10);
}

/**
 * The date h months after `days` (h may be negative). Day-of-month convention: the same day
 * number, clamped to the last day of the target month (31 Jan + 1 month = 28/29 Feb), as
 * lubridate's `%m+%`.
 * @example formatDate(addMonths(parseDate('2016-01-31'), 1)) // '2016-02-29'
 */
export function addMonths(days: number, h: number): number {
  if (!Number.isFinite(days)) return NaN;
  const d = new Date(days * DAY);
  const y = d.getUTCFullYear();
  const mIdx = d.getUTCMonth() + h;
  const ty = y + Math.floor(mIdx / 12);
  const tm = ((mIdx % 12) + 12) % 12;
  const day = Math.min(d.getUTCDate(), daysInMonth(ty, tm + 1));
  return Math.round(Date.UTC(ty, tm, day) / DAY);
}

/**
 * A date column as days: numeric columns are taken as day numbers already; text columns are
 * parsed with {@link parseDate}. Empty / NA cells are NaN when `allowMissing`.
 * @throws CounterfactError `bad_date` with the count and first rows of unparseable values.
 */
export function dateColumnToDays(table: Table, column: string, allowMissing = false): Float64Array {
  const col = getColumn(table, column, 'date');
  if (col.kind === 'numeric') {
    if (!allowMissing) {
      const bad: number[] = [];
      let count = 0;
      col.values.forEach((v, i) => {
        if (!Number.isFinite(v)) {
          count++;
          if (bad.length < 5) bad.push(i);
        }
      });
      if (count) {
        throw new CounterfactError({
          code: 'bad_date',
          column,
          rows: bad,
          count,
          message: `date column \`${column}\` has ${count} missing values (${describeRows(bad, count)})`,
        });
      }
    }
    return col.values;
  }
  const parsed = col.levels.map(parseDate);
  const out = new Float64Array(col.codes.length);
  const bad: number[] = [];
  let count = 0;
  let example = '';
  for (let i = 0; i < out.length; i++) {
    const c = col.codes[i]!;
    if (c < 0) {
      out[i] = NaN;
      if (!allowMissing) {
        count++;
        if (bad.length < 5) bad.push(i);
      }
      continue;
    }
    const v = parsed[c]!;
    if (Number.isNaN(v)) {
      count++;
      if (bad.length < 5) bad.push(i);
      if (!example) example = col.levels[c]!;
    }
    out[i] = v;
  }
  if (count) {
    throw new CounterfactError({
      code: 'bad_date',
      column,
      rows: bad,
      count,
      message: `date column \`${column}\` has ${count} ${example ? `values that are not dates (e.g. "${example}")` : 'missing values'} (${describeRows(bad, count)}): use yyyy-mm-dd or dd/mm/yyyy`,
    });
  }
  return out;
}
