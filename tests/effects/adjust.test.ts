import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/data/csv.js';
import { columnLabels, type Table } from '../../src/data/table.js';
import { estimateATT } from '../../src/effects/index.js';
import { matchNearest } from '../../src/matching/index.js';
import { fitPropensity } from '../../src/propensity/index.js';
import { CounterfactError } from '../../src/problems.js';
import { LALONDE_COVARIATES, loadLalonde, readReference, referencePath } from '../helpers/lalonde.js';

// R 4.2.2, Matching 4.10-8: tests/reference/r/biasadj.R → biasadj.json
const biasRef = readReference('biasadj.json');
// R 4.2.2, MatchIt 4.7.2, sandwich 3.0.2: tests/reference/r/regression.R → regression.json
const regRef = readReference('regression.json');

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const lalonde = loadLalonde();
const lalondeFit = fitPropensity(lalonde, { treatment: 'treat', covariates: [...LALONDE_COVARIATES] });
const synthetic: Table = parseCsv(readFileSync(referencePath('matching_synthetic.csv'), 'utf8')).table;
const syntheticCovariates = ['x1', 'x2', 'x3', 'g'];
const syntheticFit = fitPropensity(synthetic, { treatment: 'treat', covariates: syntheticCovariates });

const DATA = {
  lalonde: { table: lalonde, fit: lalondeFit, outcome: 're78', covariates: [...LALONDE_COVARIATES] as string[] },
  synthetic: { table: synthetic, fit: syntheticFit, outcome: 'y', covariates: syntheticCovariates },
};

describe("Abadie–Imbens (2011) bias-corrected matching (adjust with se 'ai') against R Matching 4.10-8 Match(BiasAdjust = TRUE)", () => {
  const cases: [keyof typeof DATA, string, string[] | null][] = [
    ['lalonde', 'M1_J0', null],
    ['lalonde', 'M1_J1', null],
    ['lalonde', 'M2_J0', null],
    ['lalonde', 'M2_J2', null],
    ['lalonde', 'M1_J0_earnings', ['re74', 're75']],
    ['synthetic', 'M1_J0', null],
    ['synthetic', 'M1_J1', null],
    ['synthetic', 'M3_J0', null],
    ['synthetic', 'M3_J2', null],
  ];
  for (const [dataset, key, covs] of cases) {
    it(`${dataset} ${key}${covs ? ` (Z = ${covs.join(', ')})` : ''}: estimate, SE and se.standard`, () => {
      const r = biasRef[dataset][key];
      const d = DATA[dataset];
      const m = matchNearest(d.fit, { replace: true, ties: true, ratio: r.M });
      expect(m.pairs.treated.length).toBe(r.matches);
      const plain = estimateATT(d.table, m, { outcome: d.outcome, se: 'none' });
      expect(rel(plain.estimate, r.est_noadj)).toBeLessThan(1e-9);
      const e = estimateATT(d.table, m, { outcome: d.outcome, se: 'ai', varMatches: r.varCalc, adjust: covs ?? d.covariates });
      expect(rel(e.estimate, r.est)).toBeLessThan(1e-9);
      expect(rel(e.se!, r.se)).toBeLessThan(1e-8);
      expect(rel(e.seStandard!, r.se_standard)).toBeLessThan(1e-8);
      expect(e.meanTreated - e.meanControl).toBeCloseTo(e.estimate, 9);
      expect(e.method).toMatch(/bias-corrected \(Abadie–Imbens 2011\)/);
    });
  }

  it('without adjust nothing changes; the correction is invariant to rescaling a covariate', () => {
    const m = matchNearest(lalondeFit, { replace: true, ties: true });
    const a = estimateATT(lalonde, m, { outcome: 're78', adjust: ['re74', 're75'] });
    const scaled = {
      ...lalonde,
      columns: {
        ...lalonde.columns,
        re74: { kind: 'numeric' as const, values: (lalonde.columns.re74 as { values: Float64Array }).values.map((v) => v / 1000 + 7) },
      },
    };
    const b = estimateATT(scaled as Table, m, { outcome: 're78', adjust: ['re74', 're75'] });
    expect(rel(b.estimate, a.estimate)).toBeLessThan(1e-10);
    expect(rel(b.se!, a.se!)).toBeLessThan(1e-10);
  });
});

