/**
 * `counterfact bench`: the whole estimation pipeline that `counterfact estimate` runs (read →
 * propensity fit → 1:1 nearest matching → balance → ATT with Abadie–Imbens SE) on a synthetic
 * register with a known true effect, timed stage by stage, with each stage's distance from a
 * floor measured on the same machine, the peak RSS, the estimate against the truth, and an
 * optional stage-by-stage comparison to an earlier run for CI (exit 3 on a regression).
 *
 * Ships in the package: only node builtins and the library itself.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { generateRegister } from '../synth/index.js';
import { writeTableFile } from '../io/write.js';
import { readTableFile } from '../io/readTable.js';
import { fitPropensityParallel } from '../io/parallel.js';
import { evaluateDesign } from '../evaluate.js';
import { prepareBalance } from '../io/parallelBalance.js';
import { estimateATT } from '../effects/index.js';
import { CounterfactError } from '../problems.js';
import { num, oneOf, parseFlags } from './args.js';
import { formatTable } from './format.js';
import type { CliIO } from './io.js';

export const BENCH_HELP = `Usage: counterfact bench --rows N [--covariates P] [--treated-share S] [--seed X]
                       [--format csv|parquet] [--json] [--baseline OLD.json [--tolerance T] [--noise SEC]]
       counterfact bench --data REGISTER.csv [...]

Generates a synthetic register (as "counterfact synth" does) to a temporary file, then runs the
pipeline "counterfact estimate --se ai" runs — read, propensity fit (on all cores, as
estimate), 1:1 nearest matching, balance, ATT with Abadie–Imbens SE — and prints each stage's time, rows/s, its distance from
a floor measured on this machine, the peak RSS of the pipeline and the estimate against the
known true ATT. The temporary file is deleted afterwards.

  --rows N            people in the register                           (required without --data)
  --covariates P      covariates (≥ 5; the first 9 are the register's, two categorical)   [20]
  --treated-share S   expected share treated                                              [0.1]
  --seed X            seed of the register                                                [1]
  --format csv|parquet  file format the pipeline reads                                    [csv]
  --data FILE         time an existing register written by "counterfact synth" instead
                      (treatment "treat", outcome "outcome"; covariates and the true ATT
                      from FILE's .truth.json when present)
  --json              print one JSON object (the file --baseline reads)
  --baseline OLD.json compare stage by stage with an earlier --json output of the same
                      register (rows, covariates, treated share, format); exit 3 when a
                      stage or the total is more than --tolerance % slower
  --tolerance T       percent slower allowed per stage                                    [25]
  --noise SEC         slowdowns smaller than SEC seconds are never a regression           [0.05]

Exit codes: 0 ok, 2 bad input, 3 slower than the baseline.
`;

/** The stages timed, in the order `counterfact estimate` runs them. */
export const BENCH_STAGES = ['read', 'fit', 'match', 'balance', 'se'] as const;
export type BenchStage = (typeof BENCH_STAGES)[number];

/** One timed stage. */
export interface BenchStageTime {
  readonly stage: BenchStage;
  readonly seconds: number;
  readonly rowsPerSecond: number;
}

/** The JSON object `counterfact bench --json` prints; `--baseline` reads it back. */
export interface BenchReport {
  readonly kind: 'counterfact-bench';
  readonly schema: 1;
  readonly register: {
    readonly source: 'generated' | 'file';
    readonly rows: number;
    readonly treated: number;
    readonly covariates: number;
    /** The expected treated share asked for (null for --data). */
    readonly treatedShare: number | null;
    readonly seed: number | null;
    readonly format: 'csv' | 'parquet' | 'arrow';
    readonly bytes: number;
  };
  readonly machine: {
    readonly cpus: number;
    readonly cpuModel: string;
    readonly memoryMb: number;
    readonly node: string;
    readonly platform: string;
    /** 1-minute load average when the pipeline started (other work on the machine slows every stage). */
    readonly loadAverage: number;
  };
  readonly stages: readonly BenchStageTime[];
  readonly totalSeconds: number;
  readonly rowsPerSecond: number;
  readonly peakRssMb: number;
  /** 'pipeline' when the peak was reset after generating the register; else the process's. */
  readonly peakRssScope: 'pipeline' | 'process';
  readonly floors: {
    readonly read: { readonly bytes: number; readonly parseMBps: number; readonly readFileSyncMBps: number; readonly timesFloor: number };
    readonly fit: {
      /** Design columns p, intercept included. */
      readonly designColumns: number;
      readonly iterations: number;
      readonly secondsPerIteration: number;
      /** n·p²/2: the multiply-adds of one X'WX cross-product. */
      readonly multiplyAddsPerIteration: number;
      /** Multiply-adds per second of a plain JavaScript loop on this machine, one thread. */
      readonly multiplyAddRate: number;
      /** Threads the fit may use (as `counterfact estimate`); the floor divides by rate × threads. */
      readonly threads: number;
      readonly floorSecondsPerIteration: number;
      readonly timesFloor: number;
    };
  };
  readonly estimate: {
    readonly att: number;
    readonly se: number | null;
    readonly trueAtt: number | null;
    readonly error: number | null;
    readonly errorInSe: number | null;
  };
  readonly setup: { readonly generateSeconds: number | null; readonly writeSeconds: number | null };
  readonly comparison?: BenchComparison;
}

