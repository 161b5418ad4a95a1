import { describe, expect, it } from 'vitest';
import { fitPropensity } from '../../src/propensity/fit.js';
import { CounterfactError } from '../../src/problems.js';
import { fromColumns } from '../../src/data/table.js';
import { loadLalonde, readReference, LALONDE_COVARIATES } from '../helpers/lalonde.js';

const ref = readReference('propensity_lalonde.json');
const lalonde = loadLalonde();

describe('fitPropensity on lalonde (reference: R 4.2.2 stats::glm, tests/reference/r/propensity.R)', () => {
  for (const link of ['logit', 'probit'] as const) {
    it(`${link}: fitted values, linear predictor and coefficients agree with glm()`, () => {
      const fit = fitPropensity(lalonde, { treatment: 'treat', covariates: [...LALONDE_COVARIATES], link });
      const r = ref[link];
      expect(fit.converged).toBe(true);
      expect(fit.iterations).toBe(r.iterations);
      let maxFitted = 0;
      let maxLinear = 0;
      for (let i = 0; i < 614; i++) {
        maxFitted = Math.max(maxFitted, Math.abs(fit.scores[i]! - r.fitted[i]));
        maxLinear = Math.max(maxLinear, Math.abs(fit.linearPredictor[i]! - r.linear[i]));
      }
      expect(maxFitted).toBeLessThan(1e-8);
      expect(maxLinear).toBeLessThan(1e-7);
      // Coefficient names follow R's order; R writes race levels as racehispan, we write race[hispan].
      expect(fit.coefficients.map((c) => c.name.replace(/\[(.*)\]/, '$1'))).toEqual(r.names.map((s: string) => s));
      fit.coefficients.forEach((c, j) => {
        expect(c.estimate).toBeCloseTo(r.coefficients[j], 6);
        expect(Math.abs(c.se - r.se[j]) / r.se[j]).toBeLessThan(1e-4);
      });
      expect(fit.deviance).toBeCloseTo(r.deviance, 7);
    });
  }

  it('R glm: first fitted value 0.63877 for NSW1 (logit)', () => {
    const fit = fitPropensity(lalonde, { treatment: 'treat', covariates: [...LALONDE_COVARIATES] });
    expect(fit.scores[0]).toBeCloseTo(0.6387699333, 9);
  });
});

describe('fitPropensity diagnostics and errors', () => {
  it('names a collinear column and drops it, as glm reports NA', () => {
    const n = 200;
    const x = Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
    const z = x.map((v) => 2 * v + 1);
    const t = x.map((v, i) => (v + Math.cos(i * 7) > 0 ? 1 : 0));
    const fit = fitPropensity(fromColumns({ t, x, z }), { treatment: 't', covariates: ['x', 'z'] });
    expect(fit.diagnostics.dropped).toEqual([{ column: 'z', reason: 'collinear' }]);
    expect(fit.coefficients[2]!.aliased).toBe(true);
    expect(fit.diagnostics.warnings.join(' ')).toMatch(/`z` is collinear/);
  });

  it('detects separation and names the covariate', () => {
    const n = 100;
    const x = Array.from({ length: n }, (_, i) => i);
    const w = Array.from({ length: n }, (_, i) => Math.cos(i));
    const t = x.map((v) => (v >= 50 ? 1 : 0));
    const fit = fitPropensity(fromColumns({ t, x, w }), { treatment: 't', covariates: ['x', 'w'] });
    expect(fit.diagnostics.separation.detected).toBe(true);
    expect(fit.diagnostics.separation.suspects).toContain('x');
    expect(fit.diagnostics.warnings.join(' ')).toMatch(/perfectly predict treatment: `x`/);
  });

  it('reports every bad covariate at once, naming column, count and rows', () => {
    const data = fromColumns({
      t: [1, 0, 1, 0, 0, 1],
      a: [1, null, 3, null, 5, 6],
      c: [2, 2, 2, 2, 2, 2],
      s: ['x', 'y', 'x', 'y', 'x', 'x'],
    });
    try {
      fitPropensity(data, { treatment: 't', covariates: ['a', 'c', 'nope', 's'] });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CounterfactError);
      const msg = (e as CounterfactError).message;
      expect(msg).toContain('covariate `a` has 2 missing values (lines 3, 5)');
      expect(msg).toContain('covariate `c` is constant');
      expect(msg).toContain('covariate column `nope` is not in the data');
      expect((e as CounterfactError).problems.map((p) => p.code)).toEqual(['missing_values', 'constant_column', 'unknown_column']);
    }
  });

  it('rejects a treatment that is not 0/1 and accepts si/no labels', () => {
    const base = { a: [1, 2, 3, 4, 5, 6, 7, 8] };
    expect(() => fitPropensity(fromColumns({ ...base, t: [0, 1, 2, 0, 1, 0, 1, 0] }), { treatment: 't', covariates: ['a'] })).toThrow(
      /treatment column `t` must be 0\/1/,
    );
    const fit = fitPropensity(fromColumns({ ...base, t: ['si', 'no', 'no', 'si', 'no', 'si', 'no', 'no'] }), {
      treatment: 't',
      covariates: ['a'],
    });
    expect(Array.from(fit.treatment)).toEqual([1, 0, 0, 1, 0, 1, 0, 0]);
    expect(() => fitPropensity(fromColumns({ ...base, t: [0, 0, 0, 0, 0, 0, 0, 0] }), { treatment: 't', covariates: ['a'] })).toThrow(/no treated units/);
  });
});
