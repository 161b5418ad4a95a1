import { describe, expect, it } from 'vitest';
import { fitPropensity } from '../../src/propensity/index.js';
import { createParallelAccumulator, fitPropensityParallel } from '../../src/io/parallel.js';
import { generateRegister } from '../../src/synth/index.js';

describe('parallel propensity fit (worker threads)', () => {
  it('gives bit-identical results with 1, 2 and 3 workers and in this thread (with the warm start)', () => {
    const reg = generateRegister({ rows: 150_000, covariates: 10, seed: 4 });
    const spec = { treatment: 'treat', covariates: reg.truth.covariates, warmStartRows: 30_000 };
    const serial = fitPropensity(reg.table, spec);
    for (const workers of [1, 2, 3]) {
      const acc = createParallelAccumulator({ workers });
      try {
        const par = fitPropensity(reg.table, { ...spec, accumulator: acc });
        expect(par.iterations).toBe(serial.iterations);
        expect(par.warmStart).toEqual(serial.warmStart);
        expect(
          Buffer.from(par.scores.buffer, par.scores.byteOffset, par.scores.byteLength).equals(
            Buffer.from(serial.scores.buffer, serial.scores.byteOffset, serial.scores.byteLength),
          ),
        ).toBe(true);
        expect(par.coefficients.map((c) => c.estimate)).toEqual(serial.coefficients.map((c) => c.estimate));
      } finally {
        acc.close();
      }
    }
  });

  it('fitPropensityParallel (for the CLI) equals the single-thread fit bit for bit', () => {
    const reg = generateRegister({ rows: 140_000, covariates: 8, seed: 6 });
    const spec = { treatment: 'treat', covariates: reg.truth.covariates, warmStartRows: 0 };
    const serial = fitPropensity(reg.table, spec);
    const par = fitPropensityParallel(reg.table, spec, { workers: 2 });
    expect(Buffer.from(par.scores.buffer).equals(Buffer.from(serial.scores.buffer))).toBe(true);
    expect(par.iterations).toBe(serial.iterations);
    // The logit row updates (η, μ, working weights) ran on the workers; the deviance is summed
    // in this thread in row order, so it is the same number too.
    expect(Object.is(par.deviance, serial.deviance)).toBe(true);
    expect(par.coefficients.map((c) => [c.estimate, c.se])).toEqual(serial.coefficients.map((c) => [c.estimate, c.se]));
  });
});
