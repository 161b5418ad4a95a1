/**
 * Hostile-input corpus for the work-history step (`counterfact estimate --history`): every
 * case is an exit code plus the message fragment naming the flag or column and the fix, or the
 * right answer.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCase, runCli, type CorpusCase } from './harness.js';

/** 40 people: treated (t = 1) have a course start date; controls none. Spells: one or two each. */
function files(): Record<string, string> {
  const people = ['id,t,x,y,start_date,did'];
  const spells = ['id,start,end,type,sector,qual'];
  for (let i = 1; i <= 40; i++) {
    const t = i % 3 === 0 ? 1 : 0;
    people.push(`${i},${t},${(i * 7) % 11},${(i * 5) % 2},${t ? `2016-0${1 + (i % 9)}-15` : ''},2015-0${1 + (i % 9)}-01`);
    spells.push(
      `${i},2015-0${1 + (i % 9)}-01,2015-1${i % 3}-20,${i % 2 ? 'fixed_term' : 'open_ended'},${['retail', 'tourism', 'services'][i % 3]},${['low', 'mid', 'high'][i % 3]}`,
    );
    if (i % 4 === 0) spells.push(`${i},2014-03-01,,temp_agency,retail,low`);
  }
  return { 'people.csv': `${people.join('\n')}\n`, 'spells.csv': `${spells.join('\n')}\n` };
}

const base = (extra: string[], covariates = 'x,months_employed,never_employed') => [
  'estimate',
  '--data',
  '{dir}/people.csv',
  '--treatment',
  't',
  '--outcome',
  'y',
  '--id',
  'id',
  '--covariates',
  covariates,
  '--se',
  'none',
  '--replace',
  ...extra,
];
const H = [
  '--spells',
  '{dir}/spells.csv',
  '--history',
  '--history-date',
  'start_date',
  '--spell-qualification',
  'qual',
  '--qualification-order',
  'low,mid,high',
];

const cases: CorpusCase[] = [
  { name: '--history without --spells', files: files(), args: base(['--history', '--history-date', 'start_date']), code: 2, err: /--history needs --spells/ },
  { name: '--history without --id', files: files(), args: base(H).filter((a, k, all) => a !== '--id' && all[k - 1] !== '--id'), code: 2, err: /needs --id/ },
  { name: '--history without a date column', files: files(), args: base(['--spells', '{dir}/spells.csv', '--history']), code: 2, err: /--history-date COL/ },
  {
    name: 'a history date column that does not exist',
    files: files(),
    args: base([...H.slice(0, 3), '--history-date', 'course_start']),
    code: 2,
    err: /course_start/,
  },
  { name: 'text qualification levels without an order', files: files(), args: base(H.slice(0, 7)), code: 2, err: /qualification.*lowest first/ },
  {
    name: 'a qualification order missing a level',
    files: files(),
    args: base([...H.slice(0, 7), '--qualification-order', 'low,high']),
    code: 2,
    err: /does not rank "mid"/,
  },
  {
    name: '--controls-dated that is neither pseudo nor a date',
    files: files(),
    args: base([...H, '--controls-dated', 'soon']),
    code: 2,
    err: /--controls-dated must be "pseudo".*cohort date/,
  },
  {
    name: '--history-months 0',
    files: files(),
    args: base([...H, '--history-months', '0']),
    code: 2,
    err: /--history-months must be a whole number from 1 to 120/,
  },
  { name: '--engine with an unknown name', files: files(), args: base([...H, '--engine', 'spark']), code: 2, err: /--engine must be memory or duckdb/ },
  { name: '--engine duckdb on a CSV spells file', files: files(), args: base([...H, '--engine', 'duckdb']), code: 2, err: /Parquet.*--engine memory/ },
  {
    name: 'data that already have a history column',
    files: { ...files(), 'people.csv': files()['people.csv']!.replace('id,t,x,y,start_date,did', 'id,t,x,y,start_date,emp_m1') },
    args: base(H),
    code: 2,
    err: /already have column\(s\) `emp_m1`.*rename/,
  },
  { name: 'a history column named as a covariate without --history', files: files(), args: base([]), code: 2, err: /months_employed/ },
  {
    name: 'a cohort date for the controls: stated in the JSON settings',
    files: files(),
    args: base([...H, '--controls-dated', '2016-01-01', '--did', 'did', '--json'], 'x,months_employed,emp_m1,days_since_did'),
    code: 0,
    check: (r) => {
      const j = JSON.parse(r.stdout);
      expect(j.settings.history.controlDating).toEqual({ cohortDate: '2016-01-01' });
      expect(j.settings.history.controls).toMatch(/\(27\) measured at the cohort date 2016-01-01/);
      expect(r.stderr).toMatch(/work history \(memory\)/);
    },
  },
  {
    name: 'pseudo-dates are seeded: two runs give the same estimate',
    files: files(),
    args: base([...H, '--json'], 'x,months_employed,emp_m1,highest_qualification'),
    code: 0,
    check: async (r) => {
      const j = JSON.parse(r.stdout);
      const again = await runCli({ files: files(), args: base([...H, '--json'], 'x,months_employed,emp_m1,highest_qualification') });
      expect(JSON.parse(again.stdout).estimate).toBe(j.estimate);
      expect(j.settings.history.controlDating).toEqual({ pseudo: true, seed: 1 });
      expect(readFileSync(join(r.dir, 'people.csv'), 'utf8')).not.toMatch(/emp_m1/); // the input is never written
    },
  },
];

describe('corpus: work history (estimate --history)', () => {
  for (const c of cases) it(c.name, () => runCase(c).then(() => undefined));
});
