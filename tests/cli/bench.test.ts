import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIO } from '../../src/cli/io.js';
import { BENCH_STAGES, compareBench, type BenchReport } from '../../src/cli/bench.js';

const tmp = mkdtempSync(join(tmpdir(), 'counterfact-bench-test-'));

async function run(args: string[]) {
  const io = memoryIO();
  const code = await main(args, io);
  return { code, out: io.stdout, err: io.stderr };
}

const timings = (seconds: Record<string, number>, total: number) => ({
  stages: Object.entries(seconds).map(([stage, s]) => ({ stage: stage as BenchReport['stages'][number]['stage'], seconds: s, rowsPerSecond: 1000 / s })),
  totalSeconds: total,
});

describe('compareBench: stage-by-stage regression check (synthetic numbers)', () => {
  const base = timings({ read: 2, fit: 4, match: 1, se: 0.01, balance: 3 }, 10.01);

  it('flags a stage more than the tolerance slower, not one within it', () => {
    const now = timings({ read: 2.6, fit: 4.9, match: 1, se: 0.01, balance: 3 }, 11.51);
    const c = compareBench(now, base, { tolerance: 25, noise: 0 });
    const by = Object.fromEntries(c.rows.map((r) => [r.stage, r]));
    expect(by.read!.slower).toBe(true); // +30%
    expect(by.read!.changePercent).toBeCloseTo(30, 10);
    expect(by.fit!.slower).toBe(false); // +22.5%
    expect(by.total!.slower).toBe(false); // +15%
    expect(c.regressed).toBe(true);
  });

  it('the tolerance is a parameter: 35% lets +30% pass', () => {
    const now = timings({ read: 2.6, fit: 4, match: 1, se: 0.01, balance: 3 }, 10.61);
    expect(compareBench(now, base, { tolerance: 35, noise: 0 }).regressed).toBe(false);
    expect(compareBench(now, base, { tolerance: 25, noise: 0 }).regressed).toBe(true);
  });

  it('slowdowns smaller than the noise floor in seconds never regress', () => {
    const now = timings({ read: 2, fit: 4, match: 1, se: 0.03, balance: 3 }, 10.03); // se +200%, +0.02 s
    expect(compareBench(now, base, { tolerance: 25, noise: 0.05 }).regressed).toBe(false);
    const strict = compareBench(now, base, { tolerance: 25, noise: 0 });
    expect(strict.regressed).toBe(true);
    expect(strict.rows.filter((r) => r.slower).map((r) => r.stage)).toEqual(['se']);
  });

  it('faster stages and stages missing from the baseline never regress; the total is compared', () => {
    const partial = timings({ read: 2, fit: 4 }, 6);
    const now = timings({ read: 1, fit: 2, match: 50, se: 0.01, balance: 3 }, 56.01);
    const c = compareBench(now, partial, { tolerance: 25, noise: 0 });
    const by = Object.fromEntries(c.rows.map((r) => [r.stage, r]));
    expect(by.read!.slower).toBe(false);
    expect(by.match!.baselineSeconds).toBeNull();
    expect(by.match!.slower).toBe(false);
    expect(by.total!.slower).toBe(true); // 56 s vs 6 s
    expect(c.rows.map((r) => r.stage)).toEqual(['read', 'fit', 'match', 'se', 'balance', 'total']);
  });
});

