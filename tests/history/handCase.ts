/**
 * A small work-history case whose answers are worked out by hand (in the comments), shared by
 * the in-memory and the DuckDB tests. Months: 3. Qualification order: 1 < 2 < 3.
 */
import { parseDate } from '../../src/data/dates.js';
import { columnLabels, fromColumns, type Column } from '../../src/data/table.js';

const D = parseDate;

export const HAND_PEOPLE = ['A', 'B', 'C', 'D', 'E', 'F'];
export const HAND_REFERENCE = Float64Array.from([D('2016-03-31'), D('2016-05-15'), NaN, D('2016-01-10'), D('2016-06-01'), D('2016-01-01')]);
export const HAND_DID = Float64Array.from([D('2015-11-30'), NaN, D('2015-01-01'), NaN, D('2016-06-01'), D('2016-02-01')]);

// prettier-ignore
export const HAND_SPELLS = fromColumns({
  id: ['A', 'A', 'A', 'B', 'B', 'B', 'C', 'E', 'F', 'F', 'X'],
  start: [
    '2015-12-01',
    '2016-02-29',
    '2016-03-31',
    '2016-03-16',
    '2016-01-01',
    '2016-04-15',
    '2015-01-01',
    '2016-06-01',
    '2015-06-01',
    '2015-03-01',
    '2015-01-01',
  ],
  end: ['2016-01-31', '', '2016-12-31', '2016-04-14', '2016-02-14', '2016-04-15', '2015-12-31', '', '2015-06-10', '2015-03-10', '2016-12-31'],
  type: [
    'fixed_term',
    'open_ended',
    'fixed_term',
    'temp_agency',
    'temp_agency',
    'apprenticeship',
    'fixed_term',
    'open_ended',
    'fixed_term',
    'apprenticeship',
    'fixed_term',
  ],
  sector: ['retail', 'services', 'tourism', 'manufacturing', 'construction', 'retail', 'retail', 'services', 'tourism', 'construction', 'retail'],
  qual: ['2', '1', '3', null, '1', null, '2', '3', null, null, '3'],
});

/**
 * The answers, by hand. Month k's day is the reference date minus k calendar months.
 * A (ref 2016-03-31; m1 2016-02-29, m2 2016-01-31, m3 2015-12-31):
 *   A1 1 Dec – 31 Jan covers m3 and m2 (end day included); A2 from 29 Feb, open-ended, covers m1,
 *   clipped to 30 Mar = 31 days; A3 starts on the reference date: not counted.
 *   Highest qualification 2 (A3's 3 is not counted). Longest: A1 (62 days) retail — A2 would be
 *   longest if its open end were not clipped. Types 1 fixed_term, 1 open_ended: tie → fixed_term.
 *   DID 2015-11-30: 31 + 31 + 29 + 31 = 122 days.
 * B (ref 2016-05-15; m1 2016-04-15, m2 2016-03-15, m3 2016-02-15):
 *   B1 16 Mar – 14 Apr covers none; B2 1 Jan – 14 Feb misses m3 by one day; B3 one day, 15 Apr =
 *   m1. Highest 1 (the others have none). Longest B2 (45 days) construction. temp_agency 2 : 1.
 * C: no reference date: every column missing.
 * D (ref 2016-01-10): no contract: never employed, "none" everywhere.
 * E (ref 2016-06-01): its only contract starts on the reference date: never employed.
 * F (ref 2016-01-01; m1 2015-12-01 …): two 10-day contracts long before: employed in no month but
 *   not never-employed; longest tie → the earlier start (F2, construction); types tie 1 : 1 →
 *   apprenticeship; no qualification known → none. DID 2016-02-01, after the reference: −31.
 * X is not a person: ignored.
 */
export const HAND_ANSWERS = {
  emp_m1: [1, 1, NaN, 0, 0, 0],
  emp_m2: [1, 0, NaN, 0, 0, 0],
  emp_m3: [1, 0, NaN, 0, 0, 0],
  months_employed: [3, 1, NaN, 0, 0, 0],
  never_employed: [0, 0, NaN, 1, 1, 0],
  highest_qualification: ['2', '1', null, 'none', 'none', 'none'],
  longest_sector: ['retail', 'construction', null, 'none', 'none', 'construction'],
  main_contract_type: ['fixed_term', 'temp_agency', null, 'none', 'none', 'apprenticeship'],
  days_since_did: [122, NaN, NaN, NaN, 0, -31],
} as const;

export const HAND_COLUMNS = { id: 'id', start: 'start', end: 'end', type: 'type', sector: 'sector', qualification: 'qual' } as const;

/** A column as plain values: numbers, or labels (null = missing). */
export function plain(c: Column): (number | string | null)[] {
  return c.kind === 'numeric' ? Array.from(c.values) : columnLabels(c);
}