/** One row of a baseline comparison. */
export interface BenchComparisonRow {
  readonly stage: string;
  readonly baselineSeconds: number | null;
  readonly seconds: number;
  /** Percent change (positive = slower); null without a baseline value. */
  readonly changePercent: number | null;
  readonly slower: boolean;
}

export interface BenchComparison {
  readonly tolerancePercent: number;
  readonly noiseSeconds: number;
  readonly rows: readonly BenchComparisonRow[];
  /** True when any stage (or the total) is slower than the tolerance allows. */
  readonly regressed: boolean;
}

type Timings = Pick<BenchReport, 'stages' | 'totalSeconds'>;

/**
 * Compare stage times with a baseline: a stage regresses when it takes more than
 * `tolerance` percent longer than in the baseline AND at least `noise` seconds longer.
 * Stages missing from the baseline are listed but never regress. The total is compared too.
 * @example
 * compareBench({ stages: [{ stage: 'fit', seconds: 2, rowsPerSecond: 1 }], totalSeconds: 2 },
 *   { stages: [{ stage: 'fit', seconds: 1, rowsPerSecond: 1 }], totalSeconds: 1 },
 *   { tolerance: 25, noise: 0.05 }).regressed; // true
 */
export function compareBench(current: Timings, baseline: Timings, options: { tolerance: number; noise: number }): BenchComparison {
  const { tolerance, noise } = options;
  const row = (stage: string, seconds: number, base: number | undefined): BenchComparisonRow => {
    if (base === undefined || !Number.isFinite(base)) return { stage, baselineSeconds: null, seconds, changePercent: null, slower: false };
    const slower = seconds > base * (1 + tolerance / 100) && seconds - base > noise;
    return { stage, baselineSeconds: base, seconds, changePercent: base > 0 ? (100 * (seconds - base)) / base : null, slower };
  };
  const rows = current.stages.map((s) => row(s.stage, s.seconds, baseline.stages.find((b) => b.stage === s.stage)?.seconds));
  rows.push(row('total', current.totalSeconds, baseline.totalSeconds));
  return { tolerancePercent: tolerance, noiseSeconds: noise, rows, regressed: rows.some((r) => r.slower) };
}

