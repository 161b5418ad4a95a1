import { describe, expect, it } from 'vitest';
import { addMonths, formatDate, parseDate } from '../../src/data/dates.js';
import { fromColumns } from '../../src/data/table.js';
import { historyCovariates, prepareSpells, pseudoReferenceDates, statusAt, statusForMatches } from '../../src/outcomes/index.js';
import { buildMatchResult } from '../../src/matching/index.js';
import { estimateATTCurve } from '../../src/outcomes/index.js';
import { estimateATT } from '../../src/effects/index.js';
import { createRng } from '../../src/random.js';

const D = parseDate;

describe('dates', () => {
  it('parses ISO, Italian day-first and compact forms to the same day', () => {
    expect(D('2016-03-31')).toBe(16891);
    expect(D('31/03/2016')).toBe(16891);
    expect(D('31-03-2016')).toBe(16891);
    expect(D('20160331')).toBe(16891);
    expect(D('2016-02-30')).toBeNaN();
    expect(D('March 2016')).toBeNaN();
  });
  it('adds months clamping the day to the month length', () => {
    expect(formatDate(addMonths(D('2016-01-31'), 1))).toBe('2016-02-29');
    expect(formatDate(addMonths(D('2015-01-31'), 1))).toBe('2015-02-28');
    expect(formatDate(addMonths(D('2015-06-15'), 18))).toBe('2016-12-15');
    expect(formatDate(addMonths(D('2016-03-31'), -1))).toBe('2016-02-29');
  });
});

describe('employment status from spells (hand-checked cases)', () => {
  // People: A (ref 2015-01-15), B (ref 2015-01-15), C (no ref), D (ref 2015-01-31).
  const people = ['A', 'B', 'C', 'D'];
  const spells = fromColumns({
    id: ['A', 'A', 'B', 'B', 'C', 'D', 'X', 'D', 'B'],
    start: ['2015-01-01', '2015-06-01', '2015-07-16', '2015-03-01', '2014-01-01', '2015-02-28', '2015-01-01', '2015-05-10', 'not a date'],
    end: ['2015-07-15', '', '2015-08-01', '2015-07-15', '2014-06-30', '2015-02-28', '2015-12-31', '2015-05-01', '2015-01-01'],
    type: ['fixed_term', 'open_ended', 'temp', 'fixed_term', 'fixed_term', 'temp', 'temp', 'temp', 'temp'],
    sector: ['retail', 'retail', 'tourism', 'tourism', 'services', 'retail', 'retail', 'retail', 'retail'],
  });
  const s = prepareSpells(spells, { id: 'id', start: 'start', end: 'end', type: 'type', sector: 'sector' }, people);
  const ref = Float64Array.from([D('2015-01-15'), D('2015-01-15'), NaN, D('2015-01-31')]);

  it('reports every excluded spell with its reason, nothing silently dropped', () => {
    expect(s.spellsRead).toBe(9);
    expect(s.spellsUsed).toBe(6);
    expect(s.exclusions).toEqual([
      { reason: 'unknown person', count: 1, rows: [6] },
      { reason: 'bad start date', count: 1, rows: [8] },
      { reason: 'end before start', count: 1, rows: [7] },
    ]);
    expect(() => prepareSpells(spells, { id: 'id', start: 'start', end: 'end' }, people, { strict: true })).toThrow(
      /1 spell\(s\) with unknown person \(line 8\)/,
    );
  });

  it('end date inclusive, start the day after excluded, open-ended forever, overlaps once', () => {
    // 6 months after 2015-01-15 = 2015-07-15: A's first contract ends that day (counts) and the
    // open-ended one started 2015-06-01 (overlap counts once); B's second ends on it; B's
    // next starts 2015-07-16 (does not count at 6 months).
    const [m6, m7, m36] = statusAt(s, ref, [6, 7, 36]);
    expect(Array.from(m6!)).toEqual([1, 1, NaN, 0]);
    // 7 months: 2015-08-15: A open-ended yes; B's contract ended 2015-08-01: no.
    expect(Array.from(m7!)).toEqual([1, 0, NaN, 0]);
    expect(m36![0]).toBe(1);
  });

  it('month-end reference: 31 January + 1 month = 28 February (a one-day contract that day counts)', () => {
    expect(statusAt(s, ref, [1])[0]![3]).toBe(1);
  });

  it('a control reused by two treated units is measured at two dates', () => {
    // Units: 0 = A treated (ref 2015-01-15), 3 = D treated (ref 2015-01-31) both matched to
    // control 1 = B. At 6 months: B measured on 2015-07-15 (employed) and 2015-07-31 (employed,
    // 2015-07-16…08-01); at 7 months on 2015-08-15 (no) and 2015-08-31 (no).
    const match = buildMatchResult({
      method: 'test',
      treatment: Uint8Array.from([1, 0, 0, 1]),
      distance: null,
      pairs: { treated: Int32Array.from([0, 3]), control: Int32Array.from([1, 1]), weight: Float64Array.from([1, 1]) },
      discarded: new Uint8Array(4),
      unmatchedTreated: [],
      settings: { method: 'custom' },
      warnings: [],
    });
    const out = statusForMatches(s, match, ref, [2, 6]);
    // 2 months: A on 2015-03-15 (employed), D on 2015-03-31 (no); B on 2015-03-15 and 2015-03-31 (employed both).
    expect(Array.from(out[0]!.pairOutcome)).toEqual([1, 1]);
    expect(out[0]!.unitOutcome[0]).toBe(1);
    expect(out[0]!.unitOutcome[3]).toBe(0);
    expect(Array.from(out[1]!.pairOutcome)).toEqual([1, 1]);
    // The curve equals single-horizon estimates on the same match.
    const table = fromColumns({ id: people });
    const curve = estimateATTCurve(table, match, { spells: s, referenceDays: ref, horizons: [2, 6], se: 'none' });
    const single = estimateATT(table, match, { outcome: out[0]!.unitOutcome, pairOutcome: out[0]!.pairOutcome, se: 'none' });
    expect(curve.points[0]!.estimate).toBe(single.estimate);
    expect(curve.points[0]!.estimate).toBeCloseTo(0.5 - 1, 12);
  });

  it('pre-treatment history covariates', () => {
    const h = historyCovariates(s, ref, { months: 3 });
    // A on 2014-12-15, 2014-11-15, 2014-10-15: no contracts then → 0; D: 2014-12-31 … → 0.
    expect(Array.from((h.emp_m1 as { values: Float64Array }).values)).toEqual([0, 0, NaN, 0]);
    const sector = h.longest_sector as { codes: Int32Array; levels: readonly string[] };
    // A's only contract started before 2015-01-15: retail. B has none before its reference: none.
    expect(sector.levels[sector.codes[0]!]).toBe('retail');
    expect(sector.levels[sector.codes[1]!]).toBe('none');
    expect(sector.codes[2]).toBe(-1);
  });

  it('pseudo reference dates for controls are drawn from treated dates, seeded', () => {
    const t = Uint8Array.from([1, 0, 0, 1]);
    const a = pseudoReferenceDates(t, Float64Array.from([100, NaN, NaN, 200]), createRng(5));
    const b = pseudoReferenceDates(t, Float64Array.from([100, NaN, NaN, 200]), createRng(5));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect([100, 200]).toContain(a[1]);
    expect([100, 200]).toContain(a[2]);
  });
});
