import { describe, expect, it } from 'vitest';
import { runValidity, DESIGNS } from '../../src/validity/index.js';

describe('Monte Carlo validity study (smoke test: 20 replications; the full study is npm run validate)', () => {
  const rows = runValidity({ reps: 20, seed: 1 });
  it('reports every design × estimator with finite statistics', () => {
    expect(rows.length).toBe(DESIGNS.length * 9);
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
