import { describe, expect, it } from 'vitest';
import { fromColumns } from '../../src/data/table.js';
import { parseStudy, runStudy } from '../../src/study/index.js';

function tables() {
  const id: number[] = [];
  const t: number[] = [];
  const x: number[] = [];
  const y: number[] = [];
  const start: (string | null)[] = [];
  const sid: number[] = [];
  const sStart: string[] = [];
  const sEnd: (string | null)[] = [];
  const sector: string[] = [];
  for (let i = 1; i <= 60; i++) {
    id.push(i);
    t.push(i % 3 === 0 ? 1 : 0);
    x.push((i * 7) % 11);
    y.push((i * 5) % 2);
    start.push(i % 3 === 0 ? `2016-0${1 + (i % 9)}-15` : null);
    sid.push(i);
    sStart.push(`2015-0${1 + (i % 9)}-01`);
    sEnd.push(i % 5 === 0 ? null : `2015-1${i % 3}-20`);
    sector.push(['retail', 'tourism', 'services'][i % 3]!);
  }
  return { persons: fromColumns({ id, t, x, y, start }), spells: fromColumns({ id: sid, start: sStart, end: sEnd, sector }) };
}

describe('study file: history section', () => {
  const doc = {
    data: { persons: 'p.csv', spells: 's.csv' },
    id: 'id',
    treatment: 't',
    covariates: ['x', 'months_employed', 'emp_m3', 'longest_sector'],
    outcomes: [{ type: 'binary', column: 'y' }],
    history: { date: 'start', controls: '2016-01-01', spellColumns: { sector: 'sector' } },
  };

  it('adds the history columns before the fit and states how controls were dated', () => {
    const r = runStudy(parseStudy(doc), tables());
    const h = r.settings.historyApplied as Record<string, unknown>;
    expect(h.controlDating).toEqual({ cohortDate: '2016-01-01' });
    expect(String(h.controls)).toMatch(/\(40\) measured at the cohort date 2016-01-01/);
    expect(r.balance.rows.map((b) => b.covariate)).toContain('months_employed');
    expect(r.outcomes[0]!.effect.estimate).not.toBeNull();
  });

  it('pseudo-dates by default, seeded by the study seed', () => {
    const r = runStudy(parseStudy({ ...doc, history: { date: 'start', spellColumns: { sector: 'sector' } } }), tables());
    expect((r.settings.historyApplied as Record<string, unknown>).controlDating).toEqual({ pseudo: true, seed: 1 });
  });

  it('refuses a history section without data.spells, naming it', () => {
    expect(() => parseStudy({ ...doc, data: { persons: 'p.csv' } })).toThrow(/data.spells: the history section needs a contract spells file/);
  });

  it('refuses a controls value that is neither pseudo nor a date', () => {
    expect(() => runStudy(parseStudy({ ...doc, history: { date: 'start', controls: 'later' } }), tables())).toThrow(/history.controls must be "pseudo"/);
  });
});
