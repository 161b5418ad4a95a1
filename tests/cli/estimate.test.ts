import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIO } from '../../src/cli/io.js';
import { referencePath } from '../helpers/lalonde.js';

const LALONDE = referencePath('lalonde.csv');
const COVS = 'age,educ,race,married,nodegree,re74,re75';
const base = ['estimate', '--data', LALONDE, '--treatment', 'treat', '--outcome', 're78', '--covariates', COVS, '--id', 'id'];
const tmp = mkdtempSync(join(tmpdir(), 'counterfact-cli-'));

async function run(args: string[]) {
  const io = memoryIO();
  const code = await main(args, io);
  return { code, out: io.stdout, err: io.stderr };
}

function rel(a: number, b: number) {
  return Math.abs(a - b) / Math.abs(b);
}

describe('counterfact estimate: parity with R on lalonde (MatchIt 4.7.2 and Matching 4.10-8, R 4.2.2)', () => {
  it('defaults: MatchIt 4.7.2 nearest ATT 894.3674802703 and the same 185 pairs', async () => {
    const pairsPath = join(tmp, 'pairs.csv');
    const r = await run([...base, '--json', '--pairs', pairsPath]);
    expect(r.err).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(Math.abs(j.estimate - 894.3674802703)).toBeLessThan(1e-6);
    expect(j.estimand).toBe('ATT');
    expect(j.counts).toMatchObject({ treated: 185, controls: 429, matchedTreated: 185, matchedControls: 185, unmatchedTreated: 0 });
    for (const k of ['se', 'ciLower', 'ciUpper', 'pValue', 'meanTreated', 'meanControl', 'naive', 'balance', 'propensity', 'warnings', 'settings']) {
      expect(j).toHaveProperty(k);
    }
    expect(j.balance[0]).toHaveProperty('smdBefore');
    expect(j.balance[0]).toHaveProperty('ecdfMaxAfter');
    expect(j.propensity.converged).toBe(true);
    const ours = readFileSync(pairsPath, 'utf8').trim().split('\n');
    expect(ours[0]).toBe('treated_id,control_id,weight');
    const theirs = readFileSync(referencePath('lalonde_pairs_matchit.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.replace(/"/g, ''));
    const oursPairs = ours
      .slice(1)
      .map((l) => l.split(',').slice(0, 2).join(','))
      .sort();
    expect(oursPairs).toEqual([...theirs].sort());
  });

  it('--replace --ratio 2: MatchIt 4.7.2 ATT 1792.4097567027', async () => {
    const r = await run([...base, '--json', '--replace', '--ratio', '2']);
    expect(r.code).toBe(0);
    expect(Math.abs(JSON.parse(r.out).estimate - 1792.4097567027)).toBeLessThan(1e-6);
  });

  it('--replace --ties --se ai: Matching 4.10 Match() estimate 1933.3918757748, AI se 1090.6046437909', async () => {
    const r = await run([...base, '--json', '--replace', '--ties', '--se', 'ai']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(rel(j.estimate, 1933.3918757748)).toBeLessThan(1e-6);
    expect(rel(j.se, 1090.6046437909)).toBeLessThan(1e-6);
  });

  it('prints a readable summary without --json, and is byte-identical across runs', async () => {
    const a = await run(base);
    const b = await run(base);
    expect(a.code).toBe(0);
    expect(a.out).toMatch(/ATT on re78: 894\.4/);
    expect(a.out).toMatch(/SMD before/);
    expect(a.out).toBe(b.out);
  });
});

describe('counterfact estimate: bad input exits 2 with a message naming the column and the fix', () => {
  const csv = (name: string, text: string) => {
    const p = join(tmp, name);
    writeFileSync(p, text);
    return p;
  };
  const cases: [string, string[], RegExp][] = [
    ['unknown covariate', [...base.slice(0, 8), 'age,edcu'], /covariate column `edcu` is not in the data; did you mean `educ`/],
    [
      'unknown outcome',
      ['estimate', '--data', LALONDE, '--treatment', 'treat', '--outcome', 're79', '--covariates', COVS],
      /outcome column `re79` is not in the data/,
    ],
    ['missing --treatment', ['estimate', '--data', LALONDE, '--outcome', 're78', '--covariates', COVS], /--treatment is required/],
    ['bad ratio', [...base, '--ratio', '1.5'], /--ratio must be a whole number/],
    ['bad order', [...base, '--order', 'biggest'], /--order must be one of largest, smallest, random, data/],
    ['unknown flag', [...base, '--calliper', '0.2'], /calliper/],
    [
      'missing file',
      ['estimate', '--data', join(tmp, 'nope.csv'), '--treatment', 't', '--outcome', 'y', '--covariates', 'x'],
      /not found|no such file|does not exist/i,
    ],
  ];
  for (const [name, args, pattern] of cases) {
    it(name, async () => {
      const r = await run(args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(pattern);
      expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
    });
  }

  it('missing covariate values: count and first rows', async () => {
    const p = csv('missing.csv', 'id,t,x,y\n1,1,1,5\n2,0,,3\n3,1,2,4\n4,0,NA,2\n5,0,3,1\n6,1,4,6\n');
    const r = await run(['estimate', '--data', p, '--treatment', 't', '--outcome', 'y', '--covariates', 'x']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/covariate `x` has 2 missing values \(lines 3, 5\)/);
  });

  it('treatment not 0/1', async () => {
    const p = csv('treat.csv', 'id,t,x,y\n1,1,1,5\n2,0,2,3\n3,2,2,4\n4,0,3,2\n');
    const r = await run(['estimate', '--data', p, '--treatment', 't', '--outcome', 'y', '--covariates', 'x']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/treatment column `t` must be 0\/1/);
  });

  it('duplicated ids', async () => {
    const p = csv('dups.csv', 'id,t,x,y\na,1,1,5\nb,0,2,3\na,1,2,4\nc,0,3,2\nd,0,5,2\n');
    const r = await run(['estimate', '--data', p, '--treatment', 't', '--outcome', 'y', '--covariates', 'x', '--id', 'id']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/id column `id` has 1 duplicated ids \("a" at line 4\)/);
  });

  it('constant covariate', async () => {
    const p = csv('const.csv', 'id,t,x,z,y\n1,1,1,7,5\n2,0,2,7,3\n3,1,2,7,4\n4,0,3,7,2\n');
    const r = await run(['estimate', '--data', p, '--treatment', 't', '--outcome', 'y', '--covariates', 'x,z']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/covariate `z` is constant/);
  });

  it('fewer controls than treated without replacement: warns, matches what it can, accounts for every unit', async () => {
    const p = csv('few.csv', 'id,t,x,y\n1,1,1,5\n2,1,2,3\n3,1,3,4\n4,0,2.5,2\n5,0,1.2,1\n6,1,0.5,2\n');
    const r = await run(['estimate', '--data', p, '--treatment', 't', '--outcome', 'y', '--covariates', 'x', '--json', '--se', 'none']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.counts.matchedTreated + j.counts.unmatchedTreated).toBe(j.counts.treated);
    expect(j.counts.unmatchedTreated).toBe(2);
    expect(j.warnings.join(' ')).toMatch(/control/);
  });
});

describe('counterfact estimate --sensitivity', () => {
  it('prints Rosenbaum bounds and the E-value for a binary outcome with 1:1 pairs', async () => {
    const { trainingCohort } = await import('../../src/synth/index.js');
    const { writeTableFile } = await import('../../src/io/write.js');
    const { withColumn } = await import('../../src/data/table.js');
    const c = trainingCohort(2016, { scale: 0.05 });
    const emp = Array.from((c.people.columns.months_employed_18 as { values: Float64Array }).values, (v) => (v > 6 ? 1 : 0));
    const p = join(tmp, 'sens.csv');
    await writeTableFile(withColumn(c.people, 'y', emp), p);
    const r = await run([
      'estimate',
      '--data',
      p,
      '--treatment',
      'treat',
      '--outcome',
      'y',
      '--covariates',
      'age,education,female',
      '--json',
      '--sensitivity',
      'rosenbaum,evalue',
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.sensitivity.rosenbaum.rows[0].gamma).toBe(1);
    expect(j.sensitivity.evalue.eValue).toBeGreaterThanOrEqual(1);
    const bad = await run(['estimate', '--data', p, '--treatment', 'treat', '--outcome', 'y', '--covariates', 'age', '--sensitivity', 'gamma']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--sensitivity takes rosenbaum, evalue and\/or confounder/);
    const conf = await run([
      'estimate',
      '--data',
      p,
      '--treatment',
      'treat',
      '--outcome',
      'y',
      '--covariates',
      'age,education,female',
      '--json',
      '--sensitivity',
      'confounder',
      '--confounder-mimic',
      'foreign',
      '--confounder-reps',
      '5',
      '--replace',
    ]);
    expect(conf.code).toBe(0);
    expect(JSON.parse(conf.out).sensitivity.confounder.reps).toBe(5);
    const noP = await run(['estimate', '--data', p, '--treatment', 'treat', '--outcome', 'y', '--covariates', 'age', '--sensitivity', 'confounder']);
    expect(noP.code).toBe(2);
    expect(noP.err).toMatch(/--confounder-mimic COL, or --confounder-p/);
  });
});

describe('counterfact estimate --se ai-ps (Abadie–Imbens 2016)', () => {
  it('prints the adjusted SE, the unadjusted one, and the method', async () => {
    const r = await run([...base, '--replace', '--se', 'ai-ps', '--var-matches', '1', '--json']);
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    const ai = JSON.parse((await run([...base, '--replace', '--se', 'ai', '--var-matches', '1', '--json'])).out);
    expect(j.estimate).toBe(ai.estimate);
    expect(j.seUnadjusted).toBe(ai.se);
    expect(j.se).toBeGreaterThan(0);
    expect(j.seMethod).toMatch(/^ai-ps/);
  });
  it('without --replace exits 2 naming the option and the fix', async () => {
    const r = await run([...base, '--se', 'ai-ps']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/with replacement/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