/** Run `counterfact bench`. Returns the exit code (3 = slower than the baseline). */
export async function benchCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { flags } = parseFlags(argv, {
    rows: { type: 'string' },
    covariates: { type: 'string' },
    'treated-share': { type: 'string' },
    seed: { type: 'string' },
    format: { type: 'string' },
    data: { type: 'string' },
    json: { type: 'boolean' },
    baseline: { type: 'string' },
    tolerance: { type: 'string' },
    noise: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) {
    io.out(BENCH_HELP);
    return 0;
  }
  const tolerance = num(flags, 'tolerance', { min: 0 }) ?? 25;
  const noise = num(flags, 'noise', { min: 0 }) ?? 0.05;
  const baseline = typeof flags.baseline === 'string' ? readBaseline(flags.baseline) : null;
  const dataPath = typeof flags.data === 'string' ? flags.data : null;
  if (dataPath !== null) {
    for (const f of ['rows', 'covariates', 'treated-share', 'seed', 'format']) {
      if (flags[f] !== undefined)
        throw new CounterfactError({
          code: 'bad_argument',
          column: `--${f}`,
          message: `--${f} describes a generated register and cannot be combined with --data; drop one of them`,
        });
    }
  }
  const rows = num(flags, 'rows', { integer: true, min: 10 });
  if (dataPath === null && rows === undefined) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: '--rows',
      message: '--rows is required: the number of people in the synthetic register (or give --data FILE)',
    });
  }
  const P = num(flags, 'covariates', { integer: true, min: 5 }) ?? 20;
  const share = num(flags, 'treated-share', { min: 0, max: 1, exclusiveMin: true }) ?? 0.1;
  const seed = num(flags, 'seed', { integer: true, min: 0 }) ?? 1;
  const format = oneOf(flags, 'format', ['csv', 'parquet'] as const, 'csv');

  const dir = dataPath === null ? mkdtempSync(join(tmpdir(), 'counterfact-bench-')) : null;
  try {
    let file: string;
    let truth: { att: number; covariates: readonly string[]; treated: number } | null;
    let generateSeconds: number | null = null;
    let writeSeconds: number | null = null;
    if (dir !== null) {
      file = join(dir, `register.${format}`);
      const g = await generateToFile(file, { rows: rows!, treatedShare: share, covariates: P, seed });
      truth = g.truth;
      generateSeconds = g.generateSeconds;
      writeSeconds = g.writeSeconds;
    } else {
      file = dataPath!;
      truth = readTruth(file);
    }
    const ext = /\.(parquet|arrow|feather|ipc)$/i.exec(file)?.[1]?.toLowerCase();
    const fileFormat: BenchReport['register']['format'] = ext === 'parquet' ? 'parquet' : ext ? 'arrow' : 'csv';
    const report0 = await runPipeline(file, truth);
    let report: BenchReport = {
      ...report0,
      register: {
        source: dir !== null ? 'generated' : 'file',
        rows: report0.register.rows,
        treated: report0.register.treated,
        covariates: report0.register.covariates,
        treatedShare: dir !== null ? share : null,
        seed: dir !== null ? seed : null,
        format: fileFormat,
        bytes: report0.register.bytes,
      },
      setup: { generateSeconds, writeSeconds },
    };
    if (baseline) {
      checkBaselineMatches(baseline, report, flags.baseline as string);
      report = { ...report, comparison: compareBench(report, baseline, { tolerance, noise }) };
    }
    io.out(flags.json ? JSON.stringify(report, null, 2) + '\n' : benchSummary(report));
    return report.comparison?.regressed ? 3 : 0;
  } finally {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  }
}

/** Generate the register and write it; only the truth survives, so the columns can be collected. */
async function generateToFile(
  file: string,
  options: { rows: number; treatedShare: number; covariates: number; seed: number },
): Promise<{ truth: { att: number; covariates: readonly string[]; treated: number }; generateSeconds: number; writeSeconds: number }> {
  const t0 = performance.now();
  const reg = generateRegister({ ...options, spellsPerPerson: 0 });
  const t1 = performance.now();
  await writeTableFile(reg.table, file);
  const t2 = performance.now();
  return {
    truth: { att: reg.truth.att, covariates: [...reg.truth.covariates], treated: reg.truth.treated },
    generateSeconds: (t1 - t0) / 1000,
    writeSeconds: (t2 - t1) / 1000,
  };
}

function readTruth(file: string): { att: number; covariates: readonly string[]; treated: number } | null {
  const truthPath = file.replace(/\.(csv|tsv|txt|parquet|arrow|feather|ipc)$/i, '') + '.truth.json';
  if (!existsSync(truthPath)) return null;
  try {
    const t = JSON.parse(readFileSync(truthPath, 'utf8'));
    if (typeof t.att === 'number' && Array.isArray(t.covariates)) return { att: t.att, covariates: t.covariates, treated: t.treated };
  } catch {
    // fall through: an unreadable truth file is reported as no truth
  }
  throw new CounterfactError({
    code: 'bad_file',
    column: truthPath,
    message: `${truthPath} is not a truth file written by "counterfact synth" (needs "att" and "covariates"); remove it or rewrite it with counterfact synth`,
  });
}

