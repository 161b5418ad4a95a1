import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/data/csv.js';
import { columnLabels } from '../../src/data/table.js';
import { matchMahalanobis } from '../../src/matching/index.js';
import { estimateATT } from '../../src/effects/index.js';
import { readReference, referencePath } from '../helpers/lalonde.js';

// R 4.2.2, Matching 4.10-8 Match(X, Weight = 2, ties = TRUE, replace = TRUE, distance.tolerance = 1e-5):
// tests/reference/r/mahalanobis_ties.R
const ref = readReference('mahalanobis_ties.json');
const cases = [
  { file: 'lalonde.csv', key: 'lalonde', covariates: ['age', 'educ', 'married', 'nodegree', 're74', 're75'], categorical: [] as string[], outcome: 're78' },
  { file: 'matching_synthetic.csv', key: 'synthetic', covariates: ['x1', 'x2', 'x3'], categorical: [] as string[], outcome: 'y' },
  {
    file: 'matchit_ties_register.csv',
    key: 'register',
    covariates: ['gender', 'citizenship', 'education', 'province'],
    categorical: ['gender', 'citizenship', 'education', 'province'],
    outcome: 'y',
  },
];

describe('matchMahalanobis ties: true against R Matching ties = TRUE', () => {
  for (const c of cases) {
    const { table } = parseCsv(readFileSync(referencePath(c.file), 'utf8'));
    const ids = columnLabels(table.columns.id!).map(String);
    const treatment = Uint8Array.from((table.columns.treat as { values: Float64Array }).values);
    for (const ratio of [1, 2]) {
      it(`${c.key}, ratio ${ratio}: same matched sets, weights and ATT`, () => {
        const m = matchMahalanobis(table, treatment, {
          covariates: c.covariates,
          categorical: c.categorical,
          covariance: 'full',
          replace: true,
          ratio,
          ties: true,
        });
        const got = Array.from(m.pairs.treated, (t, k) => `${ids[t]},${ids[m.pairs.control[k]!]},${Number(m.pairs.weight[k]!.toPrecision(12))}`).sort();
        const want = (ref[`${c.key}${ratio}`].pairs as string[])
          .map((s) => {
            const [a, b, w] = s.split(',');
            return `${a},${b},${Number(Number(w).toPrecision(12))}`;
          })
          .sort();
        expect(got.length).toBe(want.length);
        expect(got).toEqual(want);
        expect(Math.abs(estimateATT(table, m, { outcome: c.outcome, se: 'none' }).estimate - ref[`${c.key}${ratio}`].att)).toBeLessThan(1e-9);
      });
    }
  }
  it('ties without replacement is a CounterfactError naming the option', () => {
    const { table } = parseCsv(readFileSync(referencePath('matching_synthetic.csv'), 'utf8'));
    const treatment = Uint8Array.from((table.columns.treat as { values: Float64Array }).values);
    expect(() => matchMahalanobis(table, treatment, { covariates: ['x1'], ties: true })).toThrow(/ties/);
  });
});
