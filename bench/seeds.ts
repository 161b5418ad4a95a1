/**
 * The 20-seed check (`npm run bench:seeds`): rerun the headline figures of `counterfact
 * reproduce` on 20 seeds of every fixture (seed offset 0 = the published fixture) and compare,
 * for each estimated effect, the spread of the estimates across seeds (SD) with the mean standard
 * error the pipeline reports. If the fixtures' outcomes are drawn at random per person, the two
 * agree; if the CIs are wider than the real spread (as with the earlier systematic sampling),
 * SD / mean SE falls well below 1. Also reports the mean error against the process's truth, with
 * its Monte Carlo SE (SD / √seeds), and how often the 95% CI covered the truth.
 *
 *   tsx bench/seeds.ts [--seeds 20] [--jobs 2] [--out bench/seeds-results.json]
 *
 * Slow (about a minute per seed on 2 cores): not part of the default tests.
 */
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runReproduction } from '../src/reproduce/index.js';

const Z = 1.959963984540054;

interface SeedRow {
  seed: number;
  key: string;
  estimate: number;
  se: number;
  truth: number;
}

function runSeed(seed: number): SeedRow[] {
  const r = runReproduction({ seedOffset: seed, details: false });
  return r.rows
    .filter((x) => x.kind === 'estimated' && x.unit === 'pp' && x.ciLower !== null && x.ciUpper !== null && x.truth !== null)
    .map((x) => ({ seed, key: `${x.study}: ${x.quantity}`, estimate: x.estimate, se: (x.ciUpper! - x.ciLower!) / (2 * Z), truth: x.truth! }));
}

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '20' },
    jobs: { type: 'string', default: '2' },
    out: { type: 'string', default: 'bench/seeds-results.json' },
    worker: { type: 'string' },
  },
});

if (values.worker !== undefined) {
  const seeds = values.worker.split(',').map(Number);
  for (const s of seeds) process.send!({ rows: runSeed(s) });
  process.exit(0);
}

const nSeeds = Number(values.seeds);
const jobs = Math.max(1, Number(values.jobs));
const all: SeedRow[] = [];
const t0 = performance.now();
const self = fileURLToPath(import.meta.url);
await Promise.all(
  Array.from({ length: jobs }, (_, j) => {
    const mine = Array.from({ length: nSeeds }, (_, s) => s).filter((s) => s % jobs === j);
    if (!mine.length) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const child = fork(self, ['--worker', mine.join(',')], { execArgv: process.execArgv });
      child.on('message', (m: { rows: SeedRow[] }) => {
        all.push(...m.rows);
        process.stderr.write(`seed ${m.rows[0]?.seed} done (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
      });
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
    });
  }),
);

const keys = [...new Set(all.map((r) => r.key))];
const summary = keys.map((key) => {
  const rows = all.filter((r) => r.key === key);
  const n = rows.length;
  const mean = rows.reduce((s, r) => s + r.estimate, 0) / n;
  const sd = Math.sqrt(rows.reduce((s, r) => s + (r.estimate - mean) ** 2, 0) / (n - 1));
  const meanSe = rows.reduce((s, r) => s + r.se, 0) / n;
  const err = rows.reduce((s, r) => s + (r.estimate - r.truth), 0) / n;
  const covered = rows.filter((r) => Math.abs(r.estimate - r.truth) <= Z * r.se).length;
  return { key, seeds: n, meanEstimate: mean, sd, meanSe, ratio: sd / meanSe, meanError: err, mcSe: sd / Math.sqrt(n), coverage: covered / n };
});
const f = (x: number, d = 2) => x.toFixed(d);
const lines = [
  '| figure | seeds | SD of estimates (pp) | mean reported SE (pp) | SD / SE | mean error vs truth (pp) ± MC SE | CI covers truth |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...summary.map(
    (s) =>
      `| ${s.key} | ${s.seeds} | ${f(s.sd)} | ${f(s.meanSe)} | ${f(s.ratio)} | ${s.meanError >= 0 ? '+' : ''}${f(s.meanError)} ± ${f(s.mcSe)} | ${s.coverage * s.seeds}/${s.seeds} |`,
  ),
];
console.log(lines.join('\n'));
writeFileSync(values.out, JSON.stringify({ seeds: nSeeds, seconds: (performance.now() - t0) / 1000, summary, rows: all }, null, 2) + '\n');
console.error(`wrote ${values.out} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
