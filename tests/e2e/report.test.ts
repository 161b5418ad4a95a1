import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { main } from '../../src/cli/main.js';
import { memoryIO } from '../../src/cli/io.js';

const CHROMIUM = '/usr/bin/chromium';
// In CI (CI=true, where .ci/run installs Debian's chromium and poppler-utils) a missing tool fails
// the tests, never skips them.
const haveChromium = existsSync(CHROMIUM) || Boolean(process.env.CI);
const havePoppler = (existsSync('/usr/bin/pdftotext') && existsSync('/usr/bin/pdftoppm')) || Boolean(process.env.CI);
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

  it.skipIf(!havePoppler)(
    'prints on A4 with nothing cut off: every word inside the page, the reproducibility section and the full input hash on paper',
    async () => {
      const ex = join(dir, 'example');
      if (!existsSync(join(ex, 'report', 'report.html'))) {
        expect((await run(['init', ex])).code).toBe(0);
        expect((await run(['run', join(ex, 'study.yaml')])).code).toBe(0);
      }
      // A variant with long unbroken text where layouts overflow: the title, an outcome label, a subgroup label.
      const long = readFileSync(join(ex, 'study.yaml'), 'utf8')
        .replace(/title: .*/, `title: "${'Valutazione'.repeat(30)}"`)
        .replace(/label: employed 24 months after course end.*/, `label: "${'occupati_a_24_mesi_'.repeat(12)}"`)
        .replace('label: course sector', `label: "${'settore'.repeat(25)}"`)
        .replace('output: report', 'output: report-long');
      writeFileSync(join(ex, 'long.yaml'), long);
      expect((await run(['run', join(ex, 'long.yaml')])).code).toBe(0);
      mkdirSync(outDir, { recursive: true });
      for (const [name, folder] of [
        ['example', 'report'],
        ['long', 'report-long'],
      ] as const) {
        const page = await browser.newPage();
        await page.goto(pathToFileURL(join(ex, folder, 'report.html')).href);
        const pdf = join(outDir, `report-${name}.pdf`);
        await page.pdf({ path: pdf, format: 'A4' });
        await page.close();
        // Page size and every word's box (pdftotext -bbox): nothing beyond the right or bottom edge.
        const bbox = execFileSync('pdftotext', ['-bbox', pdf, '-'], { encoding: 'utf8', maxBuffer: 64 << 20 });
        const pages = [...bbox.matchAll(/<page width="([\d.]+)" height="([\d.]+)">/g)].map((m) => [Number(m[1]), Number(m[2])]);
        expect(pages.length, name).toBeGreaterThan(2);
        for (const [w, h] of pages) {
          expect(w).toBeCloseTo(595.92, 0); // A4 in points (Chromium's rounding)
          expect(h).toBeCloseTo(842.88, 0);
        }
        const words = [...bbox.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g)];
        expect(words.length).toBeGreaterThan(200);
        const outside = words.filter((m) => Number(m[1]) < 0 || Number(m[3]) > 595.92 || Number(m[4]) > 842.88).map((m) => m[5]);
        expect(outside, `${name}: words beyond the page`).toEqual([]);
        // The reproducibility section is on paper, with the whole hash of the input and the last setting.
        const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8', maxBuffer: 64 << 20 });
        expect(text).toContain('Settings and reproducibility');
        const results = JSON.parse(readFileSync(join(ex, folder, 'results.json'), 'utf8'));
        const flat = text.replace(/\s+/g, '');
        for (const i of results.inputs) expect(flat, `${name}: sha256 of ${i.role}`).toContain(i.sha256);
        expect(flat).toContain('setting:writeMatches');
        // A picture of the page that holds the reproducibility section (test-output/ is gitignored).
        const pageNo = text.split('\f').findIndex((p) => p.includes('Settings and reproducibility')) + 1;
        execFileSync('pdftoppm', ['-png', '-r', '70', '-f', String(pageNo), '-l', String(pageNo), '-singlefile', pdf, join(outDir, `report-${name}-settings`)]);
        expect(existsSync(join(outDir, `report-${name}-settings.png`))).toBe(true);
      }
    },
    90_000,
  );

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
