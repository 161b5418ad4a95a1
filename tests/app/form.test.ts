/** The app's form without a browser: controls generated from the method table, the study it builds. */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { MATCHING_METHODS } from '../../src/matching/methods.js';
import { parseStudy } from '../../src/study/schema.js';
import { type FormState, FormProblem, optionControls, optionValue, rawOf, studyFromForm, studyYaml } from '../../src/app/form.js';
import { describeColumns } from '../../src/app/columns.js';
import { parseCsv } from '../../src/data/csv.js';

const base: FormState = {
  title: 't',
  persons: 'people.csv',
  read: { delimiter: 'auto', decimal: 'auto', thousands: '', encoding: '', idText: false },
  id: 'id',
  treatment: 'treat',
  treatedValue: '',
  covariates: ['age', 'x'],
  categorical: [],
  link: 'logit',
  method: 'nearest',
  options: {},
  se: '',
  varMatches: '0',
  level: '0.95',
  outcome: { type: 'binary', column: 'y' },
  sensitivity: { evalue: false, rosenbaum: false },
  seed: '1',
  minCellCount: '10',
};

describe('app form', () => {
  it('generates one control per option of every method, of the declared kind', () => {
    for (const m of Object.values(MATCHING_METHODS)) {
      const controls = optionControls(m);
      expect(controls.map((c) => c.key)).toEqual(Object.keys(m.options));
      for (const c of controls) {
        const want = { integer: 'number', number: 'number', boolean: 'checkbox', enum: 'select', column: 'column', columns: 'columns', calipers: 'text' }[
          c.spec.kind
        ];
        expect(c.control, `${m.name}.${c.key}`).toBe(want);
        if (c.spec.kind === 'enum') expect(c.choices!.map((x) => x.value).filter(Boolean)).toEqual(c.spec.values);
      }
    }
  });

  it('builds a study the schema accepts for every method (required options given)', () => {
    const fill: Record<string, string> = { caliper: '0.1', latitude: 'lat', longitude: 'lon' };
    for (const m of Object.values(MATCHING_METHODS)) {
      const options = Object.fromEntries((m.required ?? []).map((r) => [r, fill[r]!]));
      const study = parseStudy(studyFromForm({ ...base, method: m.name, options }));
      expect(study.matching.method).toBe(m.name);
    }
  });

  it('reads option values as the study file writes them; bad text names matching.<option>', () => {
    const spec = MATCHING_METHODS.nearest!.options;
    expect(optionValue('ratio', spec.ratio!, '3')).toBe(3);
    expect(optionValue('ratio', spec.ratio!, '')).toBeUndefined();
    expect(optionValue('replace', spec.replace!, false)).toBeUndefined();
    expect(optionValue('replace', spec.replace!, true)).toBe(true);
    expect(optionValue('exact', spec.exact!, ['a', 'b'])).toEqual(['a', 'b']);
    expect(optionValue('covariateCalipers', spec.covariateCalipers!, 'age=0.5, re74=0.2')).toEqual({ age: 0.5, re74: 0.2 });
    expect(() => optionValue('covariateCalipers', spec.covariateCalipers!, 'age=-1')).toThrow(/matching\.covariateCalipers/);
    expect(() => optionValue('caliper', spec.caliper!, 'abc')).toThrow(FormProblem);
    expect(rawOf(spec.covariateCalipers!, { age: 0.5 })).toBe('age=0.5');
  });

  it('a bad bound is refused by the study schema in the worker, naming the option', () => {
    expect(() => parseStudy(studyFromForm({ ...base, options: { ratio: '0' } }))).toThrow(/matching\.ratio/);
  });

  it('keeps what an opened study has beyond the form (subgroups, costs, further outcomes) and its exact strata', () => {
    const opened = {
      subgroups: ['g'],
      costs: { total: 1000 },
      exact: ['g'],
      outcomes: [
        { type: 'binary', column: 'old' },
        { type: 'binary', column: 'second' },
      ],
      data: { persons: 'x.csv', delimiter: ';' },
    };
    const s = studyFromForm({ ...base, read: { ...base.read, delimiter: ',' } }, opened);
    expect(s.subgroups).toEqual(['g']);
    expect(s.costs).toEqual({ total: 1000 });
    expect((s.matching as Record<string, unknown>).exact).toEqual(['g']);
    expect(s.exact).toBeUndefined();
    expect(s.outcomes).toEqual([
      { type: 'binary', column: 'y' },
      { type: 'binary', column: 'second' },
    ]);
    expect(s.data).toEqual({ persons: 'people.csv', delimiter: ',', decimal: 'auto', idType: 'auto' });
    expect(parseStudy(s).subgroups).toEqual(['g']);
  });

  it('spells outcome: horizons parsed, spells file named; the YAML reads back to the same study', () => {
    const s = studyFromForm({
      ...base,
      spells: 'spells.csv',
      outcome: { type: 'spells', referenceDate: 'ref', horizons: '6, 12 24', spellColumns: { start: 'start', end: 'end' } },
    });
    expect(s.outcomes).toEqual([{ type: 'spells', referenceDate: 'ref', horizons: [6, 12, 24], spellColumns: { start: 'start', end: 'end' } }]);
    expect((s.data as Record<string, unknown>).spells).toBe('spells.csv');
    expect(() => studyFromForm({ ...base, outcome: { type: 'spells', referenceDate: 'r', horizons: '6,x', spellColumns: { start: 's', end: 'e' } } })).toThrow(
      /outcomes\[0\]\.horizons/,
    );
    expect(parse(studyYaml(s))).toEqual(s);
  });

  it('describes columns: types, missing counts, distinct values', () => {
    const { table } = parseCsv('id,t,g,d,x\n1,1,a,2015-01-02,1.5\n2,0,b,,2.5\n3,1,a,2016-03-04,\n');
    expect(describeColumns(table)).toEqual([
      { name: 'id', type: 'number', missing: 0, distinct: 3 },
      { name: 't', type: '0/1', missing: 0, distinct: 2 },
      { name: 'g', type: 'text', missing: 0, distinct: 2, values: ['a', 'b'] },
      { name: 'd', type: 'date', missing: 1, distinct: 2, values: ['2015-01-02', '2016-03-04'] },
      { name: 'x', type: 'number', missing: 1, distinct: 2 },
    ]);
  });
});
