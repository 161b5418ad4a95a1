import { describe, expect, it } from 'vitest';
import { runReproduction, LABOUR_COVARIATES } from '../../src/reproduce/index.js';
import { PUBLISHED, trainingCohort } from '../../src/synth/index.js';
import { estimateBySubgroup } from '../../src/heterogeneity/index.js';
import { prepareSpells } from '../../src/outcomes/index.js';
import { dateColumnToDays } from '../../src/data/dates.js';
import { columnLabels, getColumn, withColumn } from '../../src/data/table.js';

// The full pipeline on the seeded synthetic fixtures (never on stored outputs). Published
// values: the IRES Piemonte 2021 evaluation report, as listed in docs/reproducing.md.
const result = runReproduction();

describe('npm run reproduce: every published headline figure', () => {
  it('covers every published figure once', () => {
    expect(result.rows.map((r) => `${r.study}|${r.quantity}`).sort()).toEqual(PUBLISHED.map((p) => `${p.study}|${p.quantity}`).sort());
  });
  for (const r of result.rows) {
    it(`${r.study}: ${r.quantity} (published ${r.published} ${r.unit})`, () => {
      expect(r.withinCI).toBe(true);
      if (r.unit === 'pp' || r.unit === '%') {
        const tol = r.study === 'start-up support' ? 1.5 : 1;
        expect(Math.abs(r.estimate - r.published)).toBeLessThanOrEqual(tol);
        expect(r.ciLower!).toBeLessThanOrEqual(r.published);
        expect(r.ciUpper!).toBeGreaterThanOrEqual(r.published);
        // The naive (unmatched) comparison misses effects by at least 3 points.
        if (r.unit === 'pp') expect(Math.abs(r.naive! - r.published)).toBeGreaterThanOrEqual(3);
      } else if (r.ciLower !== null) {
        expect(r.ciLower).toBeLessThanOrEqual(r.published);
        expect(r.ciUpper!).toBeGreaterThanOrEqual(r.published);
      }
    });
  }
  it('matching balanced every study (|SMD| < 0.1)', () => {
    for (const b of result.balance) expect(b.balanced, b.study).toBe(true);
  });
  it('is deterministic', () => {
    expect(JSON.stringify(runReproduction().rows)).toBe(JSON.stringify(result.rows));
  });
});

describe('subgroup patterns built into the fixtures are recovered (STUDIES.md heterogeneity)', () => {
  const c = trainingCohort(2015);
  const ids = columnLabels(getColumn(c.people, 'id', 'id'));
  const spells = prepareSpells(c.spells, { id: 'id', start: 'start', end: 'end' }, ids);
  const referenceDays = dateColumnToDays(c.people, 'reference_date', true);
  const months = (c.people.columns.months_unemployed as { values: Float64Array }).values;
  const hours = (c.people.columns.course_hours as { values: Float64Array }).values;
  let people = withColumn(
    c.people,
    'long_term',
    Array.from(months, (m) => (m >= 24 ? 'yes' : 'no')),
  );
  people = withColumn(
    people,
    'long_course',
    Array.from(hours, (h) => (Number.isNaN(h) ? null : h >= 800 ? 'yes' : 'no')),
  );
  const spec = { treatment: 'treat', covariates: LABOUR_COVARIATES, id: 'id', matching: { replace: true, ratio: 5 } } as const;
  const spellOutcome = { spells, referenceDays, horizon: 18 };
  const est = (by: string, treatedOnly = false) => {
    const r = estimateBySubgroup(people, spec, { by, spellOutcome, treatedOnly, minCellCount: 10 });
    return Object.fromEntries(r.rows.map((x) => [x.subgroup, x]));
  };
  it('long-term unemployed: lower effect, still positive', () => {
    const r = est('long_term');
    expect(r.yes!.estimate!).toBeLessThan(r.no!.estimate!);
    expect(r.yes!.estimate!).toBeGreaterThan(0);
  });
  it('inoccupati: lower effect', () => {
    const r = est('inoccupato');
    expect(r['1']!.estimate!).toBeLessThan(r['0']!.estimate!);
  });
  it('courses of 800 hours or more: higher effect', () => {
    const r = est('long_course', true);
    expect(r.yes!.estimate!).toBeGreaterThan(r.no!.estimate!);
    expect(r.yes!.differencePValue!).toBeLessThan(0.05);
  });
  it('mechanics higher than average, tourism about zero', () => {
    const r = est('course_sector', true);
    expect(r.mechanics!.difference!).toBeGreaterThan(0);
    expect(Math.abs(r.tourism!.estimate!)).toBeLessThan(0.03);
    expect(r.tourism!.ciLower!).toBeLessThan(0);
  });
});
