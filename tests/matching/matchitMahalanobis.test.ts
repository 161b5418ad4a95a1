/**
 * Mahalanobis matching against MatchIt 4.7.2 (`distance = "mahalanobis"`, and `mahvars` inside a
 * propensity caliper): MatchIt's walk and tie rule (`find_control_mahcovs`). References:
 * tests/reference/matchit_mahalanobis.json, made by tests/reference/r/matchit_mahalanobis.R.
 *
 * Where MatchIt's covariance is non-singular (numeric covariates; lalonde) its distance is the
 * textbook Mahalanobis distance and the matches are MatchIt's, except where two controls are at
 * the same distance in exact arithmetic and R's rounding (last bits) decides: those are checked
 * to be such ties. With factor covariates MatchIt's covariance is singular and its distance keeps
 * the unfactored trailing block of a pivoted Cholesky factor of the generalised inverse, which is
 * not the Mahalanobis distance; counterfact keeps the textbook distance (as R Matching and
 * optmatch), so there every control it picks is at least as near, in that distance, as MatchIt's.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromColumns, type Table } from '../../src/data/table.js';
import { matchMahalanobis, type MahalanobisOptions } from '../../src/matching/mahalanobis.js';
import { fitPropensity } from '../../src/propensity/index.js';
import { buildDesign } from '../../src/data/design.js';
import { loadLalonde, LALONDE_COVARIATES, readReference, referencePath, weightedDifference } from '../helpers/lalonde.js';

interface Case {
  name: string;
  call: string;
  treated: number[];
  match: (number | number[])[];
  weights: number[];
  att: number;
  distance?: number[];
}
const ref = readReference<{ matchit: string; cases: Case[] }>('matchit_mahalanobis.json');

function readCsv(name: string): Table {
  const [header, ...lines] = readFileSync(referencePath(name), 'utf8').trim().split('\n');
  const names = header!.split(',');
  const cols: Record<string, (string | number)[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const line of lines) line.split(',').forEach((c, j) => cols[names[j]!]!.push(Number.isNaN(Number(c)) ? c : Number(c)));
  return fromColumns(cols);
}
const register = readCsv('matchit_ties_register.csv');
const lalonde = loadLalonde();
const REGISTER = ['gender', 'citizenship', 'education', 'province'];

const OPTIONS: Record<string, Omit<MahalanobisOptions, 'covariates'>> = {
  register_default: {},
  register_replace: { replace: true },
  register_ratio2: { ratio: 2 },
  register_ratio3_replace: { ratio: 3, replace: true },
  register_caliper: { caliper: 0.05 },
  register_caliper_replace: { caliper: 0.05, replace: true },
  lalonde_default: {},
  lalonde_replace_ratio2: { replace: true, ratio: 2 },
  lalonde_caliper: { caliper: 0.2 },
};
/** Cases where MatchIt's distance is the textbook one on the candidates that matter: same matches. */
const EXACT = ['register_caliper', 'register_caliper_replace', 'lalonde_replace_ratio2', 'lalonde_caliper'];

function run(c: Case) {
  const lal = c.name.startsWith('lalonde');
  const data = lal ? lalonde : register;
  const covariates = lal ? [...LALONDE_COVARIATES] : REGISTER;
  const col = data.columns.treat!;
  if (col.kind !== 'numeric') throw new Error('numeric treat expected');
  const treatment = Uint8Array.from(col.values);
  const fit = fitPropensity(data, { treatment: 'treat', covariates });
  // Calipers on MatchIt's own propensity score, so only the matching rule is compared.
  const scored = c.distance && c.distance.length ? { ...fit, scores: Float64Array.from(c.distance) } : fit;
  const m = matchMahalanobis(data, treatment, { covariates, ...OPTIONS[c.name], fit: scored });
  const ours = new Map<number, number[]>();
  for (let k = 0; k < m.pairs.treated.length; k++) {
    const t = m.pairs.treated[k]! + 1;
    ours.set(t, [...(ours.get(t) ?? []), m.pairs.control[k]! + 1]);
  }
  // Textbook squared Mahalanobis distance (pooled within-group covariance), for the checks.
  const X = buildDesign(data, covariates, {}).columns;
  return { data, m, ours, X, treatment };
}

