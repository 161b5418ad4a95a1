import { describe, expect, it } from 'vitest';
import {
  type Cell,
  planSuppression,
  recoverableCells,
  redactSmallCounts,
  type Relation,
  suppressEstimateCounts,
  suppressStudyResults,
} from '../../src/privacy/index.js';

const cells = (o: Record<string, number | null>, counts = true) => new Map<string, Cell>(Object.entries(o).map(([k, v]) => [k, { value: v, count: counts }]));

describe('recoverableCells: exact linear algebra over every sum at once', () => {
  const rels: Relation[] = [
    { total: 'rows', parts: ['treated', 'controls'] },
    { total: 'treated', parts: ['mT', 'uT'] },
    { total: 'mT', parts: ['nT'] },
  ];
  it('a single hidden part of a shown sum is recoverable', () => {
    expect(recoverableCells(new Set(['uT']), ['uT'], rels)).toEqual(['uT']);
  });
  it('two hidden parts of one sum are not', () => {
    expect(recoverableCells(new Set(['uT', 'mT', 'nT']), ['uT'], rels)).toEqual([]);
  });
  it('a chain of sums is followed: hiding the total and the other part is not enough when both can be rebuilt', () => {
    // treated = rows − controls and mT = nT, so uT = treated − mT is still known.
    expect(recoverableCells(new Set(['uT', 'mT', 'treated']), ['uT'], rels)).toEqual(['uT']);
  });
});

describe('planSuppression', () => {
  it('the issue case: 5 unmatched treated under a minimum of 10 cannot be recovered from what is shown', () => {
    const c = cells({ rows: 600, treated: 100, controls: 500, mT: 95, uT: 5, nT: 95, mC: 95, uC: 405 });
    const rels: Relation[] = [
      { total: 'rows', parts: ['treated', 'controls'] },
      { total: 'treated', parts: ['mT', 'uT'] },
      { total: 'controls', parts: ['mC', 'uC'] },
      { total: 'mT', parts: ['nT'] },
    ];
    const p = planSuppression(c, rels, 10);
    expect(p.primary).toEqual(['uT']);
    expect(p.complementary.length).toBeGreaterThan(0);
    expect(recoverableCells(new Set(p.hidden), p.primary, rels)).toEqual([]);
    // The cheapest protection: the matched-treated count and its copy, not the totals.
    expect(new Set(p.complementary)).toEqual(new Set(['mT', 'nT']));
  });
  it('zero is shown, 1..min−1 hidden, min shown', () => {
    const p = planSuppression(cells({ a: 0, b: 1, c: 9, d: 10 }), [], 10);
    expect(p.primary).toEqual(['b', 'c']);
  });
  it('figures that are not counts are never primary; links hide them with their count', () => {
    const c = new Map<string, Cell>([
      ['n', { value: 3, count: true }],
      ['w', { value: 2.5, count: false }],
    ]);
    expect(planSuppression(c, [], 10, []).hidden).toEqual(['n']);
    expect(planSuppression(c, [], 10, [['n', 'w']]).hidden).toEqual(['n', 'w']);
  });
  it('a histogram with one small bin gets a second bin hidden', () => {
    const c = cells({ total: 60, b0: 20, b1: 4, b2: 36 });
    const rels = [{ total: 'total', parts: ['b0', 'b1', 'b2'] }];
    const p = planSuppression(c, rels, 10);
    expect(p.complementary).toEqual(['b0']);
    expect(recoverableCells(new Set(p.hidden), p.primary, rels)).toEqual([]);
  });
});

describe('suppressEstimateCounts (estimate --min-cell-count)', () => {
  const counts = {
    rows: 600,
    treated: 100,
    controls: 500,
    matchedTreated: 95,
    matchedControls: 95,
    unmatchedTreated: 5,
    unmatchedControls: 405,
    discardedTreated: 0,
    discardedControls: 0,
    unmatchedReasons: { 'no-control-within-caliper': 5 },
  };
  it('hides the 5, its reason, and enough to stop subtraction; the result does not contain a 5', () => {
    const r = suppressEstimateCounts(counts, { nTreated: 95, nControls: 95 }, 10);
    expect(r.counts.unmatchedTreated).toBeNull();
    expect(r.counts.unmatchedReasons['no-control-within-caliper']).toBeNull();
    expect(r.unmatchedKeptTreated).toBeNull();
    // Any shown pair that would give the 5 back by subtraction is broken.
    const shown = (x: number | null) => x !== null;
    expect(shown(r.counts.treated) && shown(r.counts.matchedTreated)).toBe(false);
    expect(shown(r.counts.treated) && shown(r.nTreated)).toBe(false);
    expect(JSON.stringify(r.counts)).not.toMatch(/:5[,}]/);
    expect(r.suppression.small).toContain('counts.unmatchedTreated');
  });
  it('changes nothing when every count is 0 or at least the minimum', () => {
    const r = suppressEstimateCounts({ ...counts, matchedTreated: 100, unmatchedTreated: 0, unmatchedReasons: {} }, { nTreated: 100, nControls: 95 }, 10);
    expect(r.suppression.small).toEqual([]);
    expect(r.suppression.complementary).toEqual([]);
    expect(r.counts.treated).toBe(100);
  });
});

