import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchNearest, type NearestOptions } from '../../src/matching/index.js';
import { estimateATT } from '../../src/effects/index.js';
import { fromColumns } from '../../src/data/table.js';
import type { MatchResult } from '../../src/contracts.js';
import { matchitWalk } from '../helpers/matchitWalk.js';

/** Random scores/treatment, with deliberate ties (scores rounded to a coarse grid half the time). */
const input = fc
  .record({
    n: fc.integer({ min: 2, max: 80 }),
    seed: fc.integer({ min: 0, max: 1e9 }),
    coarse: fc.boolean(),
  })
  .map(({ n, seed, coarse }) => {
    let s = seed >>> 0;
    const rand = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 4294967296;
    };
    const scores = new Float64Array(n);
    const treatment = new Uint8Array(n);
    const group = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const u = 0.02 + 0.96 * rand();
      scores[i] = coarse ? Math.round(u * 10) / 10 : u;
      treatment[i] = rand() < 0.35 ? 1 : 0;
      group[i] = rand() < 0.5 ? 'a' : 'b';
    }
    if (!treatment.includes(1)) treatment[0] = 1;
    if (!treatment.includes(0)) treatment[n - 1] = 0;
    return { scores, treatment, group };
  });

const options = fc.record({
  ratio: fc.integer({ min: 1, max: 3 }),
  replace: fc.boolean(),
  caliper: fc.option(fc.double({ min: 0.01, max: 1, noNaN: true }), { nil: undefined }),
  order: fc.constantFrom('largest', 'smallest', 'random', 'data') as fc.Arbitrary<NearestOptions['order']>,
  discard: fc.constantFrom('none', 'treated', 'control', 'both') as fc.Arbitrary<NearestOptions['discard']>,
  exact: fc.boolean(),
  ties: fc.boolean(),
});

function checkInvariants(m: MatchResult, replace: boolean): void {
  const n = m.nUnits;
  // Every treated unit is matched or listed as unmatched with a reason; never both.
  const unmatched = new Set(m.unmatchedTreated.map((u) => u.index));
  for (let i = 0; i < n; i++) {
    if (m.treatment[i]) expect(m.matched[i] === 1).toBe(!unmatched.has(i));
    if (m.discarded[i]) expect(m.matched[i]).toBe(0);
  }
  expect(m.counts.matchedTreated + m.counts.unmatchedTreated).toBe(m.counts.treated);
  expect(m.counts.treated + m.counts.controls).toBe(n);
  // Pair weights of each treated unit sum to 1; all weights non-negative.
  const sums = new Map<number, number>();
  for (let k = 0; k < m.pairs.treated.length; k++) {
    expect(m.treatment[m.pairs.treated[k]!]).toBe(1);
    expect(m.treatment[m.pairs.control[k]!]).toBe(0);
    sums.set(m.pairs.treated[k]!, (sums.get(m.pairs.treated[k]!) ?? 0) + m.pairs.weight[k]!);
  }
  for (const s of sums.values()) expect(s).toBeCloseTo(1, 12);
  let wc = 0;
  for (let i = 0; i < n; i++) {
    expect(m.weights[i]).toBeGreaterThanOrEqual(0);
    if (!m.treatment[i]) wc += m.weights[i]!;
  }
  expect(wc).toBeCloseTo(m.counts.matchedControls, 9);
  // Without replacement no control is used twice.
  if (!replace) {
    const used = new Set<number>();
    for (const c of m.pairs.control) {
      expect(used.has(c)).toBe(false);
      used.add(c);
    }
  }
}

