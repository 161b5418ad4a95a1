/**
 * Nearest matching for the ATC (estimand 'ATC': the controls are the focal group) against
 * MatchIt 4.7.2 `matchit(estimand = "ATC")`: the same treated units matched to each control,
 * the same weights, the weighted-lm ATC, and summary()'s matched SMDs (standardised by the
 * controls' SD). The estimate with ties and its Abadie–Imbens SE against Matching 4.10
 * `Match(estimand = "ATC", ties = TRUE)`. References: tests/reference/matchit_atc.json, made by
 * tests/reference/r/matchit_atc.R.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromColumns, type Table } from '../../src/data/table.js';
import { matchNearest, type NearestOptions } from '../../src/matching/index.js';
import { assessBalance } from '../../src/balance/index.js';
import { estimateATT } from '../../src/effects/index.js';
import { evaluate } from '../../src/evaluate.js';
import { loadLalonde, LALONDE_COVARIATES, readReference, referencePath, weightedDifference } from '../helpers/lalonde.js';

interface Case {
  name: string;
  call: string;
  distance: number[];
  focal: number[];
  match: (number | number[])[];
  weights: number[];
  atc: number;
  smd: Record<string, number>;
  meansTreated: Record<string, number>;
  meansControl: Record<string, number>;
}
const ref = readReference<{
  matchit: string;
  matching: string;
  cases: Case[];
  matching_atc: { est: number; se: number; se_standard: number; distance: number[] };
}>('matchit_atc.json');

const OPTIONS: Record<string, NearestOptions> = {
  register_default: {},
  register_replace: { replace: true },
  register_ratio2: { ratio: 2 },
  register_caliper: { caliper: 0.1 },
  register_largest: { order: 'largest' },
  register_exact_replace: { exact: ['gender'], replace: true },
  lalonde_replace: { replace: true },
  lalonde_caliper: { caliper: 0.2, replace: true },
};
const REGISTER_COVARIATES = ['gender', 'citizenship', 'education', 'province'];

function readCsv(name: string): Table {
  const [header, ...lines] = readFileSync(referencePath(name), 'utf8').trim().split('\n');
  const names = header!.split(',');
  const cols: Record<string, (string | number)[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const line of lines) line.split(',').forEach((c, j) => cols[names[j]!]!.push(Number.isNaN(Number(c)) ? c : Number(c)));
  return fromColumns(cols);
}
const register = readCsv('matchit_ties_register.csv');
const lalonde = loadLalonde();
const dataOf = (name: string) => (name.startsWith('lalonde') ? lalonde : register);
const num = (t: Table, c: string) => {
  const col = t.columns[c]!;
  if (col.kind !== 'numeric') throw new Error(`${c} should be numeric`);
  return col.values;
};

describe(`MatchIt ${ref.matchit} nearest matching for the ATC`, () => {
  it('covers every reference case', () => expect(ref.cases.map((c) => c.name).sort()).toEqual(Object.keys(OPTIONS).sort()));
  for (const c of ref.cases) {
    it(`${c.name}: ${c.call}`, () => {
      const data = dataOf(c.name);
      const treatment = Uint8Array.from(num(data, 'treat'));
      const m = matchNearest({ scores: Float64Array.from(c.distance), treatment }, { ...OPTIONS[c.name], data, estimand: 'ATC' });
      expect(m.estimand).toBe('ATC');
      expect(m.settings).toMatchObject({ estimand: 'ATC', order: OPTIONS[c.name]!.order ?? 'smallest' });
      expect(Array.from(m.treatment)).toEqual(Array.from(treatment));
      // The treated units matched to each focal control.
      const ours = new Map<number, number[]>();
      for (let k = 0; k < m.pairs.treated.length; k++) {
        const f = m.pairs.treated[k]! + 1;
        expect(treatment[f - 1], 'focal units are controls').toBe(0);
        ours.set(f, [...(ours.get(f) ?? []), m.pairs.control[k]! + 1]);
      }
      c.focal.forEach((f, k) => {
        const theirs = ([] as number[]).concat(c.match[k] ?? []);
        expect(
          [...(ours.get(f) ?? [])].sort((a, b) => a - b),
          `treated matched to control row ${f}`,
        ).toEqual(theirs.sort((a, b) => a - b));
      });
      for (let i = 0; i < c.weights.length; i++) expect(m.weights[i], `weight of row ${i + 1}`).toBeCloseTo(c.weights[i]!, 12);
      const y = num(data, c.name.startsWith('lalonde') ? 're78' : 'y');
      expect(weightedDifference(m, y)).toBeCloseTo(c.atc, 9);
      // The effect from the 'pairs' route is the weighted-lm coefficient: the ATC, not its negative.
      const e = estimateATT(data, m, { outcome: c.name.startsWith('lalonde') ? 're78' : 'y', se: 'pairs' });
      expect(e.estimand).toBe('ATC');
      expect(e.estimate).toBeCloseTo(c.atc, 9);
      expect(e.ciLower!).toBeLessThan(e.estimate);
      expect(e.ciUpper!).toBeGreaterThan(e.estimate);
    });
  }
  it("balance after matching is MatchIt summary()'s for the ATC (SMD over the controls' SD)", () => {
    for (const name of ['register_replace', 'lalonde_caliper']) {
      const c = ref.cases.find((x) => x.name === name)!;
      const data = dataOf(name);
      const m = matchNearest(
        { scores: Float64Array.from(c.distance), treatment: Uint8Array.from(num(data, 'treat')) },
        { ...OPTIONS[name], data, estimand: 'ATC' },
      );
      const covs = name.startsWith('lalonde') ? [...LALONDE_COVARIATES] : REGISTER_COVARIATES;
      const b = assessBalance(data, m, covs, { includeDistance: true });
      let checked = 0;
      for (const row of b.rows) {
        // MatchIt names dummies without brackets (genderF; race "black" as raceblack).
        const key = row.covariate.replace(/\[(.*)\]$/, '$1');
        if (!(key in c.smd)) continue;
        expect(row.smdAfter, `${name} ${key} SMD`).toBeCloseTo(c.smd[key]!, 9);
        expect(row.meanTreatedAfter, `${name} ${key} treated mean`).toBeCloseTo(c.meansTreated[key]!, 9);
        expect(row.meanControlAfter, `${name} ${key} control mean`).toBeCloseTo(c.meansControl[key]!, 9);
        checked++;
      }
      expect(checked).toBeGreaterThanOrEqual(covs.length);
    }
  });
});

describe(`Matching ${ref.matching} Match(estimand = "ATC", ties = TRUE) on the same score`, () => {
  it('estimate and Abadie–Imbens SE', () => {
    const r = ref.matching_atc;
    const m = matchNearest(
      { scores: Float64Array.from(r.distance), treatment: Uint8Array.from(num(lalonde, 'treat')) },
      { replace: true, ties: true, estimand: 'ATC', distance: 'probability' },
    );
    const e = estimateATT(lalonde, m, { outcome: 're78', se: 'ai' });
    expect(e.estimate).toBeCloseTo(r.est, 6);
    expect(e.se!).toBeCloseTo(r.se, 6);
    expect(e.seStandard!).toBeCloseTo(r.se_standard, 6);
  });
  it("se 'ai-ps' is refused for the ATC, in CLI terms", () => {
    const r = ref.matching_atc;
    const m = matchNearest({ scores: Float64Array.from(r.distance), treatment: Uint8Array.from(num(lalonde, 'treat')) }, { replace: true, estimand: 'ATC' });
    expect(() => estimateATT(lalonde, m, { outcome: 're78', se: 'ai-ps' })).toThrow(/--estimand ATC/);
  });
});

describe('evaluate() with matching estimand ATC', () => {
  it('counts, effect and balance read as treated vs control', () => {
    const r = evaluate(lalonde, {
      treatment: 'treat',
      outcome: 're78',
      covariates: [...LALONDE_COVARIATES],
      matching: { replace: true, estimand: 'ATC' },
      se: 'pairs',
    });
    const c = ref.cases.find((x) => x.name === 'lalonde_replace')!;
    expect(r.effect.estimand).toBe('ATC');
    expect(r.effect.estimate).toBeCloseTo(c.atc, 6);
    expect(r.counts.treated).toBe(185);
    expect(r.counts.controls).toBe(429);
    expect(r.counts.matchedControls).toBe(429);
    expect(r.counts.unmatchedControls).toBe(0);
    expect(r.counts.matchedTreated + r.counts.unmatchedTreated).toBe(185);
  });
});

describe('counterfact estimate --estimand ATC', () => {
  it("prints the ATC, MatchIt's number on the issue's first reproduction, and exports the matched sets", async () => {
    const { mkdtempSync, writeFileSync, readFileSync: read } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { main } = await import('../../src/cli/main.js');
    const { memoryIO } = await import('../../src/cli/io.js');
    const dir = mkdtempSync(join(tmpdir(), 'cf-atc-'));
    const data = join(dir, 'r1.csv');
    writeFileSync(data, 'id,treat,g,y\n1,0,a,10\n2,1,a,0\n3,1,a,0\n4,0,a,20\n5,1,b,0\n6,0,b,5\n7,0,b,7\n');
    const io = memoryIO();
    const out = join(dir, 'matched.csv');
    const args = ['estimate', '--data', data, '--treatment', 'treat', '--outcome', 'y', '--covariates', 'g', '--replace', '--estimand', 'ATC'];
    expect(await main([...args, '--se', 'pairs', '--id', 'id', '--matched-data', out], io)).toBe(0);
    // MatchIt 4.7.2: matchit(treat ~ g, replace = TRUE, estimand = "ATC"); lm(y ~ treat, weights) gives -10.5.
    expect(io.stdout).toMatch(/^ATC on y: -10\.50/);
    const lines = read(out, 'utf8').trim().split('\n');
    // The data's own `id` column stays; get_matches' id becomes match_id.
    expect(lines[0]).toBe('match_id,subclass,weights,id,treat,g,y,distance');
    expect(lines.length).toBe(1 + 8);
    const io2 = memoryIO();
    expect(await main([...args, '--se', 'ai-ps'], io2)).toBe(2);
    expect(io2.stderr).toMatch(/--se ai-ps has no version for the ATC/);
  });
});