function readBaseline(path: string): BenchReport {
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CounterfactError({
      code: 'bad_file',
      column: '--baseline',
      message: `--baseline ${path} could not be read as JSON (${(e as Error).message}); give the output of an earlier "counterfact bench --json"`,
    });
  }
  const b = j as Partial<BenchReport>;
  if (b?.kind !== 'counterfact-bench' || !Array.isArray(b.stages) || typeof b.totalSeconds !== 'number' || !b.register) {
    throw new CounterfactError({
      code: 'bad_file',
      column: '--baseline',
      message: `--baseline ${path} is not the output of "counterfact bench --json"; write one with: counterfact bench --rows N --json > ${path}`,
    });
  }
  return b as BenchReport;
}

function checkBaselineMatches(b: BenchReport, r: BenchReport, path: string): void {
  const diffs: string[] = [];
  if (b.register.rows !== r.register.rows) diffs.push(`rows ${b.register.rows} (now ${r.register.rows})`);
  if (b.register.covariates !== r.register.covariates) diffs.push(`covariates ${b.register.covariates} (now ${r.register.covariates})`);
  if (b.register.treatedShare !== r.register.treatedShare) diffs.push(`treated share ${b.register.treatedShare} (now ${r.register.treatedShare})`);
  if (b.register.format !== r.register.format) diffs.push(`format ${b.register.format} (now ${r.register.format})`);
  if (diffs.length) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: '--baseline',
      message: `--baseline ${path} was measured on another register: ${diffs.join(', ')}; rerun with the baseline's settings or write a new baseline`,
    });
  }
}

