/**
 * Work-history benchmark (issue 14): the preparation step on `counterfact synth --rows N
 * --spells K` output, through DuckDB over the Parquet spells and (when it fits) in memory.
 *   npm run bench:history -- [--rows 10000000] [--spells 5] [--dir DIR] [--engines duckdb,memory]
 *                           [--memory-limit 6GB] [--out bench/results-history.json]
 * Each engine runs in its own child process, so its peak RSS (getrusage maxrss, which covers
 * DuckDB's native memory too) is its own. Equality of the engines is checked on the first
 * 200,000 people when both ran. Not part of the default tests: it is long.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    spells: { type: 'string', default: '5' },
    dir: { type: 'string', default: 'scratch/bench-history' },
    engines: { type: 'string', default: 'duckdb,memory' },
    'memory-limit': { type: 'string', default: '6GB' },
    out: { type: 'string', default: 'bench/results-history.json' },
    step: { type: 'string' },
    threads: { type: 'string' },
  },
});

const dir = values.dir!;
const register = join(dir, `register-${values.rows}x${values.spells}.parquet`);
const spellsFile = register.replace(/\.parquet$/, '.spells.parquet');
const COLUMNS = { id: 'id', start: 'start', end: 'end', type: 'type', sector: 'sector', qualification: 'qualification' };
const CHECK = 200_000;

/** yyyymmdd numbers → days since 1970-01-01. */
function compactToDays(v: Float64Array): Float64Array {
  return Float64Array.from(v, (x) => (Number.isFinite(x) ? Date.UTC(Math.floor(x / 10000), (Math.floor(x / 100) % 100) - 1, x % 100) / 86_400_000 : NaN));
}

/** The people's id, reference and DID dates, read with DuckDB (three columns of the register). */
async function readPeople(): Promise<{ ids: Float64Array; ref: Float64Array; did: Float64Array }> {
  const duck = await import('@duckdb/node-api');
  const inst = await duck.DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  const n = Number(values.rows);
  const ids = new Float64Array(n);
  const ref = new Float64Array(n);
  const did = new Float64Array(n);
  const result = await con.stream(`SELECT id, reference_date, did_date FROM read_parquet('${register}')`);
  let i = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const [a, b, c] = [0, 1, 2].map((k) => chunk.getColumnVector(k));
    for (let r = 0; r < chunk.rowCount; r++, i++) {
      ids[i] = a!.getItem(r) as number;
      ref[i] = (b!.getItem(r) as number | null) ?? NaN;
      did[i] = (c!.getItem(r) as number | null) ?? NaN;
    }
  }
  con.closeSync();
  inst.closeSync();
  return { ids: ids.subarray(0, i), ref: compactToDays(ref.subarray(0, i)), did: compactToDays(did.subarray(0, i)) };
}

/** Digest of the first CHECK people's columns, for the equality check across processes. */
function sample(cols: Record<string, { kind: string; values?: Float64Array; codes?: Int32Array; levels?: readonly string[] }>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(cols).map(([k, c]) => [
      k,
      c.kind === 'numeric'
        ? Array.from(c.values!.subarray(0, CHECK), (x) => (Number.isNaN(x) ? null : x))
        : { levels: c.levels, codes: Array.from(c.codes!.subarray(0, CHECK)) },
    ]),
  );
}

