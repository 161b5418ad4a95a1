import { describe, expect, it } from 'vitest';
import { runValidity, DESIGNS, ESTIMATORS } from '../../src/validity/index.js';

describe('Monte Carlo validity study (smoke test: 20 replications; the full study is npm run validate)', () => {
  const rows = runValidity({ reps: 20, seed: 1 });
  it('reports every design × estimator with finite statistics', () => {
    expect(rows.length).toBe(DESIGNS.length * ESTIMATORS.length);
    for (const r of rows) {
      expect(Number.isFinite(r.bias)).toBe(true);
      expect(r.rmse).toBeGreaterThanOrEqual(Math.abs(r.bias));
      expect(r.coverage).toBeGreaterThanOrEqual(0);
      expect(r.coverage).toBeLessThanOrEqual(1);
      expect(r.reps).toBe(20);
    }
  });
  it('is deterministic for a seed', () => {
    expect(runValidity({ reps: 20, seed: 1 })).toEqual(rows);
  });
  it('shows the paired SE ignoring reuse is too small under poor overlap', () => {
    const poor = rows.filter((r) => r.design.startsWith('poor overlap') && r.estimator.includes('MatchIt'));
    const ai = poor.find((r) => r.se === 'ai (J = 0)')!;
    const naive = poor.find((r) => r.se.startsWith('naive'))!;
    expect(naive.meanSe).toBeLessThan(0.6 * ai.meanSe);
  });
});

describe('covariate adjustment removes the bias of 1:1 matching without replacement (seeded, 300 replications)', () => {
  const design = DESIGNS.find((d) => d.name === 'good overlap, heterogeneous effect')!;
  const estimators = ESTIMATORS.filter((e) => e.estimator.startsWith('nearest 1:1 without replacement') && e.seMethod === 'pairs');
  const rows = runValidity({ reps: 300, seed: 2026, designs: [design], estimators });
  const row = (se: string) => rows.find((r) => r.se.startsWith(se))!;
  it('plain matching is biased by more than 0.25 SD; the g-computation regression by less', () => {
    const plain = rows.find((r) => r.estimator === 'nearest 1:1 without replacement')!;
    const adjusted = row('pairs (g-computation');
    expect(plain.bias / plain.sdEstimate).toBeGreaterThan(0.25);
    expect(Math.abs(adjusted.bias) / adjusted.sdEstimate).toBeLessThan(0.25);
  });
  it('with a heterogeneous effect the conditional SE (as R reports it) under-covers the population ATT; the population SE does not', () => {
    const pop = row('pairs (g-computation');
    const cond = row('pairs, conditional');
    expect(pop.meanSe).toBeGreaterThan(cond.meanSe);
    expect(cond.meanSe).toBeLessThan(0.95 * cond.sdEstimate);
    expect(pop.coverage).toBeGreaterThan(cond.coverage + 0.02);
  });
});
