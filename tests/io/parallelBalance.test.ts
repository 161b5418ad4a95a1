/**
 * The two-thread eCDF runner gives the same bits as one thread (ecdfColumns), on columns that
 * take the counting path (whole numbers) and the sorting path, shared or not.
 */
import { describe, expect, it } from 'vitest';
import { ecdfColumns } from '../../src/balance/ecdf.js';
import { createParallelEcdf } from '../../src/io/parallelBalance.js';
import { createRng } from '../../src/random.js';

describe('createParallelEcdf', () => {
  it('equals ecdfColumns bit for bit on 250,000 rows (above the threshold that starts a worker)', () => {
    const rng = createRng(11);
    const n = 250_000;
    const t = Uint8Array.from({ length: n }, () => (rng.next() < 0.1 ? 1 : 0));
    const w = Float64Array.from(t, (g) => (g ? 1 : rng.next() < 0.1 ? rng.next() * 3 : 0));
    const shared = new Float64Array(new SharedArrayBuffer(n * 8));
    for (let i = 0; i < n; i++) shared[i] = rng.normal();
    const columns = [
      Float64Array.from({ length: n }, () => Math.floor(rng.next() * 60) + 18),
      shared,
      Float64Array.from({ length: n }, () => rng.normal() * 1e3),
      Float64Array.from({ length: n }, () => Math.round(rng.next() * 100) / 10),
      Float64Array.from({ length: n }, () => rng.next()),
    ];
    const one = ecdfColumns(columns, t, w);
    const two = createParallelEcdf()(columns, t, w);
    expect(two.length).toBe(4 * columns.length);
    for (let k = 0; k < one.length; k++) expect(Object.is(two[k], one[k]), `entry ${k}`).toBe(true);
    expect(one.every((x) => Number.isFinite(x) && x >= 0)).toBe(true);
  });
});