describe('suppressStudyResults', () => {
  const base = () => ({
    minCellCount: 10,
    inputs: [{ role: 'persons', file: 'p.csv', sha256: 'x', rows: 300 }],
    counts: {
      rows: 300,
      treated: 100,
      controls: 200,
      matchedTreated: 100,
      matchedControls: 100,
      unmatchedTreated: 0,
      unmatchedControls: 100,
      discardedTreated: 0,
      discardedControls: 0,
      unmatchedReasons: {},
    },
    overlap: [
      { lo: 0, hi: 0.5, treatedBefore: 96, controlBefore: 150, treatedAfter: 96, controlAfter: 80, treatedAfterWeighted: 96, controlAfterWeighted: 80 },
      { lo: 0.5, hi: 1, treatedBefore: 4, controlBefore: 50, treatedAfter: 4, controlAfter: 20, treatedAfterWeighted: 4, controlAfterWeighted: 20 },
    ],
    outcomes: [{ type: 'binary', label: 'y', effect: { estimate: 0.1, se: 0.02, ciLower: 0.06, ciUpper: 0.14, nTreated: 100, nControls: 100 } }],
    subgroups: [
      {
        by: 'g',
        label: 'g',
        outcome: 'y',
        rows: [
          { subgroup: 'a', suppressed: false, nTreated: 60, nControls: 60, estimate: 0.1 },
          { subgroup: 'b', suppressed: false, nTreated: 35, nControls: 30, estimate: 0.2 },
          { subgroup: 'c', suppressed: true, nTreated: null, nControls: null, estimate: null },
        ],
      },
    ],
    arms: [],
    costs: null,
    sensitivity: { rosenbaum: { discordantTreated: 7, discordantControl: 40, gammaCritical: 1.2, rows: [] }, notes: [] },
    warnings: ['3 treated unit(s) had no control within the caliper', '2 covariate(s) remain imbalanced (|SMD| ≥ 0.1)'],
  });
  it('a small histogram bin is hidden with a partner bin in the same column, so that the group total does not give it back', () => {
    const r = suppressStudyResults(base(), 10);
    expect(r.overlap[1]!.treatedBefore).toBeNull();
    expect(r.overlap[1]!.treatedAfterWeighted).toBeNull();
    // treated (100) is shown, so bin 0 (96) or the total must be hidden too.
    expect(r.overlap[0]!.treatedBefore === null || r.counts.treated === null).toBe(true);
    expect(r.overlap[0]!.treatedAfter === null || r.counts.matchedTreated === null).toBe(true);
    expect(r.suppression.small).toContain('overlap.1.treatedBefore');
    expect(base().overlap[1]!.treatedBefore).toBe(4); // input untouched
  });
  it('a table with one suppressed row gets a second row suppressed (the smallest)', () => {
    const r = suppressStudyResults(base(), 10);
    const rows = r.subgroups[0]!.rows;
    expect(rows[1]).toMatchObject({ subgroup: 'b', suppressed: true, nTreated: null, estimate: null });
    expect(rows[0]).toMatchObject({ suppressed: false, nTreated: 60 });
    expect(r.suppression.complementary).toContain('subgroups.0.rows.1');
    expect(r.suppression.small).toContain('subgroups.0.rows.2');
  });
  it('small discordant-pair counts and small counts in warnings are hidden; other numbers in warnings stay', () => {
    const r = suppressStudyResults(base(), 10);
    expect(r.sensitivity.rosenbaum.discordantTreated).toBeNull();
    expect(r.sensitivity.rosenbaum.discordantControl).toBe(40);
    expect(r.warnings[0]).toBe('fewer than 10 treated unit(s) had no control within the caliper');
    expect(r.warnings[1]).toBe('2 covariate(s) remain imbalanced (|SMD| ≥ 0.1)');
  });
  it('an effect over fewer than the minimum matched treated loses its numbers', () => {
    const b = base();
    b.counts = { ...b.counts, matchedTreated: 8, unmatchedTreated: 92, unmatchedReasons: {} };
    b.outcomes[0]!.effect.nTreated = 8;
    const r = suppressStudyResults(b, 10);
    expect(r.outcomes[0]!.effect).toMatchObject({ nTreated: null, estimate: null, ciLower: null, se: null });
  });
});

describe('redactSmallCounts', () => {
  it('only numbers that count people', () => {
    expect(redactSmallCounts('5 contract spell(s) excluded: end before start (spell rows 3, 4)', 10)).toBe(
      'fewer than 10 contract spell(s) excluded: end before start (spell rows 3, 4)',
    );
    expect(redactSmallCounts('12 treated units; 0 controls; 0.5 units', 10)).toBe('12 treated units; 0 controls; 0.5 units');
    expect(redactSmallCounts('ties: 40 matches for 7 treated unit(s) (5.7 each)', 10)).toBe('ties: 40 matches for fewer than 10 treated unit(s) (5.7 each)');
  });
});
