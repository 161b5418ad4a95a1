import { describe, expect, it } from 'vitest';
import { haversineKm, matchGeographic } from '../../src/matching/geographic.js';
import { fromColumns } from '../../src/data/table.js';
import { createRng } from '../../src/random.js';

/** O(n²) reference: treated in data order, nearest free control in the same stratum by haversine. */
function bruteForce(lat: Float64Array, lon: Float64Array, t: Uint8Array, strata: string[], caliper = Infinity) {
  const used = new Set<number>();
  const out = new Map<number, number>();
  for (let i = 0; i < t.length; i++) {
    if (!t[i]) continue;
    let best = -1;
    let bd = Infinity;
    for (let j = 0; j < t.length; j++) {
      if (t[j] || used.has(j) || strata[j] !== strata[i]) continue;
      const d = haversineKm(lat[i]!, lon[i]!, lat[j]!, lon[j]!);
      if (d < bd || (d === bd && j < best)) {
        bd = d;
        best = j;
      }
    }
    if (best >= 0 && bd <= caliper) {
      used.add(best);
      out.set(i, best);
    }
  }
  return out;
}

function random(n: number, seed: number) {
  const rng = createRng(seed);
  const lat = new Float64Array(n);
  const lon = new Float64Array(n);
  const t = new Uint8Array(n);
  const g: string[] = [];
  for (let i = 0; i < n; i++) {
    lat[i] = 44 + 2 * rng.next(); // Piedmont-ish
    lon[i] = 7 + 2 * rng.next();
    t[i] = rng.bernoulli(0.25);
    g.push(['manufacturing', 'retail', 'services'][rng.int(3)]!);
  }
  return { lat, lon, t, g };
}

describe('matchGeographic', () => {
  it('haversine: Turin–Milan ≈ 126 km', () => {
    expect(haversineKm(45.0703, 7.6869, 45.4642, 9.19)).toBeCloseTo(125.8, 0);
  });
  for (const [name, caliper] of [
    ['no caliper', undefined],
    ['caliper 3 km', 3],
  ] as const) {
    it(`same matches as an O(n²) brute force within exact strata (${name})`, () => {
      for (const seed of [1, 2, 3]) {
        const { lat, lon, t, g } = random(600, seed);
        const m = matchGeographic({ lat, lon, treatment: t, exact: ['g'], data: fromColumns({ g }), caliperKm: caliper });
        const expected = bruteForce(lat, lon, t, g, caliper ?? Infinity);
        const got = new Map<number, number>();
        for (let k = 0; k < m.pairs.treated.length; k++) got.set(m.pairs.treated[k]!, m.pairs.control[k]!);
        expect(got).toEqual(expected);
        expect(m.counts.matchedTreated + m.counts.unmatchedTreated).toBe(m.counts.treated);
        expect(new Set(m.pairs.control).size).toBe(m.pairs.control.length); // no reuse
        if (caliper) expect(m.unmatchedTreated.every((u) => u.reason === 'no-control-within-caliper' || u.reason === 'controls-exhausted')).toBe(true);
      }
    });
  }
  it('treated units in a stratum without controls are reported', () => {
    const m = matchGeographic({
      lat: Float64Array.from([45, 45.1, 45.2]),
      lon: Float64Array.from([7, 7.1, 7.2]),
      treatment: Uint8Array.from([1, 0, 1]),
      exact: ['s'],
      data: fromColumns({ s: ['a', 'a', 'b'] }),
    });
    expect(m.unmatchedTreated).toEqual([{ index: 2, reason: 'no-control-in-stratum' }]);
  });
  it('rejects bad coordinates naming the rows', () => {
    expect(() => matchGeographic({ lat: Float64Array.from([45, NaN]), lon: Float64Array.from([7, 7]), treatment: Uint8Array.from([1, 0]) })).toThrow(
      /1 unit\(s\) have missing or out-of-range coordinates \(line 3\)/,
    );
  });
  it('200k businesses in a few seconds (time printed, not asserted)', () => {
    const { lat, lon, t, g } = random(200_000, 7);
    const t0 = performance.now();
    const m = matchGeographic({ lat, lon, treatment: t, exact: ['g'], data: fromColumns({ g }) });
    console.log(`matchGeographic 200k units: ${((performance.now() - t0) / 1000).toFixed(2)} s, ${m.counts.matchedTreated} pairs`);
    expect(m.counts.matchedTreated).toBe(m.counts.treated);
  });
});
