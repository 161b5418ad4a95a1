/**
 * `npm run bench`: counterfact against R MatchIt on the same synthetic register file, in one
 * run, each side in its own process, timed from outside (wall time and peak RSS of the process).
 *
 *   tsx bench/pipeline.ts [--rows 220000,1100000] [--large] [--format csv|parquet|csv,parquet]
 *                         [--covariates 17] [--treated-share 0.0909] [--seed 1]
 *                         [--no-r] [--r-balance] [--r-max-rows 1100000] [--repeat 1] [--no-stages]
 *                         [--no-build] [--source TEXT]
 *                         [--out bench/results.json]
 *
 * - counterfact: the built CLI exactly as a user runs it, default Node settings (NODE_OPTIONS
 *   removed): `node bin/counterfact.js estimate --data F --treatment treat --outcome outcome
 *   --covariates … --se ai --json`. The package is built first (`npm run build`) unless --no-build.
 * - R: bench/matchit.R — data.table::fread + MatchIt::matchit(method = "nearest") + weighted lm,
 *   with R_LIBS pointing at R_PEERS_LIB (default /opt/r-peers) when that folder exists. Only
 *   MatchIt ≥ 4.7.2 is used; an older MatchIt (quadratic nearest matching) is reported and skipped.
 * - Stage breakdown: `node bin/counterfact.js bench --data F --json` (read, fit, match, ATT + AI
 *   SE, balance, timed in-process, with each stage's distance from its floor).
 *
 * Defaults mirror a reported user case: 1.1 M rows with ~1 M controls and ~100 k treated
 * (share 1/11), 17 covariates (two categorical: 4 and 8 levels). --large adds 11 M rows (R is
 * skipped above --r-max-rows). Wall time and peak RSS come from /usr/bin/time (%e, %M) when it
 * exists, else from polling /proc/PID/status (VmHWM). With --repeat K each side runs K times,
 * alternating, and the fastest successful run is the headline (all runs are kept in the JSON).
 * Writes --out (JSON) and prints a table.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '220000,1100000' },
    large: { type: 'boolean', default: false },
    format: { type: 'string', default: 'csv' },
    covariates: { type: 'string', default: '17' },
    'treated-share': { type: 'string', default: String(1 / 11) },
    seed: { type: 'string', default: '1' },
    'no-r': { type: 'boolean', default: false },
    'r-balance': { type: 'boolean', default: false },
    'r-max-rows': { type: 'string', default: '1100000' },
    'no-build': { type: 'boolean', default: false },
    repeat: { type: 'string', default: '1' },
    'no-stages': { type: 'boolean', default: false },
    source: { type: 'string' },
    out: { type: 'string', default: 'bench/results.json' },
    dir: { type: 'string', default: join(tmpdir(), 'counterfact-bench') },
  },
});

const sizes = values.rows!.split(',').map((s) => Number(s.trim()));
if (values.large && !sizes.includes(11_000_000)) sizes.push(11_000_000);
const formats = values.format!.split(',').map((s) => s.trim()) as ('csv' | 'parquet')[];
for (const f of formats) if (f !== 'csv' && f !== 'parquet') throw new Error(`--format takes csv and/or parquet, received ${f}`);
const P = Number(values.covariates);
const share = Number(values['treated-share']);
const seed = Number(values.seed);
const rMaxRows = Number(values['r-max-rows']);
const repeat = Math.max(1, Math.floor(Number(values.repeat)));
const CLI = join(process.cwd(), 'bin', 'counterfact.js');
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const rLib = process.env.R_PEERS_LIB ?? '/opt/r-peers';

interface Measured {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  wallSeconds: number;
  peakRssMb: number | null;
  /** 1-minute load average when the process started (other work on the machine slows it). */
  loadAverage: number;
}

