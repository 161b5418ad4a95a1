import { describe, expect, it } from 'vitest';
import { fitPropensity } from '../../src/propensity/fit.js';
import { generateRegister } from '../../src/synth/index.js';
import { fromColumns } from '../../src/data/table.js';
import { CounterfactError } from '../../src/problems.js';

// The warm start must reach glm's optimum under glm's own convergence rule. Reference: the same
// model iterated to a relative deviance change below 1e-15 (the optimum to machine precision).
// The warm fit must be within 1e-9 of it, or at least as close as glm's own path from mustart
// (probit's Fisher scoring converges linearly: glm's rule stops ~5e-7 away on these data).
// Standard errors use the weights of the last iteration (as summary.glm), so they depend on the
// path at the 1e-6 level; required: within 2e-5 (relative) of the optimum's.
function maxDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('fitPropensity warm start (seeded subsample, then glm iterations on all rows)', () => {
  const reg = generateRegister({ rows: 120_000, covariates: 10, seed: 11 });
  const spec = { treatment: 'treat', covariates: reg.truth.covariates };
  const cold = fitPropensity(reg.table, { ...spec, warmStartRows: 0 });
  for (const link of ['logit', 'probit'] as const) {
    it(`${link}: glm's optimum, fewer passes over all rows, iterations reported`, () => {
      const tight = fitPropensity(reg.table, { ...spec, link, warmStartRows: 0, tolerance: 1e-15, maxIterations: 100 });
      const glmPath = link === 'logit' ? cold : fitPropensity(reg.table, { ...spec, link, warmStartRows: 0 });
      const warm = fitPropensity(reg.table, { ...spec, link, warmStartRows: 20_000 });
      expect(glmPath.warmStart).toBeUndefined();
      expect(warm.warmStart).toEqual({ rows: 20_000, iterations: expect.any(Number) });
      expect(warm.converged).toBe(true);
      expect(warm.iterations).toBeLessThan(glmPath.iterations);
      expect(maxDiff(warm.scores, tight.scores)).toBeLessThan(Math.max(1e-9, maxDiff(glmPath.scores, tight.scores)));
      expect(Math.abs(warm.deviance - tight.deviance) / tight.deviance).toBeLessThan(1e-12);
      warm.coefficients.forEach((c, j) => {
        expect(Math.abs(c.se - tight.coefficients[j]!.se) / tight.coefficients[j]!.se).toBeLessThan(2e-5);
      });
    });
  }

  it('is deterministic (fixed subsample seed) and off below 4 × warmStartRows', () => {
    const a = fitPropensity(reg.table, { ...spec, warmStartRows: 20_000 });
    const b = fitPropensity(reg.table, { ...spec, warmStartRows: 20_000 });
    expect(Buffer.from(a.scores.buffer).equals(Buffer.from(b.scores.buffer))).toBe(true);
    const off = fitPropensity(reg.table, { ...spec, warmStartRows: 40_000 }); // 120,000 < 4 × 40,000
    expect(off.warmStart).toBeUndefined();
    expect(Buffer.from(off.scores.buffer).equals(Buffer.from(cold.scores.buffer))).toBe(true);
  });

  it('rejects a bad warmStartRows by name', () => {
    const data = fromColumns({ t: [0, 1, 0, 1, 1, 0], x: [1, 2, 3, 4, 6, 5] });
    for (const bad of [-1, 2.5, Number.NaN]) {
      expect(() => fitPropensity(data, { treatment: 't', covariates: ['x'], warmStartRows: bad })).toThrow(CounterfactError);
      expect(() => fitPropensity(data, { treatment: 't', covariates: ['x'], warmStartRows: bad })).toThrow(/warmStartRows must be a whole number/);
    }
  });
});
