/**
 * Exact-strata nearest matching on worker threads (Node only). Strata never share controls, so
 * each worker matches a set of whole strata with the library's own `matchNearest`; the result
 * equals the single-thread `matchNearest(…, { exact })` for the deterministic orders.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { MatchResult, PropensityFit, UnmatchedUnit } from '../contracts.js';
import { columnLabels, getColumn, type Table } from '../data/table.js';
import { buildMatchResult } from '../matching/result.js';
import { matchNearest, type NearestOptions, type ScoreInput } from '../matching/nearest.js';
import { badArgument } from '../problems.js';

/** The module that exports matchNearest: the bundle next to this file, or the sources (tsx). */
function libraryUrl(): string {
  for (const rel of ['./index.js', '../index.ts', '../index.js']) {
    const u = new URL(rel, import.meta.url);
    if (existsSync(fileURLToPath(u))) return u.href;
  }
  throw new Error('parallel matching: cannot locate the counterfact module for the workers');
}

/** Sample variance (n − 1 divisor). */
function sampleVariance(d: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < d.length; i++) m += d[i]!;
  m /= d.length;
  let ss = 0;
  for (let i = 0; i < d.length; i++) ss += (d[i]! - m) ** 2;
  return ss / (d.length - 1);
}

/** tsx's ESM loader API, to run the TypeScript sources in a worker (tests, development). */
function tsxApi(): string {
  const req = createRequire(import.meta.url);
  // The ESM build (the CJS one registers differently).
  return pathToFileURL(req.resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs')).href;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ready = workerData.tsx ? import(workerData.tsx).then((api) => (api.register ?? api.default.register)()) : Promise.resolve();
ready.then(() => import(workerData.lib)).then((lib) => {
  parentPort.on('message', (m) => {
    const out = m.jobs.map((job) => {
      const r = lib.matchNearest({ scores: job.scores, treatment: job.treatment, linearPredictor: job.lp ?? undefined }, m.options);
      return { rows: job.rows, treated: r.pairs.treated, control: r.pairs.control, weight: r.pairs.weight, unmatched: r.unmatchedTreated };
    });
    parentPort.postMessage(out);
  });
  parentPort.postMessage('ready');
});
`;

/**
 * `matchNearest` with `exact` strata spread over worker threads. Options as `matchNearest`,
 * except: order 'random' (its single random order spans strata) and discard ≠ 'none' are not
 * supported here — use `matchNearest`. The caliper width is computed over all units first, as
 * the serial matcher does. Cost: O(n log n) split over the workers, plus copying each stratum.
 * @throws CounterfactError for unsupported options or a missing `exact`/`data`.
 */
export async function matchNearestParallel(input: PropensityFit | ScoreInput, options: NearestOptions & { workers?: number }): Promise<MatchResult> {
  if (!options.exact?.length || !options.data) badArgument('exact', 'parallel matching runs exact strata in parallel: give `exact` columns and `data`');
  if (options.order === 'random') badArgument('order', "order 'random' draws one order across strata: use matchNearest");
  if (options.discard && options.discard !== 'none') badArgument('discard', 'common-support discarding spans strata: use matchNearest');
  const n = input.treatment.length;
  const data: Table = options.data;
  // The distance and the caliper as the serial matcher computes them (run it on no strata to
  // validate options and get the distance): cheap relative to matching.
  const probe = matchNearest({ scores: input.scores.subarray(0, 0), treatment: input.treatment.subarray(0, 0) } as ScoreInput, { ...options, exact: undefined, data: undefined, caliper: undefined });
  void probe;
  const lp = (input as PropensityFit).kind === 'PropensityFit' ? ((input as PropensityFit).link === 'logit' ? (input as PropensityFit).linearPredictor : null) : (input as ScoreInput).linearPredictor ?? null;
  const d = (options.distance ?? 'probability') === 'logit' ? (lp ?? input.scores.map((p) => Math.log(p / (1 - p)))) : input.scores;
  const variance = sampleVariance(d);
  // The caliper width and Matching's tie scale over all units, as the serial matcher does.
  let width: number | undefined;
  if (options.caliper !== undefined) width = (options.caliperScale ?? 'sd') === 'raw' ? options.caliper : options.caliper * Math.sqrt(variance);
  // Strata.
  const cols = options.exact.map((c) => columnLabels(getColumn(data, c, 'exact-matching')));
  const strata = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const key = cols.map((c) => c[i] ?? '\u0000NA').join('\u0001');
    let list = strata.get(key);
    if (!list) strata.set(key, (list = []));
    list.push(i);
  }
  const W = Math.max(1, Math.min(options.workers ?? availableParallelism(), strata.size));
  // Largest strata first onto the least-loaded worker.
  const groups = [...strata.values()].sort((a, b) => b.length - a.length);
  const load = new Array<number>(W).fill(0);
  const assign: number[][][] = Array.from({ length: W }, () => []);
  for (const g of groups) {
    const k = load.indexOf(Math.min(...load));
    assign[k]!.push(g);
    load[k]! += g.length;
  }
  const tieVariance = options.ties ? variance : undefined;
  const workerOptions = { ...options, exact: undefined, data: undefined, workers: undefined, caliper: width, caliperScale: 'raw' as const, tieVariance };
  const lib = libraryUrl();
  const results = await Promise.all(
    assign.map(
      (jobsRows) =>
        new Promise<{ rows: number[]; treated: Int32Array; control: Int32Array; weight: Float64Array; unmatched: UnmatchedUnit[] }[]>((resolve, reject) => {
          // From the sources (tests, tsx) the worker needs the TypeScript loader too.
          const wk = new Worker(WORKER_SOURCE, { eval: true, workerData: { lib, tsx: lib.endsWith('.ts') ? tsxApi() : null } });
          wk.on('error', reject);
          wk.on('message', (msg) => {
            if (msg === 'ready') {
              const jobs = jobsRows.map((rows) => ({
                rows,
                scores: Float64Array.from(rows, (i) => input.scores[i]!),
                treatment: Uint8Array.from(rows, (i) => input.treatment[i]!),
                lp: lp ? Float64Array.from(rows, (i) => lp[i]!) : null,
              }));
              wk.postMessage({ jobs, options: workerOptions });
            } else {
              void wk.terminate();
              resolve(msg);
            }
          });
        }),
    ),
  );
  const mt: number[] = [], mc: number[] = [], mw: number[] = [];
  const unmatched: UnmatchedUnit[] = [];
  const warnings = new Set<string>();
  for (const r of results.flat()) {
    for (let k = 0; k < r.treated.length; k++) {
      mt.push(r.rows[r.treated[k]!]!);
      mc.push(r.rows[r.control[k]!]!);
      mw.push(r.weight[k]!);
    }
    for (const u of r.unmatched) unmatched.push({ index: r.rows[u.index]!, reason: u.reason });
  }
  const exhausted = unmatched.filter((u) => u.reason === 'controls-exhausted').length;
  if (exhausted) warnings.add(`fewer controls than needed for matching without replacement: ${exhausted} treated unit(s) left unmatched (controls exhausted) — use replace: true (CLI --replace), a lower ratio, or more controls`);
  const caliperFails = unmatched.filter((u) => u.reason === 'no-control-within-caliper').length;
  if (caliperFails) warnings.add(`${caliperFails} treated unit(s) had no control within the caliper and were left unmatched: the estimand is the ATT of the matched treated`);
  const order = mt.map((_, k) => k).sort((a, b) => mt[a]! - mt[b]! || a - b);
  unmatched.sort((a, b) => a.index - b.index);
  return buildMatchResult({
    method: 'nearest-exact',
    treatment: input.treatment,
    distance: Float64Array.from(d),
    pairs: { treated: Int32Array.from(order, (k) => mt[k]!), control: Int32Array.from(order, (k) => mc[k]!), weight: Float64Array.from(order, (k) => mw[k]!) },
    discarded: new Uint8Array(n),
    unmatchedTreated: unmatched,
    settings: { method: 'nearest', ...workerOptions, caliper: options.caliper ?? null, caliperScale: options.caliperScale ?? 'sd', caliperWidth: width ?? null, exact: [...options.exact], workers: W, data: undefined },
    warnings: [...warnings],
  });
}