/** Run a command to completion; wall time from this process, peak RSS from /usr/bin/time or /proc. */
function runMeasured(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const full = TIME ? ([TIME, ['-f', 'BENCHTIME %e %M', cmd, ...args]] as const) : ([cmd, args] as const);
    const loadAverage = loadavg()[0]!;
    const t0 = performance.now();
    const child = spawn(full[0], [...full[1]], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let polledKb = 0;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const poll = TIME
      ? null
      : setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            if (m) polledKb = Math.max(polledKb, Number(m[1]));
          } catch {
            // exited
          }
        }, 50);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      const wallSeconds = (performance.now() - t0) / 1000;
      if (poll) clearInterval(poll);
      let peakRssMb: number | null = polledKb ? polledKb / 1024 : null;
      if (TIME) {
        const m = /BENCHTIME ([\d.]+) (\d+)\s*$/.exec(stderr);
        if (m) peakRssMb = Number(m[2]) / 1024;
        stderr = stderr.replace(/BENCHTIME [\d.]+ \d+\s*$/, '');
      }
      resolve({ status, signal, stdout, stderr, wallSeconds, peakRssMb, loadAverage });
    });
  });
}

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  return env;
}

function rInfo(): { ok: boolean; reason: string; env: NodeJS.ProcessEnv; matchit?: string; r?: string; dataTable?: string; arrow: boolean } {
  const env = existsSync(rLib) ? { ...process.env, R_LIBS: rLib } : { ...process.env };
  if (values['no-r']) return { ok: false, reason: 'R skipped (--no-r)', env, arrow: false };
  const res = spawnSync(
    'Rscript',
    [
      '-e',
      'v <- function(p) tryCatch(as.character(packageVersion(p)), error = function(e) "none"); cat(R.version.string, v("MatchIt"), v("data.table"), requireNamespace("arrow", quietly = TRUE), sep = "|")',
    ],
    { encoding: 'utf8', env },
  );
  if (res.error || res.status !== 0) return { ok: false, reason: 'R is missing (Rscript not found): only counterfact was measured', env, arrow: false };
  const [r, matchit, dataTable, arrow] = res.stdout.trim().split('|');
  if (matchit === 'none') return { ok: false, reason: `R MatchIt is not installed (${r}): only counterfact was measured`, env, r, arrow: false };
  if (dataTable === 'none') return { ok: false, reason: `R data.table is not installed (${r}): only counterfact was measured`, env, r, arrow: false };
  const [a, b, c] = matchit!.split('.').map(Number);
  if (a! * 1e6 + b! * 1e3 + (c ?? 0) < 4_007_002) {
    return {
      ok: false,
      reason: `R has MatchIt ${matchit}; this bench compares with MatchIt 4.7.2 or later only (older releases match nearest neighbours in quadratic time). Install 4.7.2 and set R_PEERS_LIB to its library`,
      env,
      r,
      matchit,
      arrow: false,
    };
  }
  return { ok: true, reason: '', env, r, matchit, dataTable, arrow: arrow === 'TRUE' };
}

function brief(m: Measured): { wallSeconds: number; peakRssMb: number | null; status: number | null; loadAverage: number } {
  return { wallSeconds: m.wallSeconds, peakRssMb: m.peakRssMb, status: m.status, loadAverage: m.loadAverage };
}

function tail(s: string, n = 600): string {
  return s.length > n ? '…' + s.slice(-n) : s;
}

