/**
 * The method table is the one dispatch point: `counterfact estimate --method`, the study file's
 * `matching.method` and `evaluate({ matching: { method } })` give what the method's own function
 * gives, and MatchIt 4.7.2's numbers where R has the method (tests/reference/cem_subclass.json,
 * made by tests/reference/r/cem_subclass.R with MatchIt 4.7.2).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIO } from '../../src/cli/io.js';
import { evaluate } from '../../src/evaluate.js';
import { fitPropensity } from '../../src/propensity/index.js';
import { matchKernel, matchMahalanobis, matchRadius, MATCHING_METHODS, matchingSchema } from '../../src/matching/index.js';
import { weightIPW } from '../../src/weighting/index.js';
import { estimateATT } from '../../src/effects/index.js';
import { loadLalonde, LALONDE_COVARIATES, readReference, referencePath } from '../helpers/lalonde.js';

const LALONDE = referencePath('lalonde.csv');
const COVS = LALONDE_COVARIATES.join(',');
const base = ['estimate', '--data', LALONDE, '--treatment', 'treat', '--outcome', 're78', '--covariates', COVS, '--id', 'id'];
const tmp = mkdtempSync(join(tmpdir(), 'counterfact-methods-'));
const lalonde = loadLalonde();
const fit = fitPropensity(lalonde, { treatment: 'treat', covariates: [...LALONDE_COVARIATES] });
const ref = readReference<{ lalonde: { cem: Record<string, { att: number }>; subclass: Record<string, { att: number }> } }>('cem_subclass.json');

async function run(args: string[]) {
  const io = memoryIO();
  const code = await main(args, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe('counterfact estimate --method dispatches through the method table', () => {
  const direct: [string[], () => number][] = [
    [
      ['--method', 'kernel', '--bandwidth', '0.05'],
      () => estimateATT(lalonde, matchKernel(fit, { bandwidth: 0.05 }), { outcome: 're78', se: 'pairs' }).estimate,
    ],
    [['--method', 'radius', '--caliper', '0.02'], () => estimateATT(lalonde, matchRadius(fit, { caliper: 0.02 }), { outcome: 're78', se: 'pairs' }).estimate],
    [
      ['--method', 'mahalanobis', '--replace'],
      () =>
        estimateATT(lalonde, matchMahalanobis(lalonde, fit.treatment, { covariates: [...LALONDE_COVARIATES], categorical: [], replace: true, fit }), {
          outcome: 're78',
        }).estimate,
    ],
    [['--method', 'ipw'], () => estimateATT(lalonde, weightIPW(fit), { outcome: 're78', se: 'pairs' }).estimate],
  ];
  for (const [flags, expected] of direct) {
    it(`${flags.join(' ')} equals the method's own function`, async () => {
      const r = await run([...base, ...flags, '--json']);
      expect(r.err).not.toMatch(/error/);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).estimate).toBeCloseTo(expected(), 9);
    });
  }
  it('--method cem and --method subclass give the MatchIt 4.7.2 weighted ATT, SE clustered by subclass', async () => {
    for (const [m, att] of [
      ['cem', ref.lalonde.cem.default!.att],
      ['subclass', ref.lalonde.subclass.default!.att],
    ] as const) {
      const j = JSON.parse((await run([...base, '--method', m, '--json'])).out);
      expect(j.estimate).toBeCloseTo(att, 8);
      expect(j.seMethod).toMatch(/cluster-robust by subclass/);
    }
  });
  it('every method of the table is reachable from the CLI and documented in --help', async () => {
    const help = (await run(['estimate', '--help'])).out;
    for (const m of Object.values(MATCHING_METHODS)) {
      expect(help).toContain(`--method ${m.name}:`);
      for (const key of Object.keys(m.options)) expect(help).toContain(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    }
  });
  it.each([
    [['--method', 'nearst'], /--method must be one of nearest, mahalanobis/],
    [['--method', 'kernel', '--ratio', '2'], /--ratio is an option of --method nearest or mahalanobis or geographic, not of kernel/],
    [['--method', 'radius'], /--method radius needs --caliper/],
    [['--method', 'ipw', '--se', 'ai'], /--se ai needs matched pairs, and ipw has none: use --se pairs/],
    [['--se', 'ai-ps'], /--se ai-ps needs --replace/],
    [['--covariate-calipers', 'age'], /--covariate-calipers takes column=width pairs/],
  ])('%j is refused with exit 2 and the fix', async (flags, message) => {
    const r = await run([...base, ...(flags as string[])]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message as RegExp);
    expect(r.err).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('evaluate() and the study file use the same table', () => {
  it('evaluate({ matching: { method: "kernel" } }) equals the CLI', async () => {
    const e = evaluate(lalonde, { treatment: 'treat', outcome: 're78', covariates: [...LALONDE_COVARIATES], matching: { method: 'kernel', bandwidth: 0.05 } });
    const j = JSON.parse((await run([...base, '--method', 'kernel', '--bandwidth', '0.05', '--json'])).out);
    expect(e.effect.estimate).toBe(j.estimate);
    expect(e.effect.se).toBe(j.se);
    expect(e.match.settings).toMatchObject({ method: 'kernel', bandwidth: 0.05 });
  });
  it('unknown options of a method are refused, naming the options the method takes', () => {
    expect(() =>
      evaluate(lalonde, { treatment: 'treat', outcome: 're78', covariates: [...LALONDE_COVARIATES], matching: { method: 'kernel', ratio: 2 } }),
    ).toThrow(/kernel matching takes kernel, bandwidth, distance/);
  });
  it("the study file's matching section: nearest by default, other methods by name, strict per method", () => {
    expect(matchingSchema.parse({})).toMatchObject({ method: 'nearest', ratio: 1, replace: false, estimand: 'ATT' });
    expect(matchingSchema.parse({ method: 'subclass' })).toMatchObject({ method: 'subclass', subclasses: 6, minN: 1 });
    expect(matchingSchema.safeParse({ method: 'kernel', replace: true }).success).toBe(false);
    expect(matchingSchema.safeParse({ method: 'warp' }).success).toBe(false);
  });
});

describe('--matched-data and --pairs never replace a file by accident', () => {
  it('writes the matched sample (MatchIt match.data layout), replaces it only while unchanged, else needs --force', async () => {
    const out = join(tmp, 'matched.csv');
    const r = await run([...base, '--matched-data', out]);
    expect(r.code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toMatch(/weights/);
    expect(lines[0]).toMatch(/subclass/);
    expect(lines).toHaveLength(371); // 185 pairs and a header
    // Its own earlier output, unchanged: replaced.
    expect((await run([...base, '--matched-data', out])).code).toBe(0);
    // Changed by someone since: refused without --force.
    writeFileSync(out, 'edited\n');
    const again = await run([...base, '--matched-data', out]);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/refusing to replace the existing file .*--force/);
    expect(readFileSync(out, 'utf8')).toBe('edited\n');
    expect((await run([...base, '--matched-data', out, '--force'])).code).toBe(0);
  });
  it('never writes over an input, even with --force', async () => {
    const data = join(tmp, 'input.csv');
    writeFileSync(data, readFileSync(LALONDE));
    const before = readFileSync(data, 'utf8');
    const args = ['estimate', '--data', data, '--treatment', 'treat', '--outcome', 're78', '--covariates', COVS];
    for (const flag of ['--pairs', '--matched-data']) {
      const r = await run([...args, flag, data, '--force']);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/it is an input of this run/);
    }
    expect(readFileSync(data, 'utf8')).toBe(before);
    expect(existsSync(data)).toBe(true);
  });
});
