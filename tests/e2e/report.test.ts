import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { main } from '../../src/cli/main.js';
import { memoryIO } from '../../src/cli/io.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const outDir = join(__dirname, '..', '..', 'test-output');
const dir = mkdtempSync(join(tmpdir(), 'counterfact-e2e-'));

async function run(args: string[]) {
  const io = memoryIO();
  const code = await main(args, io);
  return { code, ...io };
}

describe.skipIf(!haveChromium)('report.html in headless Chromium (Debian chromium + playwright-core)', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);
  afterAll(async () => browser?.close());

  it('the example study renders every plot with data marks, logs no errors, and gets a screenshot', async () => {
    expect((await run(['init', join(dir, 'example')])).code).toBe(0);
    const r = await run(['run', join(dir, 'example', 'study.yaml')]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('requestfailed', (q) => errors.push(`request ${q.url()}`));
    await page.goto(pathToFileURL(join(dir, 'example', 'report', 'report.html')).href);
    const charts = await page.$$eval('figure.chart', (figs) =>
      figs.map((f) => ({
        id: f.getAttribute('data-chart'),
        svg: !!f.querySelector('svg'),
        marks: f.querySelectorAll('svg .mark-rect path, svg .mark-symbol path, svg .mark-line path, svg .mark-area path, svg .mark-rule line').length,
      })),
    );
    const ids = charts.map((c) => c.id);
    for (const id of ['overlap-before', 'overlap-after', 'love', 'curve', 'levels']) expect(ids).toContain(id);
    expect(ids.some((x) => x?.startsWith('forest-'))).toBe(true);
    for (const c of charts) {
      expect(c.svg, c.id!).toBe(true);
      expect(c.marks, c.id!).toBeGreaterThan(0);
    }
    expect(await page.textContent('#summary')).toMatch(/percentage points/);
    mkdirSync(outDir, { recursive: true });
    await page.screenshot({ path: join(outDir, 'report.png'), fullPage: false });
    expect(errors).toEqual([]);
  }, 60_000);

  it('a hostile column name is shown as text and runs no script', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    const ex = join(dir, 'example');
    const lines = readFileSync(join(ex, 'people.csv'), 'utf8').split('\n');
    lines[0] = lines[0]!.replace('prior_training', `"${evil}"`);
    writeFileSync(join(ex, 'people-evil.csv'), lines.join('\n'));
    const study = readFileSync(join(ex, 'study.yaml'), 'utf8')
      .replace('persons: people.csv', 'persons: people-evil.csv')
      .replace('prior_training,', `"${evil}",`)
      .replace('output: report', 'output: report-evil')
      .replace(/title: .*/, `title: "<script>alert(2)</script> study"`);
    writeFileSync(join(ex, 'evil.yaml'), study);
    const r = await run(['run', join(ex, 'evil.yaml')]);
    expect(r.code).toBe(0);
    const html = readFileSync(join(ex, 'report-evil', 'report.html'), 'utf8');
    expect(html).not.toContain(evil);
    expect(html).not.toContain('<script>');
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', async (d) => {
      dialogs.push(d.message());
      await d.dismiss();
    });
    await page.goto(pathToFileURL(join(ex, 'report-evil', 'report.html')).href);
    await page.waitForTimeout(300);
    expect(dialogs).toEqual([]);
    expect(await page.$$('img')).toHaveLength(0);
    expect(await page.textContent('#balance')).toContain(evil);
    expect(await page.textContent('h1')).toContain('<script>alert(2)</script> study');
  }, 60_000);
});
