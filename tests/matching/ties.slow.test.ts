import { describe, expect, it } from 'vitest';
import { matchNearest } from '../../src/matching/index.js';

describe('matchNearest with ties on large tied blocks', () => {
  it('more than 20 million tied pairs is a CounterfactError naming tieTolerance, not an out-of-memory crash', () => {
    // 2,100 treated and 10,000 controls all at 0.5: every control ties for every treated unit.
    const n = 12_100;
    const scores = new Float64Array(n).fill(0.5);
    const treatment = new Uint8Array(n);
    treatment.fill(1, 0, 2_100);
    expect(() => matchNearest({ scores, treatment }, { replace: true, ties: true })).toThrow(
      /more than 20,000,000 matched pairs .* Use tieTolerance: 0 .* or ties: false/s,
    );
    // Without ties the same data is 2,100 pairs.
    expect(matchNearest({ scores, treatment }, { replace: true }).pairs.treated.length).toBe(2_100);
  });
});
