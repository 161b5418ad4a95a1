import { describe, expect, it } from 'vitest';
import { estimateAIPW, estimateIPW, weightIPW } from '../../src/weighting/index.js';
import { fitPropensity } from '../../src/propensity/index.js';
import { assessBalance } from '../../src/balance/index.js';
import { loadLalonde, readReference, LALONDE_COVARIATES } from '../helpers/lalonde.js';

// R 4.2.2 glm + weighted.mean + lm: tests/reference/r/weighting.R
const ref = readReference('weighting_lalonde.json');
const lalonde = loadLalonde();
const spec = { treatment: 'treat', covariates: [...LALONDE_COVARIATES], outcome: 're78' };

describe('IPW and AIPW for the ATT', () => {
  it('IPW point estimate equals R', () => {
    const e = estimateIPW(lalonde, { ...spec, se: 'none' });
    expect(Math.abs(e.estimate - ref.ipw)).toBeLessThan(1e-6);
  });
  it('AIPW point estimate equals R', () => {
    const e = estimateAIPW(lalonde, { ...spec, se: 'none' });
    expect(Math.abs(e.estimate - ref.aipw)).toBeLessThan(1e-6);
  });
  it('bootstrap SE is seeded and deterministic', () => {
    const a = estimateIPW(lalonde, { ...spec, reps: 30, seed: 3 });
    const b = estimateIPW(lalonde, { ...spec, reps: 30, seed: 3 });
    expect(a.se).toBe(b.se);
    expect(a.se!).toBeGreaterThan(0);
    expect(a.method).toMatch(/seed 3/);
  });
  it('odds weights work as a MatchResult for balance', () => {
    const m = weightIPW(fitPropensity(lalonde, spec));
    let wc = 0;
    for (let i = 0; i < m.nUnits; i++) if (!m.treatment[i]) wc += m.weights[i]!;
    expect(wc).toBeCloseTo(m.counts.matchedControls, 8);
    const bal = assessBalance(lalonde, m, [...LALONDE_COVARIATES]);
    expect(bal.rows.length).toBe(9);
  });
});