async function step(engine: string): Promise<void> {
  const t = () => performance.now() / 1000;
  let t0 = t();
  const people = await readPeople();
  const readPeopleS = t() - t0;
  const horizons = [6, 12, 18, 24];
  const timings: Record<string, number> = { readPeople: readPeopleS };
  let history: Record<string, never>;
  if (engine === 'duckdb') {
    const { workHistoryDuckDB, statusAtDuckDB } = await import('../src/history/duckdb.js');
    const opts = { columns: COLUMNS, memoryLimit: values['memory-limit'], ...(values.threads ? { threads: Number(values.threads) } : {}) };
    t0 = t();
    history = (await workHistoryDuckDB(spellsFile, { ids: people.ids, referenceDays: people.ref, didDays: people.did }, opts)) as never;
    timings.workHistory = t() - t0;
    t0 = t();
    await statusAtDuckDB(spellsFile, { ids: people.ids, referenceDays: people.ref }, horizons, opts);
    timings.statusAt = t() - t0;
  } else {
    const { readTableFile } = await import('../src/io/readTable.js');
    const { prepareSpells, statusAt } = await import('../src/outcomes/index.js');
    const { workHistory } = await import('../src/history/index.js');
    t0 = t();
    const { table } = await readTableFile(spellsFile);
    timings.readSpells = t() - t0;
    t0 = t();
    const spells = prepareSpells(table, COLUMNS, people.ids);
    timings.prepareSpells = t() - t0;
    t0 = t();
    history = workHistory(spells, people.ref, { didDays: people.did }) as never;
    timings.workHistory = t() - t0;
    t0 = t();
    statusAt(spells, people.ref, horizons);
    timings.statusAt = t() - t0;
  }
  const total = Object.values(timings).reduce((a, b) => a + b, 0);
  const out = { engine, timings, totalSeconds: total, peakRssGB: process.resourceUsage().maxRSS / 1024 / 1024, sample: sample(history) };
  writeFileSync(join(dir, `step-${engine}.json`), JSON.stringify(out));
}

async function main(): Promise<void> {
  if (values.step) return step(values.step);
  mkdirSync(dir, { recursive: true });
  const results: Record<string, unknown> = {
    rows: Number(values.rows),
    spellsPerPerson: Number(values.spells),
    spells: Number(values.rows) * Number(values.spells),
    machine: { cpus: (await import('node:os')).cpus().length, memoryGB: Math.round((await import('node:os')).totalmem() / 2 ** 30) },
    memoryLimit: values['memory-limit'],
  };
  if (!existsSync(spellsFile)) {
    const t0 = performance.now();
    const r = spawnSync(
      '/usr/bin/time',
      ['-f', '%M', 'npx', 'tsx', 'src/cli/main.ts', 'synth', '--rows', values.rows!, '--spells', values.spells!, '--covariates', '5', '--out', register],
      {
        encoding: 'utf8',
        env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=16000' },
      },
    );
    if (r.status !== 0) throw new Error(`synth failed: ${r.stderr}`);
    const kb = Number(r.stderr.trim().split('\n').pop());
    results.synth = { seconds: (performance.now() - t0) / 1000, peakRssGB: kb / 1024 / 1024 };
    console.error(`synth: ${(results.synth as { seconds: number }).seconds.toFixed(0)} s`);
  }
  results.files = Object.fromEntries(
    [register, spellsFile].map((f) => [f, Number(execFileSync('stat', ['-c', '%s', f], { encoding: 'utf8' }).trim()) / 2 ** 20]),
  );
  const samples: Record<string, unknown> = {};
  for (const engine of values.engines!.split(',')) {
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/history.ts',
        '--step',
        engine,
        '--rows',
        values.rows!,
        '--spells',
        values.spells!,
        '--dir',
        dir,
        '--memory-limit',
        values['memory-limit']!,
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=12000' },
        stdio: ['ignore', 'inherit', 'pipe'],
      },
    );
    const wall = (performance.now() - t0) / 1000;
    if (r.status !== 0) {
      results[engine] = { failed: true, wallSeconds: wall, status: r.status, signal: r.signal, stderr: r.stderr.slice(-2000) };
      console.error(`${engine}: failed (${r.signal ?? r.status})`);
      continue;
    }
    const { sample: s, ...rest } = JSON.parse((await import('node:fs')).readFileSync(join(dir, `step-${engine}.json`), 'utf8'));
    samples[engine] = s;
    results[engine] = { ...rest, wallSeconds: wall };
    console.error(`${engine}: ${JSON.stringify(results[engine])}`);
  }
  if (samples.duckdb && samples.memory) {
    results.equalOnFirstPeople = { people: CHECK, equal: JSON.stringify(samples.duckdb) === JSON.stringify(samples.memory) };
  }
  writeFileSync(values.out!, `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify(results, null, 2));
}

await main();
