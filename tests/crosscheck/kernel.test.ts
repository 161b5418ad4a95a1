import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/data/csv.js';
import { fitPropensity } from '../../src/propensity/index.js';
import { matchKernel, matchRadius } from '../../src/matching/index.js';
import { estimateATT } from '../../src/effects/index.js';
import { assessBalance } from '../../src/balance/index.js';
import { readReference, referencePath } from '../helpers/lalonde.js';

// R 4.2.2, psmatch2's weight definitions in plain R: tests/reference/r/kernel.R
const ref = readReference('kernel_synthetic.json');
const { table } = parseCsv(readFileSync(referencePath('matching_synthetic.csv'), 'utf8'));
const fit = fitPropensity(table, { treatment: 'treat', covariates: ['x1', 'x2', 'x3', 'g'] });

describe('kernel and radius matching (psmatch2 definitions)', () => {
  const cases = [
    ['epanechnikov_0.06', () => matchKernel(fit, { kernel: 'epanechnikov', bandwidth: 0.06 })],
    ['gaussian_0.01', () => matchKernel(fit, { kernel: 'gaussian', bandwidth: 0.01 })],
    ['tricube_0.03', () => matchKernel(fit, { kernel: 'tricube', bandwidth: 0.03 })],
    ['radius_0.001', () => matchRadius(fit, { caliper: 0.001 })],
    ['radius_0.01', () => matchRadius(fit, { caliper: 0.01 })],
  ] as const;
  for (const [name, make] of cases) {
    it(`${name}: ATT and unmatched count equal R`, () => {
      const m = make();
      expect(m.counts.unmatchedTreated).toBe(ref[name].unmatched);
      const e = estimateATT(table, m, { outcome: 'y', se: 'none' });
      expect(Math.abs(e.estimate - ref[name].att)).toBeLessThan(1e-9);
      // The common contract: balance works, weights sum per treated to 1.
      const sums = new Map<number, number>();
      for (let k = 0; k < m.pairs.treated.length; k++) sums.set(m.pairs.treated[k]!, (sums.get(m.pairs.treated[k]!) ?? 0) + m.pairs.weight[k]!);
      for (const s of sums.values()) expect(s).toBeCloseTo(1, 12);
      expect(assessBalance(table, m, ['x1', 'x2']).rows.length).toBe(2);
    });
  }
  it('guards against an explosion of links and bad options', () => {
    expect(() => matchKernel(fit, { bandwidth: 1, maxPairs: 1000 })).toThrow(/use a smaller bandwidth/);
    expect(() => matchKernel(fit, { kernel: 'cosine' as never })).toThrow(/kernel must be one of/);
    expect(() => matchRadius(fit, { caliper: 0 })).toThrow(/must be positive/);
  });
});
