import { describe, expect, it } from 'vitest';
import { costPerExtraJob, costPerRecipient, costPerExtraSurvivingBusiness, extraOutcomes } from '../../src/costs/index.js';

const effect = (estimate: number, ciLower: number | null, ciUpper: number | null, nTreated = 1000) => ({
  estimate,
  ciLower,
  ciUpper,
  nTreated,
  level: 0.95,
});

describe('cost per extra job', () => {
  it('divides total cost by ATT × treated, interval from the CI', () => {
    const c = costPerExtraJob(5_200_000, effect(0.13, 0.1, 0.16));
    expect(c.extra.estimate).toBeCloseTo(130, 10);
    expect(c.costPerExtra).toBeCloseTo(40_000, 8);
    expect(c.lower).toBeCloseTo(5_200_000 / 160, 8);
    expect(c.upper).toBeCloseTo(52_000, 8);
    expect(c.costPerTreated).toBe(5200);
    expect(c.defined).toBe(true);
  });

  it('CI including zero: defined point value, no upper bound, said in words (never Infinity)', () => {
    const c = costPerExtraJob(1_000_000, effect(0.02, -0.01, 0.05));
    expect(c.costPerExtra).toBeCloseTo(50_000, 8);
    expect(c.upper).toBeNull();
    expect(c.note).toMatch(/CI includes zero/);
    expect(JSON.stringify(c)).not.toMatch(/Infinity|null,"upper":Infinity/);
  });

  it('non-positive effect: undefined', () => {
    const c = costPerExtraJob(1_000_000, effect(-0.01, -0.03, 0.01));
    expect(c.costPerExtra).toBeNull();
    expect(c.defined).toBe(false);
    expect(c.note).toMatch(/undefined/);
  });

  it('rejects negative cost and bad nTreated', () => {
    expect(() => costPerExtraJob(-1, effect(0.1, 0.05, 0.15))).toThrow(/totalCost must be a finite, non-negative amount/);
    expect(() => extraOutcomes(effect(0.1, 0.05, 0.15), 0)).toThrow(/nTreated must be a positive whole number/);
  });

  it('surviving businesses', () => {
    const c = costPerExtraSurvivingBusiness(1_000_000, effect(0.11, 0.05, 0.17, 500));
    expect(c.unit).toBe('surviving business');
    expect(c.costPerExtra).toBeCloseTo(1_000_000 / 55, 8);
  });
});

describe('cost per recipient (docs/studies.md §2.2, Table 3.1 inputs)', () => {
  it('reproduces the per-recipient column from spent and recipients', () => {
    const t = costPerRecipient([
      { label: 'unemployed < 6 months', spent: 228_748.5, recipients: 4004 },
      { label: 'unemployed ≥ 6 months', spent: 8_512_957.5, recipients: 22_043 },
      { label: 'social disadvantage', spent: 2_665_788.5, recipients: 5008 },
      { label: 'disability', spent: 3_078_292.5, recipients: 6024 },
    ]);
    expect(t.rows.map((r) => Number(r.perRecipient!.toFixed(2)))).toEqual([57.13, 386.2, 532.31, 511.0]);
    expect(t.total.spent).toBeCloseTo(14_485_787, 6);
    expect(t.total.recipients).toBe(37_079);
    expect(Number(t.total.perRecipient!.toFixed(2))).toBe(390.67);
  });
  it('names the bad row', () => {
    expect(() => costPerRecipient([{ label: 'x', spent: 10, recipients: 1.5 }])).toThrow(/recipients for "x"/);
  });
});
