/**
 * MatchIt 4.7.2's tie rule on tied (categorical) data: the same controls, weights and ATT as
 * `matchit(method = "nearest")` for every option set in tests/reference/matchit_ties.json, made by
 * tests/reference/r/matchit_ties.R with MatchIt 4.7.2 (R 4.2.2). Two cases are the minimal
 * reproductions of the tie-breaking difference; the rest run on a seeded 3,000-row register with
 * four categorical covariates (many units share a score exactly).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromColumns, type Table } from '../../src/data/table.js';
import { fitPropensity } from '../../src/propensity/index.js';
import { matchNearest, type NearestOptions } from '../../src/matching/index.js';
import { loadLalonde, LALONDE_COVARIATES, readReference, referencePath, weightedDifference } from '../helpers/lalonde.js';

interface Case {
  name: string;
  call: string;
  distance: number[];
  treated: number[];
  match: number[][];
  weights: number[];
  att: number;
}
const ref = readReference<{ matchit: string; cases: Case[] }>('matchit_ties.json');

/** Options equal to each R call (the `distance` matched on is R's, so only the rule is compared). */
const OPTIONS: Record<string, NearestOptions> = {
  repro1_replace: { replace: true },
  repro2_default: {},
  register_default: {},
  register_replace: { replace: true },
  register_replace_ratio3: { replace: true, ratio: 3 },
  register_ratio2: { ratio: 2 },
  register_ratio3_smallest: { ratio: 3, order: 'smallest' },
  register_caliper: { caliper: 0.1 },
  register_order_data: { order: 'data' },
  register_exact_caliper: { exact: ['province'], caliper: 0.2 },
  register_exact_replace: { exact: ['gender'], replace: true },
  register_exact_ratio2: { exact: ['citizenship'], ratio: 2 },
  register_linear_logit: { caliper: 0.05 },
  register_probit: {},
  register_linear_probit: {},
  register_discard_both: { discard: 'both', ratio: 2, replace: true },
  register_exact_ratio2_caliper_replace: { exact: ['education'], ratio: 2, caliper: 0.3, replace: true },
  register_reuse2_ratio2: { reuseMax: 2, ratio: 2 },
  register_variable_ratio: { ratio: 2, minControls: 1, maxControls: 4 },
  register_variable_ratio_replace: { ratio: 2.5, minControls: 1, maxControls: 5, replace: true },
  register_closest: { order: 'closest' },
  register_closest_ratio2: { order: 'closest', ratio: 2 },
  register_farthest: { order: 'farthest' },
  register_closest_caliper: { order: 'closest', caliper: 0.1 },
  register_closest_exact: { order: 'closest', exact: ['province'] },
  register_closest_reuse2: { order: 'closest', reuseMax: 2 },
  lalonde_closest_ratio2: { order: 'closest', ratio: 2 },
  lalonde_farthest_caliper: { order: 'farthest', caliper: 0.1 },
  lalonde_covariate_calipers: { caliper: 0.25, covariateCalipers: { age: 1, re74: 0.5 } },
  lalonde_covariate_caliper_replace_ratio2: { covariateCalipers: { re75: 0.3 }, replace: true, ratio: 2 },
  lalonde_linear_probit_caliper: { caliper: 0.2 },
  lalonde_linear_logit_caliper: { caliper: 0.2 },
};

function readCsv(name: string): Table {
  const [header, ...lines] = readFileSync(referencePath(name), 'utf8').trim().split('\n');
  const names = header!.split(',');
  const cols: Record<string, (string | number)[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const line of lines) line.split(',').forEach((c, j) => cols[names[j]!]!.push(Number.isNaN(Number(c)) ? c : Number(c)));
  return fromColumns(cols);
}

const REPRO: Record<string, Table> = {
  repro1_replace: fromColumns({ id: [1, 2, 3, 4, 5, 6, 7], treat: [0, 1, 1, 0, 1, 0, 0], g: ['a', 'a', 'a', 'a', 'b', 'b', 'b'], y: [10, 0, 0, 20, 0, 5, 7] }),
  repro2_default: fromColumns({
    id: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    treat: [0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0],
    g: ['a', 'a', 'a', 'a', 'a', 'a', 'a', 'b', 'b', 'b', 'b'],
    y: [1, 2, 0, 0, 0, 6, 7, 0, 9, 10, 11],
  }),
};
const register = readCsv('matchit_ties_register.csv');
const lalonde = loadLalonde();
const dataOf = (name: string): Table => REPRO[name] ?? (name.startsWith('lalonde') ? lalonde : register);
const outcomeOf = (name: string, t: Table): Float64Array => {
  const c = t.columns[name.startsWith('lalonde') ? 're78' : 'y']!;
  if (c.kind !== 'numeric') throw new Error('numeric outcome expected');
  return c.values;
};
const treatmentOf = (t: Table): Uint8Array => {
  const c = t.columns.treat!;
  if (c.kind !== 'numeric') throw new Error('numeric treatment expected');
  return Uint8Array.from(c.values);
};

