/**
 * `npm run bench`: the estimation core on synthetic job-centre registers, stage by stage
 * (read CSV → propensity fit → 1:1 nearest matching → ATT with Abadie–Imbens SE → balance),
 * with R MatchIt on the same file in the same run when R and MatchIt are installed.
 *
 *   tsx bench/pipeline.ts [--rows 220000,1100000] [--covariates 20] [--treated-share 0.1]
 *                         [--seed 1] [--no-r] [--workers N] [--out bench/results.json]
 * The propensity fit uses N worker threads (default: all cores; 1 = this thread only).
 *
 * Each size runs in its own child process so the peak RSS printed is that run's alone.
 * Prints a table (rows, stage, seconds, rows/s, peak RSS, ratio to MatchIt) and writes JSON.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fitPropensity } from '../src/propensity/index.js';
import { matchNearest } from '../src/matching/index.js';
import { estimateATT } from '../src/effects/index.js';
import { assessBalance } from '../src/balance/index.js';
import { generateRegister } from '../src/synth/index.js';
import { readTableFile } from '../src/io/readTable.js';
import { writeTableFile } from '../src/io/write.js';
import { createParallelAccumulator } from '../src/io/parallel.js';
import { availableParallelism } from 'node:os';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '220000,1100000' },
    covariates: { type: 'string', default: '20' },
    'treated-share': { type: 'string', default: '0.1' },
    seed: { type: 'string', default: '1' },
    'no-r': { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results.json' },
    child: { type: 'string' },
    workers: { type: 'string', default: String(availableParallelism()) },
    covs: { type: 'string' },
  },
});

interface StageTime {
  stage: string;
  seconds: number;
}

async function child(file: string, covariates: string[]): Promise<void> {
  const times: StageTime[] = [];
  const t = () => performance.now() / 1000;
  let t0 = t();
  const { table } = await readTableFile(file);
  times.push({ stage: 'read', seconds: t() - t0 });
  t0 = t();
  const workers = Number(values.workers);
  const accumulator = workers > 1 ? createParallelAccumulator({ workers }) : undefined;
  const fit = fitPropensity(table, { treatment: 'treat', covariates, accumulator });
  accumulator?.close();
  times.push({ stage: 'fit', seconds: t() - t0 });
  t0 = t();
  const match = matchNearest(fit);
  times.push({ stage: 'match', seconds: t() - t0 });
  t0 = t();
  const effect = estimateATT(table, match, { outcome: 'outcome', se: 'ai' });
  times.push({ stage: 'att+ai', seconds: t() - t0 });
  t0 = t();
  const balance = assessBalance(table, match, covariates);
  times.push({ stage: 'balance', seconds: t() - t0 });
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(
    JSON.stringify({ times, peakRssMb, att: effect.estimate, se: effect.se, maxSmdAfter: balance.summary.maxAbsSmdAfter }) + '\n',
  );
}

function rAvailable(): boolean {
  if (values['no-r']) return false;
  try {
    execFileSync('Rscript', ['-e', 'suppressPackageStartupMessages(library(MatchIt))'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function runR(file: string, covariates: string[]): { total: number; peakRssMb: number; att: number; stages: Record<string, number>; version: string } | null {
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const args = ['bench/matchit.R', file, 'treat', 'outcome', covariates.join(',')];
  const res = timeBin
    ? spawnSync(timeBin, ['-f', 'PEAKRSS %M', 'Rscript', ...args], { encoding: 'utf8', maxBuffer: 1 << 24 })
    : spawnSync('Rscript', args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (res.status !== 0) {
    process.stderr.write(`R MatchIt failed: ${res.stderr.slice(-500)}\n`);
    return null;
  }
  const line = res.stdout.trim().split('\n').pop()!;
  const j = JSON.parse(line);
  const rss = /PEAKRSS (\d+)/.exec(res.stderr);
  return {
    total: j.total,
    peakRssMb: rss ? Number(rss[1]) / 1024 : NaN,
    att: j.att,
    stages: { read: j.read, matchit: j.matchit, effect: j.effect, balance: j.balance },
    version: j.version,
  };
}

async function parent(): Promise<void> {
  const sizes = values.rows!.split(',').map((s) => Number(s.trim()));
  const P = Number(values.covariates);
  const share = Number(values['treated-share']);
  const seed = Number(values.seed);
  const dir = join(tmpdir(), 'counterfact-bench');
  mkdirSync(dir, { recursive: true });
  const withR = rAvailable();
  const results: Record<string, unknown>[] = [];
  const lines: string[] = [];
  const pad = (s: string, n: number) => s.padStart(n);
  lines.push(`${pad('rows', 10)} ${pad('stage', 10)} ${pad('seconds', 9)} ${pad('rows/s', 12)} ${pad('peak MB', 9)} ${pad('R/ours', 8)}`);
  for (const n of sizes) {
    const file = join(dir, `register-${n}-${P}-${seed}.csv`);
    const g0 = performance.now();
    const reg = generateRegister({ rows: n, treatedShare: share, covariates: P, spellsPerPerson: 0, seed });
    const genSeconds = (performance.now() - g0) / 1000;
    if (!existsSync(file)) await writeTableFile(reg.table, file);
    const covariates = reg.table.names.filter((c) => !['id', 'treat', 'outcome'].includes(c));
    const res = spawnSync(process.execPath, ['--import', 'tsx', 'bench/pipeline.ts', '--child', file, '--covs', covariates.join(','), '--workers', values.workers!], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
      env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=16384' },
    });
    if (res.status !== 0) throw new Error(`benchmark child failed at ${n} rows: ${res.stderr.slice(-2000)}`);
    const ours = JSON.parse(res.stdout.trim().split('\n').pop()!);
    const total = ours.times.reduce((s: number, x: StageTime) => s + x.seconds, 0);
    const r = withR ? runR(file, covariates) : null;
    for (const s of ours.times as StageTime[]) {
      lines.push(`${pad(String(n), 10)} ${pad(s.stage, 10)} ${pad(s.seconds.toFixed(3), 9)} ${pad(Math.round(n / s.seconds).toLocaleString('en'), 12)} ${pad('', 9)} ${pad('', 8)}`);
    }
    lines.push(
      `${pad(String(n), 10)} ${pad('TOTAL', 10)} ${pad(total.toFixed(3), 9)} ${pad(Math.round(n / total).toLocaleString('en'), 12)} ${pad(ours.peakRssMb.toFixed(0), 9)} ${pad(r ? (r.total / total).toFixed(1) + '×' : 'n/a', 8)}`,
    );
    if (r) lines.push(`${pad(String(n), 10)} ${pad('R MatchIt', 10)} ${pad(r.total.toFixed(3), 9)} ${pad(Math.round(n / r.total).toLocaleString('en'), 12)} ${pad(r.peakRssMb.toFixed(0), 9)} ${pad('', 8)}`);
    results.push({
      rows: n,
      workers: Number(values.workers),
      covariates: P,
      treatedShare: share,
      seed,
      generateSeconds: genSeconds,
      stages: ours.times,
      totalSeconds: total,
      peakRssMb: ours.peakRssMb,
      att: ours.att,
      se: ours.se,
      trueAtt: reg.truth.att,
      maxAbsSmdAfter: ours.maxSmdAfter,
      r: r ?? null,
      ratioToMatchIt: r ? r.total / total : null,
    });
  }
  process.stdout.write(lines.join('\n') + '\n');
  writeFileSync(values.out!, JSON.stringify({ machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, results }, null, 2) + '\n');
  process.stdout.write(`wrote ${values.out}\n`);
}

if (values.child) await child(values.child, values.covs!.split(','));
else await parent();