async function main(): Promise<void> {
  if (!values['no-build']) {
    process.stdout.write('building (npm run build) …\n');
    const b = spawnSync('npm', ['run', 'build', '--silent'], { encoding: 'utf8', env: cleanEnv() });
    if (b.status !== 0) throw new Error(`npm run build failed:\n${tail(b.stdout + b.stderr, 3000)}`);
  }
  if (!existsSync(join(process.cwd(), 'dist', 'cli', 'main.js'))) throw new Error('dist/cli/main.js is missing: run npm run build');
  mkdirSync(values.dir!, { recursive: true });
  const R = rInfo();
  if (!R.ok) process.stdout.write(`${R.reason}\n`);
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  // What was measured: --source when given (e.g. a snapshot built elsewhere), else the commit,
  // marked "+ uncommitted changes" when the working tree differs from it.
  const gitHead = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src'], { encoding: 'utf8' }).stdout?.trim();
  const git = values.source ?? (gitHead.status === 0 ? `${gitHead.stdout.trim()}${dirty ? ' + uncommitted changes in src/' : ''}` : 'unknown');
  const load0 = loadavg()[0]!;
  const results: Record<string, unknown>[] = [];
  const table: string[][] = [];
  const stageTables: string[] = [];
  for (const n of sizes) {
    for (const format of formats) {
      const file = join(values.dir!, `register-${n}-${P}-${share.toFixed(4)}-${seed}.${format}`);
      const truthFile = file.replace(/\.(csv|parquet)$/, '.truth.json');
      if (!existsSync(file) || !existsSync(truthFile)) {
        process.stdout.write(`generating ${file} …\n`);
        const g = spawnSync(
          process.execPath,
          [CLI, 'synth', '--rows', String(n), '--covariates', String(P), '--treated-share', String(share), '--seed', String(seed), '--out', file],
          { encoding: 'utf8', env: cleanEnv() },
        );
        if (g.status !== 0) throw new Error(`counterfact synth failed: ${tail(g.stderr)}`);
      }
      const truth = JSON.parse(readFileSync(truthFile, 'utf8'));
      const covariates: string[] = truth.covariates;
      const bytes = statSync(file).size;
      const estimateArgs = [
        'estimate',
        '--data',
        file,
        '--treatment',
        'treat',
        '--outcome',
        'outcome',
        '--covariates',
        covariates.join(','),
        '--se',
        'ai',
        '--json',
      ];
      const rArgs = ['bench/matchit.R', file, 'treat', 'outcome', covariates.join(',')];
      if (values['r-balance']) rArgs.push('--balance');
      const rSkip = !R.ok
        ? R.reason
        : n > rMaxRows
          ? `above --r-max-rows ${rMaxRows}`
          : format === 'parquet' && !R.arrow
            ? 'the R arrow package is not installed: R cannot read Parquet here'
            : null;
      // The two sides alternate (ours, R, ours, R, …) so both see similar load; the fastest
      // successful run of each side is the headline, every run is kept.
      const oursRuns: Measured[] = [];
      const rRuns: Measured[] = [];
      for (let rep = 0; rep < repeat; rep++) {
        process.stdout.write(`${n.toLocaleString('en')} rows, ${format}, run ${rep + 1}/${repeat}: counterfact estimate …\n`);
        const o = await runMeasured(process.execPath, [CLI, ...estimateArgs], cleanEnv());
        oursRuns.push(o);
        process.stdout.write(
          `  ${o.wallSeconds.toFixed(1)} s, ${o.peakRssMb?.toFixed(0)} MB, load ${o.loadAverage.toFixed(1)}${o.status === 0 ? '' : ` — FAILED (exit ${o.status}, signal ${o.signal}): ${tail(o.stderr, 300)}`}\n`,
        );
        if (rSkip === null) {
          process.stdout.write(`${n.toLocaleString('en')} rows, ${format}, run ${rep + 1}/${repeat}: R (fread + matchit + lm) …\n`);
          const res = await runMeasured('Rscript', rArgs, R.env);
          rRuns.push(res);
          process.stdout.write(
            `  ${res.wallSeconds.toFixed(1)} s, ${res.peakRssMb?.toFixed(0)} MB, load ${res.loadAverage.toFixed(1)}${res.status === 0 ? '' : ` — FAILED: ${tail(res.stderr, 300)}`}\n`,
          );
        }
      }
      const best = (runs: Measured[]) => runs.filter((x) => x.status === 0).sort((a, b) => a.wallSeconds - b.wallSeconds)[0] ?? runs[runs.length - 1]!;
      const ours = best(oursRuns);
      let oursJson: { estimate: number; se: number } | null = null;
      try {
        oursJson = ours.status === 0 ? JSON.parse(ours.stdout) : null;
      } catch {
        oursJson = null;
      }
      let stages: Record<string, unknown> | null = null;
      if (!values['no-stages']) {
        process.stdout.write(`${n.toLocaleString('en')} rows, ${format}: counterfact bench (stage breakdown) …\n`);
        const st = await runMeasured(process.execPath, [CLI, 'bench', '--data', file, '--json'], cleanEnv());
        try {
          stages = st.status === 0 ? JSON.parse(st.stdout) : null;
        } catch {
          stages = null;
        }
        if (!stages) process.stdout.write(`  stage breakdown FAILED (exit ${st.status}, signal ${st.signal}): ${tail(st.stderr, 300)}\n`);
      }
      let r: Record<string, unknown>;
      if (rSkip !== null) r = { skipped: rSkip };
      else {
        const res = best(rRuns);
        let j: Record<string, unknown> | null = null;
        try {
          j = res.status === 0 ? JSON.parse(res.stdout.trim().split('\n').pop()!) : null;
        } catch {
          j = null;
        }
        r = {
          command: `Rscript ${rArgs.map((a) => (a === file ? 'FILE' : a)).join(' ')}`,
          wallSeconds: res.wallSeconds,
          peakRssMb: res.peakRssMb,
          status: res.status,
          signal: res.signal,
          loadAverage: res.loadAverage,
          runs: rRuns.map(brief),
          ...(j ? { inProcess: j } : { error: tail(res.stderr) }),
        };
      }
      const rWall = typeof r.wallSeconds === 'number' && r.status === 0 ? (r.wallSeconds as number) : null;
      const ratio = rWall !== null && ours.status === 0 ? rWall / ours.wallSeconds : null;
      results.push({
        rows: n,
        format,
        covariates: P,
        treatedShare: share,
        seed,
        treated: truth.treated,
        fileBytes: bytes,
        trueAtt: truth.att,
        counterfact: {
          command: `node bin/counterfact.js ${estimateArgs.map((a) => (a === file ? 'FILE' : a)).join(' ')}`,
          wallSeconds: ours.wallSeconds,
          peakRssMb: ours.peakRssMb,
          status: ours.status,
          signal: ours.signal,
          loadAverage: ours.loadAverage,
          runs: oursRuns.map(brief),
          att: oursJson?.estimate ?? null,
          se: oursJson?.se ?? null,
          ...(ours.status === 0 ? {} : { error: tail(ours.stderr) }),
        },
        stages,
        r,
        ratioRToCounterfact: ratio,
      });
      const rj = (r as { inProcess?: { att: number } }).inProcess;
      table.push([
        n.toLocaleString('en'),
        format,
        ours.status === 0 ? ours.wallSeconds.toFixed(1) : `failed after ${ours.wallSeconds.toFixed(1)}`,
        ours.peakRssMb?.toFixed(0) ?? '?',
        oursJson ? oursJson.estimate.toFixed(5) : '—',
        rWall !== null ? rWall.toFixed(1) : typeof r.skipped === 'string' ? 'skipped' : 'failed',
        typeof r.peakRssMb === 'number' ? (r.peakRssMb as number).toFixed(0) : '—',
        rj ? rj.att.toFixed(5) : '—',
        ratio !== null ? `${ratio.toFixed(2)}×` : '—',
        (truth.att as number).toFixed(5),
      ]);
      if (stages) {
        const s = stages as {
          stages: { stage: string; seconds: number; rowsPerSecond: number }[];
          totalSeconds: number;
          peakRssMb: number;
          floors: {
            read: { parseMBps: number; readFileSyncMBps: number; timesFloor: number };
            fit: {
              iterations: number;
              secondsPerIteration: number;
              floorSecondsPerIteration: number;
              designColumns: number;
              multiplyAddRate: number;
              timesFloor: number;
            };
          };
        };
        const f = s.floors;
        stageTables.push(
          `${n.toLocaleString('en')} rows, ${format} — counterfact stages in-process (total ${s.totalSeconds.toFixed(2)} s, peak ${s.peakRssMb.toFixed(0)} MB):\n` +
            s.stages
              .map(
                (x) => `  ${x.stage.padEnd(8)} ${x.seconds.toFixed(3).padStart(8)} s ${Math.round(x.rowsPerSecond).toLocaleString('en').padStart(12)} rows/s`,
              )
              .join('\n') +
            `\n  read floor: ${f.read.parseMBps.toFixed(1)} MB/s parsed vs ${f.read.readFileSyncMBps.toFixed(0)} MB/s fs.readFileSync (${f.read.timesFloor.toFixed(1)}×)` +
            `\n  fit floor:  ${f.fit.iterations} iterations × ${f.fit.secondsPerIteration.toFixed(3)} s vs n·p²/2 (p = ${f.fit.designColumns}) at ${f.fit.multiplyAddRate.toExponential(2)} multiply-adds/s = ${f.fit.floorSecondsPerIteration.toFixed(3)} s (${f.fit.timesFloor.toFixed(1)}×)`,
        );
      }
    }
  }
  const header = ['rows', 'format', 'counterfact s', 'peak MB', 'ATT', `R s`, 'peak MB', 'R ATT', 'R/ours', 'true ATT'];
  const widths = header.map((h, j) => Math.max(h.length, ...table.map((r) => r[j]!.length)));
  const line = (cells: string[]) => cells.map((c, j) => c.padStart(widths[j]!)).join('  ');
  process.stdout.write('\n' + [line(header), ...table.map(line)].join('\n') + '\n');
  process.stdout.write(`R side: ${R.ok ? `MatchIt ${R.matchit}, data.table ${R.dataTable}, ${R.r}` : R.reason}\n\n`);
  process.stdout.write(stageTables.join('\n\n') + '\n');
  // The same numbers as Markdown rows, for README.md and docs/scale.md.
  const md: string[] = [
    '',
    `| rows | file | counterfact ${pkg.version} | peak RSS | R ${R.ok ? `MatchIt ${R.matchit}` : 'MatchIt'} | peak RSS | R time / counterfact time |`,
    '|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const x of results as {
    rows: number;
    format: string;
    counterfact: { wallSeconds: number; peakRssMb: number | null; status: number | null };
    r: { wallSeconds?: number; peakRssMb?: number | null; status?: number | null; skipped?: string };
    ratioRToCounterfact: number | null;
  }[]) {
    const mb = (v: number | null | undefined) => (v == null ? '—' : `${Math.round(v).toLocaleString('en')} MB`);
    const ok = x.counterfact.status === 0;
    const rOk = x.r.status === 0 && typeof x.r.wallSeconds === 'number';
    md.push(
      `| ${x.rows.toLocaleString('en')} | ${x.format} | ${ok ? '' : 'failed after '}${x.counterfact.wallSeconds.toFixed(1)} s | ${mb(x.counterfact.peakRssMb)} | ${rOk ? `${x.r.wallSeconds!.toFixed(1)} s` : x.r.skipped ? 'not run' : 'failed'} | ${rOk ? mb(x.r.peakRssMb) : '—'} | ${x.ratioRToCounterfact !== null ? `${x.ratioRToCounterfact.toFixed(2)}` : '—'} |`,
    );
  }
  process.stdout.write(md.join('\n') + '\n');
  const c = cpus();
  const out = {
    description:
      'npm run bench: counterfact estimate (built CLI, default Node settings) vs R data.table::fread + MatchIt::matchit(method = "nearest") + weighted lm on the same file, each in its own process; wall time and peak RSS of each process',
    date: new Date().toISOString(),
    machine: {
      cpus: availableParallelism(),
      cpuModel: c[0]?.model?.trim() ?? 'unknown',
      memoryMb: Math.round(totalmem() / 2 ** 20),
      loadAverageStart: load0,
      loadAverageEnd: loadavg()[0],
    },
    versions: { counterfact: pkg.version, commit: git, node: process.version, r: R.r ?? null, matchit: R.matchit ?? null, dataTable: R.dataTable ?? null },
    repeat,
    headline: repeat > 1 ? 'fastest successful run of each side' : 'one run of each side',
    rSide: R.ok ? `bench/matchit.R${values['r-balance'] ? ' --balance' : ''}` : R.reason,
    peakRssSource: TIME ? '/usr/bin/time %M' : '/proc/PID/status VmHWM (polled)',
    results,
  };
  writeFileSync(values.out!, JSON.stringify(out, null, 2) + '\n');
  process.stdout.write(`wrote ${values.out}\n`);
}

await main();
