import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchNearest, type NearestOptions } from '../../src/matching/index.js';
import { fromColumns } from '../../src/data/table.js';
import type { MatchResult } from '../../src/contracts.js';

/** Seeded random scores and treatment; `coarse` rounds scores to a 0.05 grid so ties are common. */
const input = fc
  .record({
    n: fc.integer({ min: 2, max: 120 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 }),
    coarse: fc.boolean(),
    share: fc.double({ min: 0.1, max: 0.7, noNaN: true }),
  })
  .map(({ n, seed, coarse, share }) => {
    let s = seed >>> 0;
    const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 4294967296);
    const scores = new Float64Array(n);
    const treatment = new Uint8Array(n);
    const group: string[] = [];
    for (let i = 0; i < n; i++) {
      const u = 0.01 + 0.98 * rand();
      scores[i] = coarse ? Math.min(0.95, Math.max(0.05, Math.round(u * 20) / 20)) : u;
      treatment[i] = rand() < share ? 1 : 0;
      group.push(rand() < 0.3 ? 'x' : 'y');
    }
    if (!treatment.includes(1)) treatment[0] = 1;
    if (!treatment.includes(0)) treatment[n - 1] = 0;
    return { scores, treatment, group };
  });

const options = fc.record({
  ratio: fc.integer({ min: 1, max: 4 }),
  replace: fc.boolean(),
  caliper: fc.option(fc.double({ min: 0.005, max: 2, noNaN: true }), { nil: undefined }),
  caliperScale: fc.constantFrom('sd', 'raw') as fc.Arbitrary<'sd' | 'raw'>,
  distance: fc.constantFrom('probability', 'logit') as fc.Arbitrary<'probability' | 'logit'>,
  order: fc.constantFrom('largest', 'smallest', 'random', 'data') as fc.Arbitrary<NearestOptions['order']>,
  seed: fc.integer({ min: 0, max: 1000 }),
  discard: fc.constantFrom('none', 'treated', 'control', 'both') as fc.Arbitrary<NearestOptions['discard']>,
  exact: fc.boolean(),
  ties: fc.boolean(),
});

const REASONS = new Set(['discarded', 'no-control-within-caliper', 'controls-exhausted', 'no-control-in-stratum']);

/** Plain-array snapshot of everything in a MatchResult (typed arrays compared element-wise). */
function snapshot(m: MatchResult): unknown {
  return JSON.parse(JSON.stringify(m, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v)));
}

