import { describe, expect, it } from 'vitest';
import { fitPropensity } from '../../src/propensity/index.js';
import { createParallelAccumulator } from '../../src/io/parallel.js';
import { generateRegister } from '../../src/synth/index.js';

describe('parallel propensity fit (worker threads)', () => {
  it('gives bit-identical results with 1, 2 and 3 workers and in this thread', () => {
    const reg = generateRegister({ rows: 200_000, covariates: 12, seed: 4 });
    const spec = { treatment: 'treat', covariates: reg.truth.covariates };
    const serial = fitPropensity(reg.table, spec);
    for (const workers of [1, 2, 3]) {
      const acc = createParallelAccumulator({ workers });
      try {
        const par = fitPropensity(reg.table, { ...spec, accumulator: acc });
        expect(par.iterations).toBe(serial.iterations);
        expect(Buffer.from(par.scores.buffer, par.scores.byteOffset, par.scores.byteLength).equals(Buffer.from(serial.scores.buffer, serial.scores.byteOffset, serial.scores.byteLength))).toBe(true);
        expect(par.coefficients.map((c) => c.estimate)).toEqual(serial.coefficients.map((c) => c.estimate));
      } finally {
        acc.close();
      }
    }
  });
});