describe('counterfact bench on a small register', () => {
  const file = join(tmp, 'reg.csv');

  it('times every stage and estimates what `counterfact estimate --se ai` estimates on the same file', async () => {
    expect((await run(['synth', '--rows', '3000', '--covariates', '7', '--seed', '5', '--out', file])).code).toBe(0);
    const covs = JSON.parse(readFileSync(join(tmp, 'reg.truth.json'), 'utf8')).covariates as string[];
    const est = await run(['estimate', '--data', file, '--treatment', 'treat', '--outcome', 'outcome', '--covariates', covs.join(','), '--se', 'ai', '--json']);
    expect(est.code).toBe(0);
    const b = await run(['bench', '--data', file, '--json']);
    expect(b.err).toBe('');
    expect(b.code).toBe(0);
    const r = JSON.parse(b.out) as BenchReport;
    expect(r.kind).toBe('counterfact-bench');
    expect(r.stages.map((s) => s.stage)).toEqual([...BENCH_STAGES]);
    for (const s of r.stages) expect(s.seconds).toBeGreaterThan(0);
    expect(r.totalSeconds).toBeCloseTo(
      r.stages.reduce((a, s) => a + s.seconds, 0),
      12,
    );
    expect(r.register).toMatchObject({ source: 'file', rows: 3000, covariates: 7, format: 'csv' });
    expect(r.peakRssMb).toBeGreaterThan(0);
    const j = JSON.parse(est.out);
    expect(r.estimate.att).toBe(j.estimate);
    expect(r.estimate.se).toBe(j.se);
    expect(r.floors.fit.designColumns).toBe(j.propensity.coefficients.length);
    expect(r.floors.fit.iterations).toBe(j.propensity.iterations);
    expect(r.floors.fit.multiplyAddsPerIteration).toBe((3000 * r.floors.fit.designColumns ** 2) / 2);
    expect(r.estimate.trueAtt).toBeCloseTo(0.08, 6);
    expect(r.estimate.error).toBeCloseTo(r.estimate.att - r.estimate.trueAtt!, 12);
  });

  it('generates its own register (deleted afterwards) and prints a readable report', async () => {
    const b = await run(['bench', '--rows', '2000', '--covariates', '6', '--seed', '2']);
    expect(b.code).toBe(0);
    expect(b.out).toMatch(/^counterfact bench: 2,000 rows \(\d[\d,]* treated\), 6 covariates, csv/);
    for (const label of ['read', 'fit', 'match', 'ATT + AI SE', 'balance', 'total'])
      expect(b.out).toMatch(new RegExp(`^${label.replace(/\+/g, '\\+')}\\s+\\d+\\.\\d{3}`, 'm'));
    expect(b.out).toMatch(/fs\.readFileSync/);
    expect(b.out).toMatch(/n·p²\/2/);
    expect(b.out).toMatch(/true ATT 0\.08000/);
  });

  it('--format parquet reads the same register from Parquet: same estimate as from CSV', async () => {
    const csv = await run(['bench', '--rows', '2000', '--covariates', '6', '--seed', '4', '--json']);
    const pq = await run(['bench', '--rows', '2000', '--covariates', '6', '--seed', '4', '--format', 'parquet', '--json']);
    expect(pq.code).toBe(0);
    const a = JSON.parse(csv.out) as BenchReport;
    const b = JSON.parse(pq.out) as BenchReport;
    expect(b.register.format).toBe('parquet');
    expect(b.estimate.att).toBe(a.estimate.att);
    expect(b.estimate.se).toBe(a.estimate.se);
    expect(b.estimate.trueAtt).toBe(a.estimate.trueAtt);
  });

  it('exits 3 against a faster baseline, 0 against a slower one, 2 against another register', async () => {
    const first = await run(['bench', '--data', file, '--json']);
    const report = JSON.parse(first.out) as BenchReport;
    const scaled = (k: number) => ({ ...report, stages: report.stages.map((s) => ({ ...s, seconds: s.seconds * k })), totalSeconds: report.totalSeconds * k });
    const fast = join(tmp, 'fast.json');
    const slow = join(tmp, 'slow.json');
    const other = join(tmp, 'other.json');
    writeFileSync(fast, JSON.stringify(scaled(0)));
    writeFileSync(slow, JSON.stringify(scaled(1000)));
    writeFileSync(other, JSON.stringify({ ...report, register: { ...report.register, rows: 5000 } }));
    const regressed = await run(['bench', '--data', file, '--baseline', fast, '--noise', '0']);
    expect(regressed.code).toBe(3);
    expect(regressed.out).toMatch(/regression: .*more than 25% \(and 0 s\) slower than the baseline/);
    const ok = await run(['bench', '--data', file, '--baseline', slow, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out).comparison.regressed).toBe(false);
    const mismatch = await run(['bench', '--data', file, '--baseline', other]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.err).toMatch(/--baseline .* was measured on another register: rows 5000 \(now 3000\)/);
  });

  it('bad arguments name the flag and the fix', async () => {
    const noRows = await run(['bench']);
    expect(noRows.code).toBe(2);
    expect(noRows.err).toMatch(/--rows is required/);
    const both = await run(['bench', '--data', file, '--rows', '100']);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/--rows .*cannot be combined with --data/);
    const fmt = await run(['bench', '--rows', '100', '--format', 'xlsx']);
    expect(fmt.code).toBe(2);
    expect(fmt.err).toMatch(/--format must be one of csv, parquet/);
    const notBench = join(tmp, 'not-bench.json');
    writeFileSync(notBench, '{"a":1}');
    const bad = await run(['bench', '--rows', '100', '--baseline', notBench]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/is not the output of "counterfact bench --json"/);
  });
});
