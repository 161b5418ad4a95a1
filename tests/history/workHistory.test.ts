import { describe, expect, it } from 'vitest';
import { fromColumns } from '../../src/data/table.js';
import { historyCovariates, workHistory, workHistoryColumnNames } from '../../src/history/index.js';
import { prepareSpells } from '../../src/outcomes/index.js';
import { CounterfactError } from '../../src/problems.js';
import { HAND_ANSWERS, HAND_COLUMNS, HAND_DID, HAND_PEOPLE, HAND_REFERENCE, HAND_SPELLS, plain } from './handCase.js';

describe('workHistory: the hand-built case', () => {
  const spells = prepareSpells(HAND_SPELLS, HAND_COLUMNS, HAND_PEOPLE);
  const h = workHistory(spells, HAND_REFERENCE, { months: 3, qualificationOrder: ['1', '2', '3'], didDays: HAND_DID });

  it('has the documented columns, in order', () => {
    expect(Object.keys(h)).toEqual(workHistoryColumnNames(3));
    expect(workHistoryColumnNames().slice(0, 2)).toEqual(['emp_m1', 'emp_m2']);
    expect(workHistoryColumnNames()).toHaveLength(18 + 6);
  });

  for (const [name, want] of Object.entries(HAND_ANSWERS)) {
    it(name, () => expect(plain(h[name]!)).toEqual(want));
  }

  it('categorical levels are the spells levels plus "none", sorted', () => {
    expect((h.longest_sector as { levels: readonly string[] }).levels).toEqual(['construction', 'manufacturing', 'none', 'retail', 'services', 'tourism']);
    expect((h.highest_qualification as { levels: readonly string[] }).levels).toEqual(['1', '2', '3', 'none']);
  });

  it('the qualification order decides "highest", not the level names', () => {
    const r = workHistory(spells, HAND_REFERENCE, { months: 3, qualificationOrder: ['3', '2', '1'] });
    // A's counted contracts hold 2 and 1: with 3 < 2 < 1 the highest is 1.
    expect(plain(r.highest_qualification!)[0]).toBe('1');
  });

  it('numeric qualification levels rank numerically without an order; text levels need one', () => {
    const r = workHistory(spells, HAND_REFERENCE, { months: 3 });
    expect(plain(r.highest_qualification!)).toEqual(HAND_ANSWERS.highest_qualification);
    const text = fromColumns({ id: ['A'], start: ['2015-01-01'], end: ['2015-02-01'], qual: ['clerk'] });
    const s = prepareSpells(text, { id: 'id', start: 'start', end: 'end', qualification: 'qual' }, ['A']);
    expect(() => workHistory(s, HAND_REFERENCE.slice(0, 1))).toThrow(/not numbers.*"clerk".*lowest first/);
    expect(() => workHistory(s, HAND_REFERENCE.slice(0, 1), { qualificationOrder: ['worker'] })).toThrow(/does not rank "clerk"/);
  });

  it('refuses a reference-date array of the wrong length and bad months', () => {
    expect(() => workHistory(spells, HAND_REFERENCE.slice(0, 2))).toThrow(CounterfactError);
    expect(() => workHistory(spells, HAND_REFERENCE, { months: 0, qualificationOrder: ['1', '2', '3'] })).toThrow(/months/);
  });

  it('spells without type, sector or qualification give "none" for those columns', () => {
    const s = prepareSpells(HAND_SPELLS, { id: 'id', start: 'start', end: 'end' }, HAND_PEOPLE);
    const r = workHistory(s, HAND_REFERENCE, { months: 3 });
    expect(plain(r.longest_sector!)).toEqual(['none', 'none', null, 'none', 'none', 'none']);
    expect(plain(r.emp_m1!)).toEqual(HAND_ANSWERS.emp_m1);
    expect(plain(r.days_since_did!).every((x) => Number.isNaN(x))).toBe(true);
  });

  it('historyCovariates (the earlier name) returns its subset unchanged', () => {
    const old = historyCovariates(spells, HAND_REFERENCE, { months: 3 });
    expect(Object.keys(old)).toEqual(['emp_m1', 'emp_m2', 'emp_m3', 'months_employed', 'longest_sector', 'main_contract_type']);
    expect(plain(old.longest_sector!)).toEqual(HAND_ANSWERS.longest_sector);
  });
});

describe('workHistory scales linearly', () => {
  it('50,000 people with 5 spells each in well under a few seconds', () => {
    const n = 50_000;
    const ids: number[] = [];
    const start: string[] = [];
    const levels = ['2014-01-01', '2014-07-01', '2015-01-01', '2015-07-01', '2016-01-01'];
    for (let i = 0; i < n; i++) for (let k = 0; k < 5; k++) ids.push(i), start.push(levels[(i + k) % 5]!);
    const s = prepareSpells(
      fromColumns({ id: ids, start, end: start.map(() => null) }),
      { id: 'id', start: 'start', end: 'end' },
      Array.from({ length: n }, (_, i) => i),
    );
    const ref = new Float64Array(n).fill(16800);
    const t0 = performance.now();
    const h = workHistory(s, ref);
    const ms = performance.now() - t0;
    expect(plain(h.months_employed!).slice(0, 1)).toEqual([18]);
    expect(ms).toBeLessThan(3000);
  });
});