describe('regression on the matched sample (adjust with se pairs) against R: lm(y ~ treat + covariates) and lm(y ~ treat * centred covariates), weights, on MatchIt 4.7.2 match.data; sandwich 3.0.2 vcovCL(cluster = ~subclass, HC1), vcovHC(HC1) with replacement', () => {
  const cases: [keyof typeof DATA, string, Parameters<typeof matchNearest>[1], string[] | null][] = [
    ['lalonde', 'nearest', {}, null],
    ['lalonde', 'ratio2', { ratio: 2 }, null],
    ['lalonde', 'replace', { replace: true }, null],
    ['lalonde', 'earnings_only', {}, ['re74', 're75']],
    ['synthetic', 'nearest', {}, null],
    ['synthetic', 'ratio3', { ratio: 3 }, null],
    ['synthetic', 'caliper', { caliper: 0.1 }, null],
  ];
  for (const [dataset, key, options, covs] of cases) {
    it(`${dataset} ${key}: same matched sets, then the plain and the adjusted regression`, () => {
      const r = regRef[dataset][key];
      const d = DATA[dataset];
      const m = matchNearest(d.fit, options);
      const ids = columnLabels(d.table.columns.id!) as string[];
      const pairs = Array.from(m.pairs.treated, (t, k) => `${ids[t]},${ids[m.pairs.control[k]!]}`).sort();
      expect(pairs).toEqual([...r.pairs].sort());
      const plain = estimateATT(d.table, m, { outcome: d.outcome, se: 'pairs' });
      expect(rel(plain.estimate, r.plain.att)).toBeLessThan(1e-9);
      expect(rel(plain.se!, r.plain.se)).toBeLessThan(1e-8);
      const e = estimateATT(d.table, m, { outcome: d.outcome, se: 'pairs', adjust: covs ?? d.covariates, adjustModel: 'additive' });
      expect(rel(e.estimate, r.adjusted.att)).toBeLessThan(1e-9);
      expect(rel(e.se!, r.adjusted.se)).toBeLessThan(1e-8);
      expect(e.method).toMatch(/regression on the matched sample, y ~ treat \+/);
      const g = estimateATT(d.table, m, { outcome: d.outcome, se: 'pairs', adjust: covs ?? d.covariates });
      expect(rel(g.estimate, r.interacted.att)).toBeLessThan(1e-9);
      expect(rel(g.se!, r.interacted.se_population)).toBeLessThan(1e-8);
      const gc = estimateATT(d.table, m, { outcome: d.outcome, se: 'pairs', adjust: covs ?? d.covariates, conditionalSe: true });
      expect(rel(gc.se!, r.interacted.se)).toBeLessThan(1e-8);
      expect(g.method).toMatch(/y ~ treat \* \(.*g-computation/);
      // The interacted regression's estimate is the bias-corrected matching estimate: both are the
      // treated mean minus the treated mean of μ̂₀, fitted on the controls weighted by their use.
      const bc = estimateATT(d.table, m, { outcome: d.outcome, se: 'none', adjust: covs ?? d.covariates });
      expect(rel(g.estimate, bc.estimate)).toBeLessThan(1e-9);
    });
  }
});

describe('adjust: errors and warnings in the user’s terms', () => {
  const m = matchNearest(lalondeFit, { replace: true });
  const expectError = (f: () => unknown, column: string, text: RegExp) => {
    try {
      f();
      expect.unreachable('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(CounterfactError);
      expect((err as CounterfactError).problems[0]!.column).toBe(column);
      expect((err as Error).message).toMatch(text);
    }
  };
  it('refuses ai-ps with adjust, and unknown covariates', () => {
    expectError(
      () => estimateATT(lalonde, m, { outcome: 're78', se: 'ai-ps', propensity: lalondeFit, adjust: ['age'] }),
      'se',
      /--se ai-ps covers the plain matching estimator.*--adjust/,
    );
    expectError(() => estimateATT(lalonde, m, { outcome: 're78', adjust: ['agee'] }), 'agee', /age/);
  });
  it('names a covariate dropped as collinear', () => {
    const t = { ...lalonde, columns: { ...lalonde.columns, age2: lalonde.columns.age! } } as Table;
    const e = estimateATT(t, m, { outcome: 're78', adjust: ['age', 'age2', 'educ'] });
    expect(e.warnings.join(' ')).toMatch(/age2 dropped from the bias correction/);
    const ref = estimateATT(t, m, { outcome: 're78', adjust: ['age', 'educ'] });
    expect(rel(e.estimate, ref.estimate)).toBeLessThan(1e-10);
  });
});
