import { describe, expect, it } from 'vitest';
import { matchNearestParallel } from '../../src/io/parallelMatch.js';
import { matchNearest, type NearestOptions } from '../../src/matching/index.js';
import { fitPropensity } from '../../src/propensity/index.js';
import { generateRegister } from '../../src/synth/index.js';

describe('exact strata matched in parallel on worker threads', () => {
  const reg = generateRegister({ rows: 120_000, covariates: 10, seed: 31 });
  const fit = fitPropensity(reg.table, { treatment: 'treat', covariates: reg.truth.covariates });
  const cases: NearestOptions[] = [
    {},
    { ratio: 2 },
    { replace: true, ratio: 3 },
    { caliper: 0.02, distance: 'logit', order: 'smallest' },
    { replace: true, ties: true },
  ];
  for (const o of cases) {
    it(`equals the single-thread matcher: ${JSON.stringify(o)}`, async () => {
      const opts = { ...o, exact: ['province', 'education'], data: reg.table };
      const serial = matchNearest(fit, opts);
      const par = await matchNearestParallel(fit, { ...opts, workers: 2 });
      expect(Array.from(par.pairs.treated)).toEqual(Array.from(serial.pairs.treated));
      expect(Array.from(par.pairs.control)).toEqual(Array.from(serial.pairs.control));
      expect(Array.from(par.pairs.weight)).toEqual(Array.from(serial.pairs.weight));
      expect(par.unmatchedTreated).toEqual(serial.unmatchedTreated);
      expect(par.counts).toEqual(serial.counts);
    }, 60_000);
  }
  it('refuses options that span strata', async () => {
    await expect(matchNearestParallel(fit, { exact: ['province'], data: reg.table, order: 'random' })).rejects.toThrow(/order 'random'/);
  });
});
