import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/data/csv.js';
import { columnLabels } from '../../src/data/table.js';
import { matchMahalanobis } from '../../src/matching/index.js';
import { estimateATT } from '../../src/effects/index.js';
import { fitPropensity } from '../../src/propensity/index.js';
import { readReference, referencePath } from '../helpers/lalonde.js';

// R 4.2.2, Matching 4.10-8 Match(X, Weight = 2): tests/reference/r/mahalanobis.R
const ref = readReference('mahalanobis_synthetic.json');
const { table } = parseCsv(readFileSync(referencePath('matching_synthetic.csv'), 'utf8'));
const ids = columnLabels(table.columns.id!) as string[];
const treatment = Uint8Array.from((table.columns.treat as { values: Float64Array }).values);

describe('matchMahalanobis against R Matching (full-sample covariance, data order)', () => {
  for (const [key, replace] of [
    ['without', false],
    ['with', true],
  ] as const) {
    it(`${key} replacement: same pairs and ATT`, () => {
      const m = matchMahalanobis(table, treatment, { covariates: ['x1', 'x2', 'x3'], covariance: 'full', replace });
      const pairs = Array.from(m.pairs.treated, (t, k) => `${ids[t]},${ids[m.pairs.control[k]!]}`).sort();
      expect(pairs).toEqual([...ref[key].pairs].sort());
      expect(Math.abs(estimateATT(table, m, { outcome: 'y', se: 'none' }).estimate - ref[key].att)).toBeLessThan(1e-9);
    });
  }
  it('inside a propensity-score caliper every pair is within the caliper; no reuse without replacement', () => {
    const fit = fitPropensity(table, { treatment: 'treat', covariates: ['x1', 'x2', 'x3', 'g'] });
    const m = matchMahalanobis(table, treatment, { covariates: ['x1', 'x2', 'x3'], caliper: 0.05, fit });
    const s = fit.scores;
    const mean = s.reduce((a, b) => a + b, 0) / s.length;
    const sd = Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / (s.length - 1));
    for (let k = 0; k < m.pairs.treated.length; k++) expect(Math.abs(s[m.pairs.treated[k]!]! - s[m.pairs.control[k]!]!)).toBeLessThanOrEqual(0.05 * sd);
    expect(new Set(m.pairs.control).size).toBe(m.pairs.control.length);
    expect(m.counts.matchedTreated + m.counts.unmatchedTreated).toBe(m.counts.treated);
  });
});