describe(`MatchIt ${ref.matchit} Mahalanobis matching: the walk and its tie rule`, () => {
  it('covers every reference case', () => expect(ref.cases.map((c) => c.name).sort()).toEqual(Object.keys(OPTIONS).sort()));
  for (const name of EXACT) {
    it(`${name}: the same controls, weights and ATT`, () => {
      const c = ref.cases.find((x) => x.name === name)!;
      const { data, m, ours } = run(c);
      c.treated.forEach((t, k) => {
        const theirs = ([] as number[]).concat(c.match[k] ?? []).sort((a, b) => a - b);
        expect(
          [...(ours.get(t) ?? [])].sort((a, b) => a - b),
          `controls of treated row ${t}`,
        ).toEqual(theirs);
      });
      for (let i = 0; i < c.weights.length; i++) expect(m.weights[i]).toBeCloseTo(c.weights[i]!, 12);
      const y = data.columns[name.startsWith('lalonde') ? 're78' : 'y']!;
      if (y.kind !== 'numeric') throw new Error('numeric outcome');
      expect(weightedDifference(m, y.values)).toBeCloseTo(c.att, 8);
    });
  }
  it("lalonde without a caliper: MatchIt's matches but for two treated units whose two candidates tie in exact arithmetic", () => {
    const c = ref.cases.find((x) => x.name === 'lalonde_default')!;
    const { ours, m } = run(c);
    const differ: number[] = [];
    c.treated.forEach((t, k) => {
      if ((ours.get(t) ?? [])[0] !== c.match[k]) differ.push(k);
    });
    expect(differ.length).toBe(2);
    // The first: NSW89 (age 21) between PSID383 (age 19) and PSID407 (age 23), all else equal, so
    // the two distances are equal and R's last bits chose. The second follows without
    // replacement: the control R gave it is the one we gave the first.
    const [k1, k2] = differ as [number, number];
    const t = c.treated[k1]! - 1;
    const r = (c.match[k1] as number) - 1;
    const o = ours.get(t + 1)![0]! - 1;
    const age = lalonde.columns.age!;
    if (age.kind !== 'numeric') throw new Error('age');
    expect(Math.abs(age.values[r]! - age.values[t]!)).toBe(Math.abs(age.values[o]! - age.values[t]!));
    expect(age.values[r]).not.toBe(age.values[o]);
    for (const v of ['educ', 're74', 're75', 'married', 'nodegree']) {
      const col = lalonde.columns[v]!;
      if (col.kind === 'numeric') expect(col.values[r], v).toBe(col.values[o]);
    }
    expect(c.match[k2]).toBe(o + 1);
    expect(m.settings).toMatchObject({ order: 'data' });
  });
  for (const name of ['register_default', 'register_replace', 'register_ratio3_replace']) {
    it(`${name}: factor covariates, where MatchIt's distance is not Mahalanobis's — ours never farther`, () => {
      const c = ref.cases.find((x) => x.name === name)!;
      const { ours, X, treatment } = run(c);
      // Pooled within-group covariance and its inverse (reference-coded design: non-singular).
      const p = X.length;
      const n = treatment.length;
      const S = Array.from({ length: p }, () => new Float64Array(p));
      for (const g of [0, 1]) {
        const idx = [...Array(n).keys()].filter((i) => treatment[i] === g);
        const mu = X.map((col) => idx.reduce((s, i) => s + col[i]!, 0) / idx.length);
        for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) for (const i of idx) S[a]![b]! += ((X[a]![i]! - mu[a]!) * (X[b]![i]! - mu[b]!)) / (n - 2);
      }
      // Solve by Gauss–Jordan (p is small).
      const A = S.map((row, a) => [...row, ...Array.from({ length: p }, (_, b) => (a === b ? 1 : 0))]);
      for (let a = 0; a < p; a++) {
        const piv = A[a]![a]!;
        for (let b = 0; b < 2 * p; b++) A[a]![b]! /= piv;
        for (let r = 0; r < p; r++)
          if (r !== a) {
            const f = A[r]![a]!;
            for (let b = 0; b < 2 * p; b++) A[r]![b]! -= f * A[a]![b]!;
          }
      }
      const inv = A.map((row) => row.slice(p));
      const dist = (i: number, j: number) => {
        let s = 0;
        for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) s += (X[a]![i]! - X[a]![j]!) * inv[a]![b]! * (X[b]![i]! - X[b]![j]!);
        return s;
      };
      let same = 0;
      c.treated.forEach((t, k) => {
        const theirs = ([] as number[]).concat(c.match[k] ?? []);
        const mine = ours.get(t) ?? [];
        if ([...theirs].sort().join() === [...mine].sort().join()) same++;
        else if (name !== 'register_default') {
          // With replacement every walk sees all controls: ours are the nearest in the textbook distance.
          const worstMine = Math.max(...mine.map((x) => dist(t - 1, x - 1)));
          const worstTheirs = Math.max(...theirs.map((x) => dist(t - 1, x - 1)));
          expect(worstMine).toBeLessThanOrEqual(worstTheirs + 1e-9);
        }
      });
      // Most treated units have an exact covariate twin among the controls, where both agree.
      expect(same / c.treated.length).toBeGreaterThan(0.98);
    });
  }
});