describe('matchNearest invariants over random inputs and every option (fast-check)', () => {
  it('every unit is accounted for exactly once, weights follow the MatchResult contract, reruns are identical', () => {
    fc.assert(
      fc.property(input, options, (data, o) => {
        const opts: NearestOptions = {
          ratio: o.ratio,
          replace: o.replace,
          caliper: o.caliper,
          caliperScale: o.caliperScale,
          distance: o.distance,
          order: o.order,
          seed: o.seed,
          discard: o.discard,
          ties: o.replace && o.ties,
          exact: o.exact ? ['group'] : undefined,
          data: o.exact ? fromColumns({ group: data.group }) : undefined,
        };
        const m = matchNearest({ scores: data.scores, treatment: data.treatment }, opts);
        const n = data.scores.length;
        const inPairs = new Uint8Array(n);
        const perTreated = new Map<number, number>();
        const controlUse = new Map<number, number>();
        for (let k = 0; k < m.pairs.treated.length; k++) {
          const t = m.pairs.treated[k]!;
          const c = m.pairs.control[k]!;
          inPairs[t] = inPairs[c] = 1;
          perTreated.set(t, (perTreated.get(t) ?? 0) + 1);
          controlUse.set(c, (controlUse.get(c) ?? 0) + 1);
          expect(m.pairs.weight[k]).toBeGreaterThan(0);
          if (o.exact) expect(data.group[c]).toBe(data.group[t]);
          if (!(o.replace && o.ties)) expect(perTreated.get(t)!).toBeLessThanOrEqual(o.ratio);
        }
        const unmatched = new Map(m.unmatchedTreated.map((u) => [u.index, u.reason]));
        expect(unmatched.size).toBe(m.unmatchedTreated.length);
        let wT = 0,
          wC = 0;
        for (let i = 0; i < n; i++) {
          // matched ⇔ in a pair ⇔ weight > 0; discarded ⇒ unmatched.
          expect(m.matched[i]).toBe(inPairs[i]);
          expect(m.weights[i]! > 0).toBe(inPairs[i] === 1);
          expect(m.weights[i]).toBeGreaterThanOrEqual(0);
          if (m.discarded[i]) expect(m.matched[i]).toBe(0);
          if (data.treatment[i]) {
            // each treated unit: matched (weight 1) xor listed unmatched, with 'discarded' iff discarded
            expect(unmatched.has(i)).toBe(!inPairs[i]);
            if (inPairs[i]) expect(m.weights[i]).toBe(1);
            if (unmatched.has(i)) {
              expect(REASONS.has(unmatched.get(i)!)).toBe(true);
              expect(unmatched.get(i) === 'discarded').toBe(m.discarded[i] === 1);
            }
            wT += m.weights[i]!;
          } else {
            wC += m.weights[i]!;
            if (!o.replace) expect(controlUse.get(i) ?? 0).toBeLessThanOrEqual(1);
          }
        }
        // pair weights of each treated unit sum to 1 and are equal (1/M_i)
        for (let k = 0; k < m.pairs.treated.length; k++) expect(m.pairs.weight[k]).toBeCloseTo(1 / perTreated.get(m.pairs.treated[k]!)!, 14);
        expect(wT).toBe(m.counts.matchedTreated);
        expect(wC).toBeCloseTo(m.counts.matchedControls, 9);
        expect(m.counts.matchedTreated).toBe(perTreated.size);
        expect(m.counts.matchedControls).toBe(controlUse.size);
        expect(m.counts.matchedTreated + m.counts.unmatchedTreated).toBe(m.counts.treated);
        // settings record every option, defaults filled in
        expect(m.settings).toMatchObject({
          ratio: o.ratio,
          replace: o.replace,
          order: o.order,
          discard: o.discard,
          distance: o.distance,
          seed: o.order === 'random' ? o.seed : null,
        });
        // identical on rerun
        expect(snapshot(matchNearest({ scores: data.scores, treatment: data.treatment }, opts))).toEqual(snapshot(m));
      }),
      { numRuns: 400 },
    );
  });

  it("order 'random' is a function of the seed: same seed, same matches", () => {
    fc.assert(
      fc.property(input, fc.integer({ min: 0, max: 2 ** 31 }), (data, seed) => {
        const a = matchNearest({ scores: data.scores, treatment: data.treatment }, { order: 'random', seed });
        const b = matchNearest({ scores: data.scores, treatment: data.treatment }, { order: 'random', seed });
        expect(snapshot(b)).toEqual(snapshot(a));
        expect(a.settings.method === 'nearest' && a.settings.seed).toBe(seed);
      }),
      { numRuns: 200 },
    );
  });

  it("order 'random': different seeds give different matches when the order matters", () => {
    // 3 treated at 0.5 competing for the nearest of 3 controls at 0.45, 0.6, 0.9: who gets 0.45
    // depends on who goes first.
    const input = { scores: Float64Array.from([0.5, 0.5, 0.5, 0.45, 0.6, 0.9]), treatment: Uint8Array.from([1, 1, 1, 0, 0, 0]) };
    const firstOf = new Set<number>();
    for (let seed = 0; seed < 30; seed++) {
      const m = matchNearest(input, { order: 'random', seed });
      firstOf.add(m.pairs.treated[Array.from(m.pairs.control).indexOf(3)]!);
    }
    expect(firstOf).toEqual(new Set([0, 1, 2]));
  });

  it('ties with replacement and tieTolerance 0 keep exactly the controls at the nearest distance (brute force)', () => {
    fc.assert(
      fc.property(input, (data) => {
        const { scores: d, treatment: t } = data;
        const m = matchNearest({ scores: d, treatment: t }, { replace: true, ties: true, tieTolerance: 0 });
        const got = new Map<number, number[]>();
        for (let k = 0; k < m.pairs.treated.length; k++) got.set(m.pairs.treated[k]!, [...(got.get(m.pairs.treated[k]!) ?? []), m.pairs.control[k]!]);
        for (let i = 0; i < d.length; i++) {
          if (!t[i]) continue;
          let best = Infinity;
          for (let j = 0; j < d.length; j++) if (!t[j]) best = Math.min(best, Math.abs(d[i]! - d[j]!));
          const expected = [];
          for (let j = 0; j < d.length; j++) if (!t[j] && Math.abs(d[i]! - d[j]!) === best) expected.push(j);
          expect((got.get(i) ?? []).slice().sort((a, b) => a - b)).toEqual(expected);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('matchNearest ties warning', () => {
  it("says when Matching's tolerance more than doubles the matches (continuous scores)", () => {
    // controls every 1e-4 around 0.5: with the default tolerance several count as tied
    const scores = Float64Array.from([0.5, 0.05, 0.95, ...Array.from({ length: 41 }, (_, k) => 0.498 + k * 1e-4)]);
    const treatment = Uint8Array.from(scores, (_, i) => (i < 3 ? 1 : 0));
    const m = matchNearest({ scores, treatment }, { replace: true, ties: true });
    expect(m.pairs.treated.length).toBeGreaterThan(6);
    expect(m.warnings.join(' ')).toMatch(/ties: \d+ matches for 3 treated unit\(s\).*use tieTolerance: 0/);
    const exact = matchNearest({ scores, treatment }, { replace: true, ties: true, tieTolerance: 0 });
    expect(exact.warnings.join(' ')).not.toMatch(/ties:/);
  });
});
