/**
 * Hostile-input corpus: outcomes over time (spells → employment curves), survival, and the
 * standard errors and estimates that must never be silently wrong (issue 13). CLI `estimate`
 * with spells, and study files through `counterfact run`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addMonths, formatDate, parseDate } from '../../src/data/dates.js';
import { type CorpusCase, type CorpusRun, runCase } from './harness.js';

// A small deterministic register: 14 treated, 26 controls, every unit with its own reference date.
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
const rnd = lcg(13);
const N = 40;
interface Person {
  id: string;
  t: number;
  x: number;
  ref: number;
  months: number;
  closed: number;
  y: number;
}
const people: Person[] = Array.from({ length: N }, (_, i) => {
  const t = i % 3 === 0 || i === 40 - 1 ? 1 : 0;
  return {
    id: `P${100 + i}`,
    t,
    x: Math.round((rnd() * 4 + t) * 100) / 100,
    ref: parseDate('2016-01-01') + Math.floor(rnd() * 900),
    months: 1 + Math.floor(rnd() * 48),
    closed: rnd() < 0.55 ? 1 : 0,
    y: rnd() < 0.4 + 0.2 * t ? 1 : 0,
  };
});
interface Spell {
  id: string;
  start: number;
  end: number | null;
}
const spells: Spell[] = [];
for (const p of people) {
  const k = Math.floor(rnd() * 3);
  for (let j = 0; j < k; j++) {
    const start = parseDate('2015-06-01') + Math.floor(rnd() * 1400);
    const open = rnd() < 0.2;
    spells.push({ id: p.id, start, end: open ? null : Math.min(start + 30 + Math.floor(rnd() * 500), parseDate('2019-12-31')) });
  }
}
const LAST_DAY = Math.max(...spells.flatMap((s) => (s.end === null ? [s.start] : [s.start, s.end])));

const D = (d: number) => formatDate(d);
const compact = (d: number) => D(d).replaceAll('-', '');
function peopleCsv(opts: { ref?: (p: Person) => string; y?: (p: Person, i: number) => string; rows?: Person[] } = {}) {
  const rows = opts.rows ?? people;
  const ref = opts.ref ?? ((p: Person) => D(p.ref));
  const y = opts.y ?? ((p: Person) => String(p.y));
  return `id,t,x,ref,months,closed,y\n${rows.map((p, i) => `${p.id},${p.t},${p.x},${ref(p)},${p.months},${p.closed},${y(p, i)}`).join('\n')}\n`;
}
function spellsCsv(fmt: (d: number) => string = D) {
  return `id,start,end\n${spells.map((s) => `${s.id},${fmt(s.start)},${s.end === null ? '' : fmt(s.end)}`).join('\n')}\n`;
}
const PEOPLE = peopleCsv();
const SPELLS = spellsCsv();

/** Employed on `day`: a contract with start ≤ day ≤ end (empty end: open-ended). Independent of src/outcomes. */
function employed(id: string, day: number): number {
  return spells.some((s) => s.id === id && s.start <= day && (s.end === null || s.end >= day)) ? 1 : 0;
}
/** The naive difference at horizon h, every unit at its own reference date. */
function naiveAt(h: number): number {
  const m = (g: number) => {
    const ps = people.filter((p) => p.t === g);
    return ps.reduce((s, p) => s + employed(p.id, addMonths(p.ref, h)), 0) / ps.length;
  };
  return m(1) - m(0);
}

function spellArgs(extra: string[] = [], horizons = '6,12', people = 'people.csv', spellsFile = 'spells.csv'): string[] {
  return [
    'estimate',
    '--data',
    `{dir}/${people}`,
    '--id',
    'id',
    '--treatment',
    't',
    '--covariates',
    'x',
    '--replace',
    '--spells',
    `{dir}/${spellsFile}`,
    '--reference-date',
    'ref',
    '--horizons',
    horizons,
    '--json',
    ...extra,
  ];
}
const json = (r: CorpusRun) => JSON.parse(r.stdout);

function study(outcome: string, extra = ''): string {
  return `data: { persons: people.csv, spells: spells.csv }
id: id
treatment: t
covariates: [x]
matching: { method: nearest, ratio: 2, replace: true }
minCellCount: 1
outcomes:
  - ${outcome}
${extra}`;
}
const runArgs = ['run', '{dir}/study.yaml', '--out', '{dir}/out'];
const results = (r: CorpusRun) => JSON.parse(readFileSync(join(r.dir, 'out', 'results.json'), 'utf8'));
const SURV = '{ type: survival, time: months, event: closed, times: [12, 24] }';
const SPELLS_OUTCOME = '{ type: spells, referenceDate: ref, horizons: [6, 12] }';

