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

  it('the column statistics on the workers give the same means, scales and separation ranges', () => {
    // A covariate whose treated and control ranges do not overlap is named by the separation
    // check from the ranges the workers computed (column by column, on either worker).
    const n = 6000;
    const treat = Float64Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 1 : 0));
    const data = {
      treat,
      x: Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 3 + (i % 7 === 0 ? 0.4 : 0)),
      g: Array.from({ length: n }, (_, i) => ['a', 'b', 'c'][i % 3]!),
      apart: Float64Array.from(treat, (t, i) => (t ? 10 + (i % 5) : (i % 4) - 2)),
    };
    const spec = { treatment: 'treat', covariates: ['x', 'g', 'apart'], warmStartRows: 0, maxIterations: 8 };
    const serial = fitPropensity(data, spec);
    const acc = createParallelAccumulator({ workers: 2 });
    try {
      const par = fitPropensity(data, { ...spec, accumulator: acc });
      expect(serial.diagnostics.separation.suspects).toContain('apart');
      expect(par.diagnostics).toEqual(serial.diagnostics);
      expect(Buffer.from(par.scores.buffer).equals(Buffer.from(serial.scores.buffer))).toBe(true);
    } finally {
      acc.close();
    }
  });
});