describe(`MatchIt ${ref.matchit} nearest matching on tied scores: same controls, weights and ATT`, () => {
  it('covers every reference case', () => {
    expect(ref.cases.map((c) => c.name).sort()).toEqual(Object.keys(OPTIONS).sort());
  });
  for (const c of ref.cases) {
    it(`${c.name}: ${c.call}`, () => {
      const data = dataOf(c.name);
      const treatment = treatmentOf(data);
      const m = matchNearest({ scores: Float64Array.from(c.distance), treatment }, { ...OPTIONS[c.name], data });
      // Controls of each treated unit (as sets: MatchIt's column order is not part of the result).
      const ours = new Map<number, number[]>();
      for (let k = 0; k < m.pairs.treated.length; k++) {
        const t = m.pairs.treated[k]! + 1;
        ours.set(t, [...(ours.get(t) ?? []), m.pairs.control[k]! + 1]);
      }
      c.treated.forEach((t, k) => {
        // jsonlite writes a one-element vector as a scalar.
        const theirs = ([] as number[]).concat(c.match[k] ?? []);
        expect(
          [...(ours.get(t) ?? [])].sort((a, b) => a - b),
          `controls of treated row ${t}`,
        ).toEqual(theirs.sort((a, b) => a - b));
      });
      for (let i = 0; i < c.weights.length; i++) expect(m.weights[i]).toBeCloseTo(c.weights[i]!, 12);
      expect(weightedDifference(m, outcomeOf(c.name, data))).toBeCloseTo(c.att, 9);
    });
  }
});

describe('distance scales as MatchIt links, from our own propensity fit', () => {
  it("distance 'linear' with a probit fit is MatchIt's link = 'linear.probit' (lalonde, caliper 0.2)", () => {
    const c = ref.cases.find((x) => x.name === 'lalonde_linear_probit_caliper')!;
    const fit = fitPropensity(lalonde, { treatment: 'treat', covariates: [...LALONDE_COVARIATES], link: 'probit' });
    for (let i = 0; i < c.distance.length; i++) expect(fit.linearPredictor[i]).toBeCloseTo(c.distance[i]!, 8);
    const m = matchNearest(fit, { distance: 'linear', caliper: 0.2 });
    expect(weightedDifference(m, outcomeOf(c.name, lalonde))).toBeCloseTo(c.att, 6);
    // 'logit' on a probit fit is qlogis(pnorm(Xβ)): a different scale, so a different caliper and answer.
    const other = matchNearest(fit, { distance: 'logit', caliper: 0.2 });
    expect(Math.abs(weightedDifference(other, outcomeOf(c.name, lalonde)) - c.att)).toBeGreaterThan(1);
  });
  it("distance 'linear' and 'logit' with a logit fit are both MatchIt's link = 'linear.logit'", () => {
    const c = ref.cases.find((x) => x.name === 'lalonde_linear_logit_caliper')!;
    const fit = fitPropensity(lalonde, { treatment: 'treat', covariates: [...LALONDE_COVARIATES] });
    for (const distance of ['linear', 'logit'] as const) {
      const m = matchNearest(fit, { distance, caliper: 0.2 });
      expect(weightedDifference(m, outcomeOf(c.name, lalonde))).toBeCloseTo(c.att, 6);
    }
  });
  it('the register matched on our own logit fit gives MatchIt 4.7.2 weights (no replacement and with)', () => {
    const fit = fitPropensity(register, { treatment: 'treat', covariates: ['gender', 'citizenship', 'education', 'province'] });
    for (const name of ['register_default', 'register_replace', 'register_exact_caliper']) {
      const c = ref.cases.find((x) => x.name === name)!;
      const m = matchNearest(fit, { ...OPTIONS[name], data: register });
      for (let i = 0; i < c.weights.length; i++) expect(m.weights[i]).toBeCloseTo(c.weights[i]!, 12);
    }
  });
});