/** Peak resident set size in MB: VmHWM on Linux, else getrusage's maxRSS. */
function peakRssMb(): number {
  try {
    const m = /VmHWM:\s+(\d+)\s*kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** Reset the peak RSS to the current RSS (Linux ≥ 4.0); false where that is not possible. */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** Collect garbage now, so the generated register is not counted in the pipeline's peak. */
function collectGarbage(): void {
  try {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
  } catch {
    // without a collection the peak may include the generator's columns; still a valid upper bound
  }
}

/** Multiply-adds per second of a plain JavaScript loop (four independent sums, in cache). */
export function multiplyAddRate(): number {
  const len = 4096;
  const a = new Float64Array(len);
  const b = new Float64Array(len);
  for (let i = 0; i < len; i++) {
    a[i] = 1 + (i % 7) * 1e-3;
    b[i] = 1 - (i % 5) * 1e-3;
  }
  let best = 0;
  let sink = 0;
  for (let rep = 0; rep < 7; rep++) {
    const reps = 4000;
    const t0 = performance.now();
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let k = 0; k < reps; k++) {
      for (let i = 0; i < len; i += 4) {
        s0 += a[i]! * b[i]!;
        s1 += a[i + 1]! * b[i + 1]!;
        s2 += a[i + 2]! * b[i + 2]!;
        s3 += a[i + 3]! * b[i + 3]!;
      }
    }
    const dt = (performance.now() - t0) / 1000;
    sink += s0 + s1 + s2 + s3;
    if (dt > 0) best = Math.max(best, (len * reps) / dt);
  }
  if (!Number.isFinite(sink)) return NaN;
  return best;
}

type PipelineReport = Omit<BenchReport, 'setup' | 'comparison'>;

/** Read the whole file: fs.readFileSync, or fs.readSync in 64 MB chunks above 1 GiB (readFileSync's limit is 2 GiB). */
function readAllBytes(file: string, size: number): number {
  if (size <= 2 ** 30) return readFileSync(file).length;
  const buf = Buffer.allocUnsafe(64 * 2 ** 20);
  const fd = openSync(file, 'r');
  let total = 0;
  try {
    for (let got = readSync(fd, buf, 0, buf.length, null); got > 0; got = readSync(fd, buf, 0, buf.length, null)) total += got;
  } finally {
    closeSync(fd);
  }
  return total;
}

async function runPipeline(file: string, truth: { att: number; covariates: readonly string[]; treated: number } | null): Promise<PipelineReport> {
  // The propensity fit runs on as many worker threads as `counterfact estimate` uses.
  const threads = Math.max(1, Math.min(availableParallelism(), 64));
  const bytes = statSync(file).size;
  // Floors first: reading the same bytes (also warms the page cache for the timed read) and
  // this machine's multiply-add rate.
  const tr = performance.now();
  const rawBytes = readAllBytes(file, bytes);
  const rawSeconds = (performance.now() - tr) / 1000;
  const rate = multiplyAddRate();
  collectGarbage();
  const scope: 'pipeline' | 'process' = resetPeakRss() ? 'pipeline' : 'process';
  const load = loadavg()[0] ?? 0;

  // The calls `counterfact estimate --se ai` makes, in its order; evaluateDesign reports when
  // each of its stages starts.
  const times: { stage: BenchStage; seconds: number }[] = [];
  const clock = () => performance.now() / 1000;
  let t0 = clock();
  const { table } = await readTableFile(file);
  times.push({ stage: 'read', seconds: clock() - t0 });
  const covariates = truth?.covariates ?? table.names.filter((c) => c !== 'id' && c !== 'treat' && c !== 'outcome');
  let current: BenchStage | null = null;
  const mark = (next: BenchStage | null) => {
    const t = clock();
    if (current !== null) times.push({ stage: current, seconds: t - t0 });
    current = next;
    t0 = t;
  };
  // As `counterfact estimate`: the balance sorts start on a worker thread before the fit.
  const ecdf = threads > 1 ? prepareBalance(table, { treatment: 'treat', covariates }) : undefined;
  const design = evaluateDesign(
    table,
    { treatment: 'treat', covariates, se: 'ai' },
    { fit: (t, o) => fitPropensityParallel(t, o, { workers: threads }), onStage: (stage) => mark(stage), ecdf },
  );
  ecdf?.close();
  mark('se');
  const fit = design.propensity;
  const match = design.match;
  const effect = estimateATT(table, match, { outcome: 'outcome', se: 'ai', varMatches: 0, propensity: fit });
  mark(null);
  const peak = peakRssMb();

  const n = table.nRows;
  const total = times.reduce((s, x) => s + x.seconds, 0);
  const readSeconds = times[0]!.seconds;
  const fitSeconds = times[1]!.seconds;
  const p = fit.coefficients.length;
  const iterations = Math.max(1, fit.iterations);
  const madds = (n * p * p) / 2;
  const floorPerIter = madds / (rate * threads);
  const se = effect.se;
  const error = truth ? effect.estimate - truth.att : null;
  const c = cpus();
  return {
    kind: 'counterfact-bench',
    schema: 1,
    register: {
      source: 'generated',
      rows: n,
      treated: match.counts.treated,
      covariates: covariates.length,
      treatedShare: null,
      seed: null,
      format: 'csv',
      bytes,
    },
    machine: {
      cpus: availableParallelism(),
      cpuModel: c[0]?.model?.trim() ?? 'unknown',
      memoryMb: Math.round(totalmem() / 2 ** 20),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      loadAverage: load,
    },
    stages: times.map((t) => ({ stage: t.stage, seconds: t.seconds, rowsPerSecond: n / t.seconds })),
    totalSeconds: total,
    rowsPerSecond: n / total,
    peakRssMb: peak,
    peakRssScope: scope,
    floors: {
      read: { bytes, parseMBps: bytes / 1e6 / readSeconds, readFileSyncMBps: rawBytes / 1e6 / rawSeconds, timesFloor: readSeconds / rawSeconds },
      fit: {
        designColumns: p,
        iterations: fit.iterations,
        secondsPerIteration: fitSeconds / iterations,
        multiplyAddsPerIteration: madds,
        multiplyAddRate: rate,
        threads,
        floorSecondsPerIteration: floorPerIter,
        timesFloor: fitSeconds / iterations / floorPerIter,
      },
    },
    estimate: {
      att: effect.estimate,
      se: se ?? null,
      trueAtt: truth ? truth.att : null,
      error,
      errorInSe: error !== null && se ? error / se : null,
    },
  };
}

const STAGE_LABEL: Record<string, string> = {
  read: 'read',
  fit: 'fit',
  match: 'match',
  se: 'ATT + AI SE',
  balance: 'balance',
  total: 'total',
};

function int(x: number): string {
  return Math.round(x).toLocaleString('en');
}

/** The readable report `counterfact bench` prints without --json. */
export function benchSummary(r: BenchReport): string {
  const g = r.register;
  const out: string[] = [];
  out.push(
    `counterfact bench: ${int(g.rows)} rows (${int(g.treated)} treated), ${g.covariates} covariates, ${g.format} ${(g.bytes / 1e6).toFixed(1)} MB` +
      (g.seed !== null ? `, seed ${g.seed}` : ''),
  );
  out.push(
    `machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${(r.machine.memoryMb / 1024).toFixed(1)} GB, Node ${r.machine.node}, load average ${r.machine.loadAverage.toFixed(2)} at the start`,
  );
  out.push('');
  const fr = r.floors.read;
  const ff = r.floors.fit;
  out.push(
    formatTable(
      ['stage', 'seconds', 'rows/s'],
      [
        ...r.stages.map((s) => [STAGE_LABEL[s.stage] ?? s.stage, s.seconds.toFixed(3), int(s.rowsPerSecond)]),
        ['total', r.totalSeconds.toFixed(3), int(r.rowsPerSecond)],
      ],
    ),
  );
  out.push('');
  out.push('distance from the floor:');
  out.push(
    `  read  ${fr.parseMBps.toFixed(1)} MB/s parsed vs ${int(fr.readFileSyncMBps)} MB/s reading the same bytes with fs.readFileSync${fr.bytes > 2 ** 30 ? ' (in 64 MB chunks)' : ''}: ${fr.timesFloor.toFixed(1)}× the floor`,
  );
  out.push(
    `  fit   ${ff.iterations} IRLS passes over all rows, ${ff.secondsPerIteration.toFixed(3)} s each (fit time ÷ passes); one X'WX needs n·p²/2 = ${ff.multiplyAddsPerIteration.toExponential(2)} multiply-adds (p = ${ff.designColumns}),` +
      ` ${ff.floorSecondsPerIteration.toFixed(3)} s at this machine's ${ff.multiplyAddRate.toExponential(2)}/s (plain JS loop) × ${ff.threads} thread(s): ${ff.timesFloor.toFixed(1)}× the floor`,
  );
  out.push('');
  out.push(`peak RSS ${int(r.peakRssMb)} MB${r.peakRssScope === 'pipeline' ? ' (the pipeline, after the register was generated)' : ' (the whole process)'}`);
  const e = r.estimate;
  out.push(
    `estimate: ATT ${e.att.toFixed(5)}${e.se !== null ? ` (SE ${e.se.toFixed(5)})` : ''}` +
      (e.trueAtt !== null && e.error !== null
        ? `, true ATT ${e.trueAtt.toFixed(5)}, error ${e.error >= 0 ? '+' : ''}${e.error.toFixed(5)}${e.errorInSe !== null ? ` (${e.errorInSe >= 0 ? '+' : ''}${e.errorInSe.toFixed(2)} SE)` : ''}`
        : ', true ATT unknown'),
  );
  if (r.setup.generateSeconds !== null)
    out.push(`(setup, not timed above: generated in ${r.setup.generateSeconds.toFixed(1)} s, written in ${(r.setup.writeSeconds ?? 0).toFixed(1)} s)`);
  if (r.comparison) {
    const c = r.comparison;
    out.push('');
    out.push(
      formatTable(
        ['stage', 'baseline s', 'now s', 'change', ''],
        c.rows.map((x) => [
          STAGE_LABEL[x.stage] ?? x.stage,
          x.baselineSeconds === null ? '—' : x.baselineSeconds.toFixed(3),
          x.seconds.toFixed(3),
          x.changePercent === null ? '' : `${x.changePercent >= 0 ? '+' : ''}${x.changePercent.toFixed(1)}%`,
          x.slower ? 'SLOWER' : '',
        ]),
      ),
    );
    out.push(
      c.regressed
        ? `regression: ${c.rows
            .filter((x) => x.slower)
            .map((x) => STAGE_LABEL[x.stage] ?? x.stage)
            .join(', ')} more than ${c.tolerancePercent}% (and ${c.noiseSeconds} s) slower than the baseline`
        : `no stage more than ${c.tolerancePercent}% slower than the baseline (differences under ${c.noiseSeconds} s ignored)`,
    );
  }
  return out.join('\n') + '\n';
}