describe('matchNearest properties (fast-check)', () => {
  it('every unit is accounted for, weights are valid, no control reused without replacement', () => {
    fc.assert(
      fc.property(input, options, (data, o) => {
        const opts: NearestOptions = {
          ratio: o.ratio,
          replace: o.replace,
          caliper: o.caliper,
          order: o.order,
          seed: 7,
          discard: o.discard,
          ties: o.replace && o.ties,
          exact: o.exact ? ['group'] : undefined,
          data: o.exact ? fromColumns({ group: data.group }) : undefined,
        };
        const m = matchNearest({ scores: data.scores, treatment: data.treatment }, opts);
        checkInvariants(m, o.replace);
        // Deterministic: same input and seed, same result.
        const again = matchNearest({ scores: data.scores, treatment: data.treatment }, opts);
        expect(Array.from(again.pairs.control)).toEqual(Array.from(m.pairs.control));
        // Exact strata never mix.
        if (o.exact) for (let k = 0; k < m.pairs.treated.length; k++) expect(data.group[m.pairs.treated[k]!]).toBe(data.group[m.pairs.control[k]!]);
      }),
      { numRuns: 300 },
    );
  });

  it("equals a literal position-by-position transcription of MatchIt 4.7.2's walk (ties, ratio, replacement, caliper, exact strata, order)", () => {
    fc.assert(
      fc.property(
        input,
        fc.record({
          ratio: fc.integer({ min: 1, max: 3 }),
          replace: fc.boolean(),
          caliper: fc.option(fc.double({ min: 0.01, max: 0.5, noNaN: true }), { nil: undefined }),
          order: fc.constantFrom('largest', 'smallest', 'data') as fc.Arbitrary<'largest' | 'smallest' | 'data'>,
          exact: fc.boolean(),
        }),
        (data, o) => {
          const { scores: d, treatment: t } = data;
          const m = matchNearest(
            { scores: d, treatment: t },
            {
              ratio: o.ratio,
              replace: o.replace,
              caliper: o.caliper,
              caliperScale: 'raw',
              order: o.order,
              exact: o.exact ? ['group'] : undefined,
              data: o.exact ? fromColumns({ group: data.group }) : undefined,
            },
          );
          const strata = o.exact ? data.group.map((g) => (g === 'a' ? 0 : 1)) : undefined;
          const expected = matchitWalk(d, t, { ratio: o.ratio, replace: o.replace, width: o.caliper ?? Infinity, order: o.order, strata });
          const got = new Map<number, number[]>();
          for (let q = 0; q < m.pairs.treated.length; q++) got.set(m.pairs.treated[q]!, [...(got.get(m.pairs.treated[q]!) ?? []), m.pairs.control[q]!]);
          const sets = (x: Map<number, number[]>) => new Map([...x].map(([k, v]) => [k, [...v].sort((p, q) => p - q)]));
          expect(sets(got)).toEqual(sets(expected));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('estimateATT never returns NaN silently: a NaN outcome among matched units is an error naming it', () => {
    fc.assert(
      fc.property(input, (data) => {
        const m = matchNearest({ scores: data.scores, treatment: data.treatment }, { replace: true });
        const y = Float64Array.from(data.scores, (s) => s * 10);
        const e = estimateATT(fromColumns({ y }), m, { outcome: 'y' });
        expect(Number.isFinite(e.estimate)).toBe(true);
        const bad = y.slice();
        bad[m.pairs.control[0]!] = NaN;
        expect(() => estimateATT(fromColumns({ y: bad }), m, { outcome: 'y' })).toThrow(/outcome `y` is missing or not finite for 1 matched unit/);
      }),
      { numRuns: 100 },
    );
  });
});

describe('matchNearest errors', () => {
  const s = { scores: Float64Array.from([0.2, 0.4, 0.6]), treatment: Uint8Array.from([1, 0, 0]) };
  const cases: [NearestOptions, RegExp][] = [
    [{ ratio: 0 }, /ratio must be a whole number ≥ 1 .*received 0/],
    [{ ratio: 1.5 }, /ratio must be a whole number ≥ 1 .*received 1.5/],
    [{ caliper: -1 }, /caliper must be a positive number/],
    [{ order: 'biggest' as never }, /order must be one of/],
    [{ exact: ['g'] }, /exact matching needs the data/],
    [{ exact: ['nope'], data: fromColumns({ g: ['a', 'b', 'a'] }) }, /exact-matching column `nope` is not in the data/],
    [{ ties: true }, /ties applies to matching with replacement/],
    [{ discard: 'all' as never }, /discard must be one of/],
  ];
  for (const [o, re] of cases)
    it(
      JSON.stringify(o, (k, v) => (k === 'data' ? '[table]' : v)),
      () => expect(() => matchNearest(s, o)).toThrow(re),
    );
  it('NaN scores name the rows', () => {
    expect(() => matchNearest({ scores: Float64Array.from([0.2, NaN, 0.6]), treatment: s.treatment })).toThrow(
      /1 propensity scores are missing or not finite \(rows 2\)/,
    );
  });
  it("distance 'logit' with a score of 1 and no linear predictor", () => {
    expect(() => matchNearest({ scores: Float64Array.from([1, 0.4, 0.6]), treatment: s.treatment }, { distance: 'logit' })).toThrow(/strictly between 0 and 1/);
  });
  it('reports controls exhausted without replacement', () => {
    const m = matchNearest({ scores: Float64Array.from([0.2, 0.3, 0.6, 0.5]), treatment: Uint8Array.from([1, 1, 1, 0]) });
    expect(m.counts.matchedTreated).toBe(1);
    expect(m.unmatchedTreated.map((u) => u.reason)).toEqual(['controls-exhausted', 'controls-exhausted']);
    expect(m.warnings.join(' ')).toMatch(/controls exhausted/);
  });
});

describe('row order', () => {
  it('fit, match (order largest, distinct scores) and ATT do not depend on the order of the input rows', async () => {
    const { fitPropensity } = await import('../../src/propensity/index.js');
    const { generateRegister } = await import('../../src/synth/index.js');
    const { takeRows } = await import('../../src/data/table.js');
    const { createRng, shuffleInPlace } = await import('../../src/random.js');
    const reg = generateRegister({ rows: 5000, covariates: 12, seed: 12 });
    const perm = Int32Array.from({ length: 5000 }, (_, i) => i);
    shuffleInPlace(perm, createRng(3));
    const shuffled = takeRows(reg.table, perm);
    const spec = { treatment: 'treat', covariates: reg.truth.covariates };
    for (const o of [{}, { replace: true, ratio: 2 }, { caliper: 0.1 }] as NearestOptions[]) {
      const a = matchNearest(fitPropensity(reg.table, spec), o);
      const b = matchNearest(fitPropensity(shuffled, spec), o);
      const pairsA = Array.from(a.pairs.treated, (t, k) => `${t},${a.pairs.control[k]}`).sort();
      const pairsB = Array.from(b.pairs.treated, (t, k) => `${perm[t]},${perm[b.pairs.control[k]!]}`).sort();
      expect(pairsB).toEqual(pairsA);
      const ea = estimateATT(reg.table, a, { outcome: 'outcome' });
      const eb = estimateATT(shuffled, b, { outcome: 'outcome' });
      expect(Math.abs(ea.estimate - eb.estimate)).toBeLessThan(1e-12);
      expect(Math.abs(ea.se! - eb.se!)).toBeLessThan(1e-12);
    }
  });
  // Where results do depend on row order (documented in docs/estimation.md): ties between equal
  // scores are broken in data order (as MatchIt 4.7), and order 'data' / 'random' by definition.
});
