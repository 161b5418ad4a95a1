/**
 * The browser app (issue 15) in Debian's Chromium, driven by playwright-core: built afresh from
 * src/app with the project's own build settings, served by `counterfact app`'s server, used as
 * an analyst would. The run's results.json must be byte-identical to what `counterfact run`
 * writes for the downloaded study file, and its numbers equal to `counterfact estimate --json`
 * on the same file and options. Every network request is recorded: any request that is not one
 * of the app's own files fails the test.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_BUILD } from '../../tsup.config.js';
import { type AppServer, startAppServer } from '../../src/cli/app.js';
import { memoryIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';

const CHROMIUM = '/usr/bin/chromium';
// In CI (CI=true, where .ci/run installs Debian's chromium) a missing browser fails the test, never skips it.
const haveChromium = existsSync(CHROMIUM) || Boolean(process.env.CI);
const outDir = join(__dirname, '..', '..', 'test-output');
const dir = mkdtempSync(join(tmpdir(), 'counterfact-app-'));
const ex = join(dir, 'example');

async function cli(args: string[]) {
  const io = memoryIO();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

/** A page whose every request, console error and page error is recorded. */
async function openApp(context: BrowserContext, app: AppServer) {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(app.url);
  await page.waitForSelector('#file-data');
  return { page, errors };
}

async function waitColumns(page: Page, spells = false) {
  await page.waitForFunction(
    (s) => {
      const t = document.querySelector('#data-status')?.textContent ?? '';
      return /rows, \d+ columns/.test(t) && (!s || / spells$/.test(t));
    },
    spells,
    { timeout: 20_000 },
  );
}

async function runAndWait(page: Page) {
  await page.waitForFunction(
    () => /^done in/.test(document.querySelector('#run-status')?.textContent ?? '') || (document.querySelector('#errors')?.textContent ?? '') !== '',
    null,
    {
      timeout: 30_000,
    },
  );
  expect(await page.textContent('#errors')).toBe('');
}

/**
 * Equal as results: the same keys, strings, booleans and counts, and every other number within
 * 1e-12 relative. Not byte-equal on purpose: the browser's JavaScript engine is not Node's, and
 * V8 releases differ in the last bit of Math.exp, Math.log and Math.pow (Chromium 156 against
 * Node 20's V8 11.3: about 1 call in 10), so the same pipeline gives the same numbers to about
 * 1e-15, not to the bit. Returns the largest relative difference seen.
 */
