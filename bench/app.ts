/**
 * `npm run bench:app`: a synthetic register of 200,000 rows (default) evaluated end to end in a
 * browser tab — the app built afresh, served by `counterfact app`'s server, driven in Debian's
 * Chromium with playwright-core exactly as an analyst uses it (open the study file and the data
 * file, press Run) — and, for comparison, the same study through `counterfact run` in Node.
 *
 *   tsx bench/app.ts [--rows 200000] [--out bench/results-app.json]
 *
 * Times (wall, seconds): `open` = choosing the data file until its columns are listed (the file
 * read and parsed in the worker); `run` = pressing Run until the report is on the page (the
 * worker re-reads nothing: the parsed table is kept); `worker` = the worker's own time for the
 * run (reading options checked, propensity model, matching, balance, effect, report).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { build } from 'tsup';
import { APP_BUILD } from '../tsup.config.js';
import { startAppServer } from '../src/cli/app.js';
import { memoryIO } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '200000' }, out: { type: 'string', default: 'bench/results-app.json' } },
});
const rows = Number(values.rows);
const dir = mkdtempSync(join(tmpdir(), 'counterfact-bench-app-'));
const cli = async (args: string[]) => {
  const io = memoryIO();
  const code = await main(args, io);
  if (code !== 0) throw new Error(`counterfact ${args[0]} failed: ${io.stderr}`);
  return io;
};

const data = join(dir, 'register.csv');
await cli(['synth', '--rows', String(rows), '--out', data, '--covariates', '17', '--treated-share', String(1 / 11)]);
const covariates = ['age', 'female', 'foreign', 'education', 'province', 'months_unemployed', 'inoccupato', 'prior_training', 'months_employed_18'];
for (let k = 1; k <= 8; k++) covariates.push(`x${k}`);
const study = {
  title: `bench: ${rows} rows in a browser tab`,
  data: { persons: 'register.csv' },
  id: 'id',
  treatment: 'treat',
  covariates,
  se: 'ai',
  outcomes: [{ type: 'binary', column: 'outcome' }],
  output: 'out',
};
const studyPath = join(dir, 'study.json');
writeFileSync(studyPath, JSON.stringify(study, null, 2));

const built = join(dir, 'built');
await build({ ...APP_BUILD, outDir: built, silent: true, config: false });
const app = await startAppServer({ dir: join(built, 'app') });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const load = loadavg()[0]!;
await page.goto(app.url);
await page.setInputFiles('#file-study', studyPath);
let t = performance.now();
await page.setInputFiles('#file-data', data);
await page.waitForFunction(() => /rows, \d+ columns/.test(document.querySelector('#data-status')?.textContent ?? ''), null, { timeout: 600_000 });
const open = (performance.now() - t) / 1000;
t = performance.now();
await page.click('#run-button');
await page.waitForFunction(
  () => /^done in/.test(document.querySelector('#run-status')?.textContent ?? '') || !!document.querySelector('#errors')?.textContent,
  null,
  {
    timeout: 600_000,
  },
);
const run = (performance.now() - t) / 1000;
const errors = await page.textContent('#errors');
if (errors) throw new Error(`the run failed in the tab: ${errors}`);
const worker = Number(/done in ([\d.]+) s/.exec((await page.textContent('#run-status')) ?? '')?.[1]);
const version = browser.version();
await browser.close();
await app.close();

t = performance.now();
await cli(['run', studyPath, '--out', join(dir, 'out')]);
const node = (performance.now() - t) / 1000;

const result = {
  rows,
  chromium: version,
  node: process.version,
  cpus: cpus().length,
  loadAverageAtStart: Number(load.toFixed(2)),
  seconds: {
    open: Number(open.toFixed(2)),
    run: Number(run.toFixed(2)),
    worker: worker,
    tabTotal: Number((open + run).toFixed(2)),
    counterfactRunInNode: Number(node.toFixed(2)),
  },
};
writeFileSync(values.out!, JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));