const cases: CorpusCase[] = [
  // --- reference dates (item 6) ---
  {
    name: 'a numeric column as --reference-date is refused naming the column and the date formats',
    files: { 'people.csv': peopleCsv({ ref: (p) => String(p.months) }), 'spells.csv': SPELLS },
    args: spellArgs(),
    code: 2,
    err: /`ref` holds numbers \(e\.g\. \d+ on data row 1\), not dates.*yyyy-mm-dd, dd\/mm\/yyyy/,
  },
  {
    name: 'Excel serial day numbers as --reference-date are refused, not read as days since 1970',
    files: { 'people.csv': peopleCsv({ ref: (p) => String(p.ref + 25569) }), 'spells.csv': SPELLS },
    args: spellArgs(),
    code: 2,
    err: /--reference-date column `ref` holds numbers/,
  },
  {
    name: 'days since 1970 as --reference-date are refused too',
    files: { 'people.csv': peopleCsv({ ref: (p) => String(p.ref) }), 'spells.csv': SPELLS },
    args: spellArgs(),
    code: 2,
    err: /`ref` holds numbers.*yyyymmdd/,
  },
  {
    name: 'compact yyyymmdd reference dates (read as numbers) give the same curve as ISO dates',
    files: { 'people.csv': peopleCsv({ ref: (p) => compact(p.ref) }), 'spells.csv': SPELLS },
    args: spellArgs(),
    code: 0,
    check: (r) => expect(json(r).curve[1].naive).toBeCloseTo(naiveAt(12), 12),
  },
  {
    name: 'dd/mm/yyyy reference dates are read day first',
    files: { 'people.csv': peopleCsv({ ref: (p) => D(p.ref).split('-').reverse().join('/') }), 'spells.csv': SPELLS },
    args: spellArgs(),
    code: 0,
    check: (r) => expect(json(r).curve[0].naive).toBeCloseTo(naiveAt(6), 12),
  },
  {
    name: 'a reference date that is not a date names the column and the value',
    files: { 'people.csv': peopleCsv({ ref: (p) => (p.id === 'P103' ? 'soon' : D(p.ref)) }), 'spells.csv': SPELLS },
    args: spellArgs(),
    code: 2,
    err: /`ref`.*"soon"/,
  },
  {
    name: 'a missing --reference-date column is named',
    files: { 'people.csv': PEOPLE, 'spells.csv': SPELLS },
    args: spellArgs().map((a) => (a === 'ref' ? 'course_end' : a)),
    code: 2,
    err: /course_end/,
  },
  {
    name: 'spell dates as plain numbers are refused naming the spell column',
    files: { 'people.csv': PEOPLE, 'spells.csv': spellsCsv((d) => String(d)) },
    args: spellArgs(),
    code: 2,
    err: /spell date column `start` holds numbers/,
  },
  {
    name: 'compact yyyymmdd spell dates give the same answer as ISO',
    files: { 'people.csv': PEOPLE, 'spells.csv': spellsCsv(compact) },
    args: spellArgs(),
    code: 0,
    check: (r) => expect(json(r).curve[1].naive).toBeCloseTo(naiveAt(12), 12),
  },
  // --- horizons (item 6) ---
  {
    name: 'a horizon past the last date in the spells for every treated unit is refused, naming it and the date',
    files: { 'people.csv': PEOPLE, 'spells.csv': SPELLS },
    args: spellArgs([], '6,120'),
    code: 2,
    err: new RegExp(`horizon\\(s\\) 120 month\\(s\\) fall after the last date in the spells \\(${D(LAST_DAY)}\\)`),
  },
  {
    name: 'a horizon past the last date for some treated units is a warning with the count',
    files: { 'people.csv': PEOPLE, 'spells.csv': SPELLS },
    args: spellArgs([], '6,40'),
    code: 0,
    err: /employed at 40 months: \d+ matched treated unit\(s\) reach it after the last date in the spells/,
  },
  {
    name: 'negative horizons are refused',
    files: { 'people.csv': PEOPLE, 'spells.csv': SPELLS },
    args: spellArgs([], '-6,12'),
    code: 2,
    err: /--horizons/,
  },
  {
    name: 'fractional horizons are refused',
    files: { 'people.csv': PEOPLE, 'spells.csv': SPELLS },
    args: spellArgs([], '6.5'),
    code: 2,
    err: /--horizons/,
  },
  {
    name: 'spells without one dated contract: every horizon is past the data, refused',
    files: { 'people.csv': PEOPLE, 'spells.csv': 'id,start,end\nNOBODY,2016-01-01,2016-02-01\n' },
    args: spellArgs(),
    code: 2,
    err: /last date in the spells \(none/,
  },
  // --- naive difference for spells (item 8) ---
  {
    name: 'the naive (unmatched) difference is reported at every horizon, equal to a hand count',
    files: { 'people.csv': PEOPLE, 'spells.csv': SPELLS },
    args: spellArgs([], '6,12,18'),
    code: 0,
    check: (r) => {
      const c = json(r).curve;
      [6, 12, 18].forEach((h, k) => expect(c[k].naive).toBeCloseTo(naiveAt(h), 12));
    },
  },
  {
    name: 'the headline of a spells run (no --outcome) carries the last horizon naive difference',
    files: { 'people.csv': PEOPLE, 'spells.csv': SPELLS },
    args: spellArgs(),
    code: 0,
    check: (r) => expect(json(r).naive).toBeCloseTo(naiveAt(12), 12),
  },
  {
    name: 'the text summary prints a naive column for the curve',
    files: { 'people.csv': PEOPLE, 'spells.csv': SPELLS },
    args: spellArgs().filter((a) => a !== '--json'),
    code: 0,
    out: /months\s+ATT\s+SE\s+CI low\s+CI high\s+treated\s+controls\s+naive/,
  },
  // --- SE that cannot be estimated (item 4) ---
  {
    name: '1 treated and 1 control with the AI SE: SE and CI null with a warning, never 0',
    files: { 'data.csv': 't,x,y\n1,1.0,3\n0,1.1,2\n' },
    args: ['estimate', '--data', '{dir}/data.csv', '--treatment', 't', '--outcome', 'y', '--covariates', 'x', '--se', 'ai', '--json'],
    code: 0,
    err: /the ai standard error of `y` cannot be estimated/,
    check: (r) => {
      const j = json(r);
      expect(j.estimate).toBe(1);
      expect(j.se).toBeNull();
      expect(j.ciLower).toBeNull();
      expect(j.ciUpper).toBeNull();
    },
  },
  {
    name: 'an outcome with no variation in the pair differences: SE null, not a zero-width CI',
    files: { 'data.csv': 't,x,y\n1,1.0,5\n0,1.1,4\n1,2.0,7\n0,2.1,6\n1,3.0,2\n0,3.1,1\n' },
    args: ['estimate', '--data', '{dir}/data.csv', '--treatment', 't', '--outcome', 'y', '--covariates', 'x', '--se', 'ai', '--json'],
    code: 0,
    err: /cannot be estimated/,
    check: (r) => {
      expect(json(r).estimate).toBeCloseTo(1, 12);
      expect(json(r).se).toBeNull();
    },
  },
  {
    name: 'pairs SE with a single matched pair: null with a warning',
    err: /the pairs standard error of `y` cannot be estimated/,
    files: { 'data.csv': 't,x,y\n1,1.0,3\n0,1.1,2\n' },
    args: ['estimate', '--data', '{dir}/data.csv', '--treatment', 't', '--outcome', 'y', '--covariates', 'x', '--se', 'pairs', '--json'],
    code: 0,
    check: (r) => {
      expect(json(r).se).toBeNull();
      expect(json(r).ciLower).toBeNull();
    },
  },
  // --- overflowing outcomes (item 5) ---
  {
    name: 'an outcome near 1e308 is refused naming the outcome column and the fix',
    files: { 'data.csv': 't,x,y\n1,1.5,1.7e308\n0,1.2,-1.7e308\n1,2.5,1.7e308\n0,2.1,-1.6e308\n0,0.5,1\n1,0.9,1.7e308\n' },
    args: ['estimate', '--data', '{dir}/data.csv', '--treatment', 't', '--outcome', 'y', '--covariates', 'x', '--replace', '--se', 'none'],
    code: 2,
    err: /outcome `y` is too large.*rescale/,
  },
  {
    name: 'an outcome whose squares overflow (1e200) is refused with the AI SE, never an infinite SE',
    files: { 'data.csv': 't,x,y\n1,1.5,3e200\n0,1.2,-2e200\n1,2.5,4e200\n0,2.1,3e200\n0,0.5,1e200\n1,0.9,-2e200\n' },
    args: ['estimate', '--data', '{dir}/data.csv', '--treatment', 't', '--outcome', 'y', '--covariates', 'x', '--replace', '--se', 'ai'],
    code: 2,
    err: /outcome `y` is too large/,
  },
  {
    name: 'a large but safe outcome (1e150) gives the right finite estimate',
    files: { 'data.csv': 't,x,y\n1,1.0,3e150\n0,1.1,1e150\n1,5.0,4e150\n0,5.1,1e150\n' },
    args: ['estimate', '--data', '{dir}/data.csv', '--treatment', 't', '--outcome', 'y', '--covariates', 'x', '--se', 'ai', '--json'],
    code: 0,
    check: (r) => {
      expect(json(r).estimate / 1e150).toBeCloseTo(2.5, 10);
      expect(Number.isFinite(json(r).se)).toBe(true);
    },
  },
  {
    name: 'a study with a binary-type outcome near 1e308 exits 2 naming the column',
    files: {
      'people.csv': peopleCsv({ y: (_p, i) => (i % 2 ? '1.7e308' : '-1.7e308') }),
      'spells.csv': SPELLS,
      'study.yaml': study('{ type: binary, column: y }'),
    },
    args: runArgs,
    code: 2,
    err: /outcome `y` is too large/,
  },
  // --- survival through `run` (items 2, 3, 7) ---
  {
    name: 'a survival outcome reports a robust matched-set SE by default, labelled in results.json',
    files: { 'people.csv': PEOPLE, 'spells.csv': SPELLS, 'study.yaml': study(SURV) },
    args: runArgs,
    code: 0,
    check: (r) => {
      const o = results(r).outcomes[0];
      expect(o.survival.se).toBe('robust (clustered by matched set)');
      expect(o.survival.bandSe).toBe('robust (clustered by matched set)');
      expect(o.effect.method).toMatch(/SE robust \(clustered by matched set\)/);
      expect(o.effect.se).toBeGreaterThan(0);
    },
  },
  {
    name: 'the report prints the SE label beside the survival differences',
    files: { 'people.csv': PEOPLE, 'spells.csv': SPELLS, 'study.yaml': study(SURV) },
    args: runArgs,
    code: 0,
    check: (r) =>
      expect(readFileSync(join(r.dir, 'out', 'report.html'), 'utf8')).toMatch(/survival difference at 24 \(SE: robust \(clustered by matched set\)\)/),
  },
  {
    name: 'se: independent is Greenwood, labelled as such',
    files: {
      'people.csv': PEOPLE,
      'spells.csv': SPELLS,
      'study.yaml': study('{ type: survival, time: months, event: closed, times: [12, 24], se: independent }'),
    },
    args: runArgs,
    code: 0,
    check: (r) => expect(results(r).outcomes[0].survival.se).toBe('Greenwood (independent groups)'),
  },
  {
    name: 'se: bootstrap is labelled with its resamples and seed',
    files: {
      'people.csv': PEOPLE,
      'spells.csv': SPELLS,
      'study.yaml': study('{ type: survival, time: months, event: closed, times: [24], se: bootstrap, reps: 20 }', 'seed: 5\n'),
    },
    args: runArgs,
    code: 0,
    check: (r) => expect(results(r).outcomes[0].survival.se).toBe('bootstrap (20 resamples of matched sets, seed 5)'),
  },
  {
    name: 'an unknown survival SE name is refused with its path',
    files: { 'people.csv': PEOPLE, 'spells.csv': SPELLS, 'study.yaml': study('{ type: survival, time: months, event: closed, times: [24], se: greenwood }') },
    args: runArgs,
    code: 2,
    err: /outcomes\[0\]\.se/,
  },
  {
    name: 'sensitivity: evalue with a survival headline gives a note saying why, not silence',
    files: { 'people.csv': PEOPLE, 'spells.csv': SPELLS, 'study.yaml': study(SURV, 'sensitivity: { evalue: true }\n') },
    args: runArgs,
    code: 0,
    check: (r) => {
      const s = results(r).sensitivity;
      expect(s.evalue).toBeNull();
      expect(s.notes.join(' ')).toMatch(/E-value needs a risk ratio.*Kaplan–Meier/);
    },
  },
  {
    name: 'a survival time before any event: SE null with a warning, never a zero-width CI',
    files: { 'people.csv': PEOPLE, 'spells.csv': SPELLS, 'study.yaml': study('{ type: survival, time: months, event: closed, times: [0.5, 24] }') },
    args: runArgs,
    code: 0,
    check: (r) => {
      const res = results(r);
      const p = res.outcomes[0].survival.points[0];
      expect(p.se).toBeNull();
      expect(p.ciLower).toBeNull();
      expect(res.warnings.join(' ')).toMatch(/survival difference at 0\.5: .*SE cannot be estimated/);
    },
  },
  {
    name: 'every unit fails at the last time: S is exactly 0 there, not 2e-16',
    files: {
      'people.csv': peopleCsv({ rows: people.map((p) => ({ ...p, months: p.months >= 40 ? 48 : p.months, closed: p.months >= 40 ? 1 : p.closed })) }),
      'spells.csv': SPELLS,
      'study.yaml': study('{ type: survival, time: months, event: closed, times: [24, 48] }'),
    },
    args: runArgs,
    code: 0,
    check: (r) => {
      const p = results(r).outcomes[0].survival.points[1];
      expect(p.survivalTreated).toBe(0);
      expect(p.survivalControl).toBe(0);
    },
  },
  {
    name: 'an event column with a 2 is refused naming the rows',
    files: { 'people.csv': peopleCsv().replace(/,(\d+),1,(\d)\n/, ',$1,2,$2\n'), 'spells.csv': SPELLS, 'study.yaml': study(SURV) },
    args: runArgs,
    code: 2,
    err: /event that is not 0\/1/,
  },
  {
    name: 'a negative survival time is refused',
    files: { 'people.csv': peopleCsv({ rows: people.map((p, i) => (i === 4 ? { ...p, months: -3 } : p)) }), 'spells.csv': SPELLS, 'study.yaml': study(SURV) },
    args: runArgs,
    code: 2,
    err: /missing or negative time/,
  },
  // --- spells through `run` ---
  {
    name: 'a study whose referenceDate column is numeric is refused naming it',
    files: { 'people.csv': peopleCsv({ ref: (p) => String(p.months) }), 'spells.csv': SPELLS, 'study.yaml': study(SPELLS_OUTCOME) },
    args: runArgs,
    code: 2,
    err: /referenceDate column `ref` holds numbers/,
  },
  {
    name: 'a study horizon past the spells for every treated unit is refused',
    files: { 'people.csv': PEOPLE, 'spells.csv': SPELLS, 'study.yaml': study('{ type: spells, referenceDate: ref, horizons: [6, 200] }') },
    args: runArgs,
    code: 2,
    err: /horizon\(s\) 200 month\(s\) fall after the last date/,
  },
  {
    name: 'a study spells outcome reports the naive difference, as binary outcomes do',
    files: { 'people.csv': PEOPLE, 'spells.csv': SPELLS, 'study.yaml': study(SPELLS_OUTCOME) },
    args: runArgs,
    code: 0,
    check: (r) => {
      const o = results(r).outcomes[0];
      expect(o.effect.naive).toBeCloseTo(naiveAt(12), 12);
      expect(o.curve[0].naive).toBeCloseTo(naiveAt(6), 12);
    },
  },
  {
    name: 'a study E-value on a spells headline is computed (it applies there)',
    files: { 'people.csv': PEOPLE, 'spells.csv': SPELLS, 'study.yaml': study(SPELLS_OUTCOME, 'sensitivity: { evalue: true }\n') },
    args: runArgs,
    code: 0,
    check: (r) => {
      const s = results(r).sensitivity;
      if (s.evalue === null) expect(s.notes.join(' ')).toMatch(/E-value needs a positive matched control mean/);
      else expect(s.evalue.eValue).toBeGreaterThanOrEqual(1);
    },
  },
];

describe('hostile-input corpus: outcomes, survival and standard errors', () => {
  for (const c of cases) it(c.name, async () => void (await runCase(c)));
  it('has 30+ cases', () => expect(cases.length).toBeGreaterThanOrEqual(30));
});