function expectSameNumbers(a: unknown, b: unknown, path = '$'): number {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isInteger(a) && Number.isInteger(b) && Math.abs(a) < 1e6) expect(a, path).toBe(b);
    const rel = a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
    expect(rel, `${path}: ${a} vs ${b}`).toBeLessThan(1e-12);
    return rel;
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    expect(a, path).toEqual(b);
    return 0;
  }
  expect(Array.isArray(a), path).toBe(Array.isArray(b));
  expect(Object.keys(a), path).toEqual(Object.keys(b));
  let worst = 0;
  for (const k of Object.keys(a))
    worst = Math.max(worst, expectSameNumbers((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`));
  return worst;
}

async function downloadText(page: Page, id: string): Promise<string> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(id)]);
  return readFileSync((await dl.path())!, 'utf8');
}

describe.skipIf(!haveChromium)('the browser app in headless Chromium', () => {
  let browser: Browser;
  let context: BrowserContext;
  let app: AppServer;
  const requests: string[] = [];

  beforeAll(async () => {
    const built = join(dir, 'built');
    await build({ ...APP_BUILD, outDir: built, silent: true, config: false });
    app = await startAppServer({ dir: join(built, 'app') });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    context.on('request', (r) => requests.push(r.url()));
    expect((await cli(['init', ex])).code).toBe(0);
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    // Privacy: nothing but the app's own files was ever requested (blob: downloads are local).
    const foreign = requests.filter((u) => !u.startsWith(app.url) && !u.startsWith('blob:') && !u.startsWith('data:'));
    expect(foreign).toEqual([]);
  });

  it('runs the bundled example: results.json is what `counterfact run` writes for the downloaded study, numbers equal `estimate --json`; no foreign request', async () => {
    const before = requests.length;
    const { page, errors } = await openApp(context, app);
    await page.setInputFiles('#file-study', join(ex, 'study.yaml'));
    await page.setInputFiles('#file-data', join(ex, 'people.csv'));
    await page.setInputFiles('#file-spells', join(ex, 'spells.csv'));
    await waitColumns(page, true);
    // The column list: detected types and missing counts.
    const rows = await page.$$eval('table.cols tbody tr', (trs) =>
      trs.map((tr) =>
        Array.from(tr.children)
          .slice(0, 3)
          .map((c) => c.textContent),
      ),
    );
    expect(rows).toContainEqual(['treat', '0/1', '0']);
    expect(rows).toContainEqual(['education', 'text', '0']);
    expect(rows).toContainEqual(['reference_date', 'date', '2,950']);
    await page.click('#run-button');
    await runAndWait(page);
    await page.frameLocator('#report').locator('#summary').waitFor();
    for (const id of ['overlap-before', 'overlap-after', 'love', 'curve'])
      expect(await page.frameLocator('#report').locator(`[data-chart="${id}"] svg`).count(), id).toBe(1);
    const resultsJson = await downloadText(page, '#dl-results-json');
    const studyText = await downloadText(page, '#dl-study-yaml');
    const report = await downloadText(page, '#dl-report-html');
    expect(report).toContain('<section id="summary">');

    // `counterfact run` on the downloaded study, next to the same files: the same bytes.
    const rerun = join(dir, 'rerun');
    mkdirSync(rerun, { recursive: true });
    for (const f of ['people.csv', 'spells.csv']) copyFileSync(join(ex, f), join(rerun, f));
    writeFileSync(join(rerun, 'study.yaml'), studyText);
    const r = await cli(['run', join(rerun, 'study.yaml'), '--out', join(rerun, 'out')]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const worstRun = expectSameNumbers(JSON.parse(resultsJson), JSON.parse(readFileSync(join(rerun, 'out', 'results.json'), 'utf8')));
    expect(worstRun).toBeLessThan(1e-12);

    // `counterfact estimate --json` with the same file and options: the same numbers.
    const e = await cli([
      'estimate',
      ...['--data', join(ex, 'people.csv'), '--treatment', 'treat', '--id', 'id'],
      ...['--covariates', 'female,age,foreign,education,province,months_unemployed,inoccupato,prior_training,months_employed_18'],
      ...['--spells', join(ex, 'spells.csv'), '--reference-date', 'reference_date', '--horizons', '6,12,18,24'],
      ...['--ratio', '5', '--replace', '--order', 'largest', '--se', 'ai', '--json'],
    ]);
    expect(e.stderr).not.toMatch(/internal error/);
    expect(e.code).toBe(0);
    const est = JSON.parse(e.stdout);
    const res = JSON.parse(resultsJson);
    const curve = res.outcomes[0].curve;
    expect(curve.map((p: { horizon: number }) => p.horizon)).toEqual([6, 12, 18, 24]);
    expectSameNumbers(
      curve.map((p: Record<string, number>) => [p.estimate, p.se, p.ciLower, p.ciUpper, p.meanTreated, p.meanControl]),
      est.curve.map((p: Record<string, number>) => [p.estimate, p.se, p.ciLower, p.ciUpper, p.meanTreated, p.meanControl]),
    );
    expectSameNumbers([res.outcomes[0].effect.estimate, res.outcomes[0].effect.se], [est.estimate, est.se]);
    for (const k of ['treated', 'controls', 'matchedTreated', 'matchedControls'] as const) expect(res.counts[k], k).toBe(est.counts[k]);
    expectSameNumbers(
      res.balance.rows.map((b: Record<string, number>) => [b.covariate, b.smdBefore, b.smdAfter, b.varianceRatioAfter, b.ecdfMaxAfter]),
      est.balance.map((b: Record<string, number>) => [b.covariate, b.smdBefore, b.smdAfter, b.varianceRatioAfter, b.ecdfMaxAfter]),
    );
    expectSameNumbers(
      res.propensity.coefficients.map((c: Record<string, number>) => [c.name, c.estimate, c.se]),
      est.propensity.coefficients.map((c: Record<string, number>) => [c.name, c.estimate, c.se]),
    );

    mkdirSync(outDir, { recursive: true });
    await page.locator('#results').scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(outDir, 'app.png') });
    expect(errors).toEqual([]);
    // This run's own requests: the page, its styles, its two scripts — nothing else.
    const mine = requests.slice(before).filter((u) => !u.startsWith('blob:'));
    expect(new Set(mine.map((u) => new URL(u).pathname))).toEqual(new Set(['/', '/app.css', '/app.js', '/worker.js']));
    await page.close();
  }, 90_000);

  it('hostile column names show as text everywhere; a kernel match picked from the generated options equals `estimate --method kernel --json`', async () => {
    const names = {
      x1: '<img src=x onerror="document.title=1">',
      x2: '__proto__',
      y: '</script><b>y</b>',
      g: 'r\u202Egnal\u2066x',
    };
    let s = 7;
    const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
    const q = (n: string) => `"${n.replace(/"/g, '""')}"`;
    const lines = [['id', 'treat', names.x1, names.x2, names.g, names.y].map(q).join(',')];
    for (let i = 0; i < 400; i++) {
      const a = rnd() * 2 - 1;
      const b = rnd() * 2 - 1;
      const t = rnd() < 1 / (1 + Math.exp(-(a + 0.5 * b - 0.8))) ? 1 : 0;
      const y = (2 * a + b + (t ? 1 : 0) + rnd()).toFixed(4);
      lines.push([i + 1, t, a.toFixed(4), b.toFixed(4), i % 3 === 0 ? 'u' : 'v', y].join(','));
    }
    const data = join(dir, 'hostile.csv');
    writeFileSync(data, lines.join('\n') + '\n');
    const { page, errors } = await openApp(context, app);
    await page.setInputFiles('#file-data', data);
    await waitColumns(page);
    expect(await page.$$eval('table.cols tbody th', (ths) => ths.map((t) => t.textContent))).toEqual(['id', 'treat', names.x1, names.x2, names.g, names.y]);
    expect(await page.locator('img').count()).toBe(0);
    for (const n of [names.x1, names.x2, names.g]) await page.getByLabel(`covariate: ${n}`, { exact: true }).check();
    await page.selectOption('#f-id', 'id');
    await page.selectOption('#f-treatment', 'treat');
    await page.selectOption('#f-outcome', names.y);
    await page.selectOption('#f-method', 'kernel');
    await page.fill('#opt-bandwidth', '0.1');
    await page.fill('#f-min-cell', '1');
    await page.click('#run-button');
    await runAndWait(page);
    const frame = page.frameLocator('#report');
    await frame.locator('#summary').waitFor();
    expect(await frame.locator('img').count()).toBe(0);
    expect(await frame.locator('b', { hasText: 'y' }).count()).toBe(0);
    expect(await frame.locator('body').textContent()).toContain(names.y);
    expect(await page.title()).not.toBe('1');
    const res = JSON.parse(await downloadText(page, '#dl-results-json'));
    const e = await cli([
      'estimate',
      ...['--data', data, '--treatment', 'treat', '--id', 'id', '--outcome', names.y, '--covariates', [names.x1, names.x2, names.g].join(',')],
      ...['--method', 'kernel', '--bandwidth', '0.1', '--json'],
    ]);
    expect(e.stderr).not.toMatch(/internal error/);
    expect(e.code).toBe(0);
    const est = JSON.parse(e.stdout);
    const eff = res.outcomes[0].effect;
    expectSameNumbers(
      [eff.estimate, eff.se, eff.ciLower, eff.ciUpper, eff.pValue, eff.meanTreated, eff.meanControl],
      [est.estimate, est.se, est.ciLower, est.ciUpper, est.pValue, est.meanTreated, est.meanControl],
    );
    expect(res.balance.rows.map((b: { covariate: string }) => b.covariate)).toEqual(est.balance.map((b: { covariate: string }) => b.covariate));
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('opens Parquet and Arrow through the library reader: the same columns as the CSV, and the same results as `counterfact run`', async () => {
    const reg = join(dir, 'register');
    mkdirSync(reg, { recursive: true });
    for (const ext of ['csv', 'parquet', 'arrow'])
      expect((await cli(['synth', '--rows', '3000', '--covariates', '6', '--out', join(reg, `r.${ext}`)])).code).toBe(0);
    const { page, errors } = await openApp(context, app);
    const lists: Record<string, unknown> = {};
    for (const ext of ['csv', 'parquet', 'arrow']) {
      await page.setInputFiles('#file-data', join(reg, `r.${ext}`));
      await page.waitForFunction((n) => (document.querySelector('#data-status')?.textContent ?? '').startsWith(`${n}: 3,000 rows`), `r.${ext}`);
      lists[ext] = await page.$$eval('table.cols tbody tr', (trs) =>
        trs.map((tr) =>
          Array.from(tr.children)
            .slice(0, 4)
            .map((c) => c.textContent),
        ),
      );
    }
    expect(lists.parquet).toEqual(lists.csv);
    expect(lists.arrow).toEqual(lists.csv);
    const study = {
      data: { persons: 'r.parquet' },
      id: 'id',
      treatment: 'treat',
      covariates: ['age', 'female', 'education', 'months_unemployed', 'province'],
      outcomes: [{ type: 'binary', column: 'outcome' }],
      matching: { method: 'nearest', ratio: 2 },
    };
    writeFileSync(join(reg, 'study.json'), JSON.stringify(study));
    await page.setInputFiles('#file-study', join(reg, 'study.json'));
    await page.setInputFiles('#file-data', join(reg, 'r.parquet'));
    await page.waitForFunction(() => /r\.parquet: 3,000 rows/.test(document.querySelector('#data-status')?.textContent ?? ''));
    await page.click('#run-button');
    await runAndWait(page);
    const res = JSON.parse(await downloadText(page, '#dl-results-json'));
    expect((await cli(['run', join(reg, 'study.json'), '--out', join(reg, 'out')])).code).toBe(0);
    expectSameNumbers(res, JSON.parse(readFileSync(join(reg, 'out', 'results.json'), 'utf8')));
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('works from the keyboard alone: files chosen, every control reached with Tab, run with Enter; Cancel stops a run', async () => {
    const { page, errors } = await openApp(context, app);
    // Playwright turns on file-chooser interception when the first 'filechooser' listener is
    // added; do it (and let a round trip pass) before any key press, so a loaded machine cannot
    // deliver the key before interception is on (the chooser would then open natively, unseen).
    page.on('filechooser', () => {});
    await page.evaluate(() => 0);
    const choose = async (id: string, file: string) => {
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe(id);
      const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Space')]);
      await chooser.setFiles(file);
    };
    await choose('file-data', join(ex, 'people.csv'));
    await choose('file-spells', join(ex, 'spells.csv'));
    await choose('file-study', join(ex, 'study.yaml'));
    await waitColumns(page, true);
    await page.evaluate(() => document.addEventListener('focusin', (e) => (e.target as HTMLElement).setAttribute('data-seen', '')));
    for (let k = 0; k < 300; k++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(() => document.activeElement?.id === 'run-button')) break;
    }
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('run-button');
    // Every enabled, visible control before the run button was reached (radios: one per group).
    const missed = await page.evaluate(() => {
      const run = document.getElementById('run-button')!;
      const all = Array.from(document.querySelectorAll<HTMLInputElement>('input, select, button, textarea, a[href]')).filter(
        (e) => !e.disabled && e.offsetParent !== null && run.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_PRECEDING && !/^file-/.test(e.id),
      );
      const radioSeen = new Set(all.filter((e) => e.type === 'radio' && e.hasAttribute('data-seen')).map((e) => e.name));
      return all.filter((e) => !e.hasAttribute('data-seen') && !(e.type === 'radio' && radioSeen.has(e.name))).map((e) => e.id || e.outerHTML.slice(0, 80));
    });
    expect(missed).toEqual([]);
    await page.keyboard.press('Enter');
    await runAndWait(page);

    // Cancel: the worker is stopped mid-run; the files are read again and a new run completes.
    await page.evaluate(() => {
      (document.getElementById('run-button') as HTMLButtonElement).click();
      (document.getElementById('cancel-button') as HTMLButtonElement).click();
    });
    expect(await page.textContent('#run-status')).toBe('cancelled');
    expect(await page.isDisabled('#cancel-button')).toBe(true);
    await waitColumns(page, true);
    await page.focus('#run-button');
    await page.keyboard.press('Enter');
    await runAndWait(page);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
