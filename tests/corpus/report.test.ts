/**
 * Hostile-input corpus, area: the report and small-cell suppression (issue 13 parts 5 and 6).
 * Each case runs the CLI (`run` on a small study, or `estimate --min-cell-count`) and checks
 * the exit code and what comes out: results.json, the CSVs, report.html, stdout.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CorpusCase, type CorpusRun, estimateArgs, runCase } from './harness.js';

/** A deterministic small register: 40 treated, 160 controls; `far` treated units sit where no control is. */
function register(opts: { far?: number; effect?: number; n?: number; big?: boolean } = {}): string {
  const { far = 0, effect = 0.3, n = 200, big = false } = opts;
  let s = 12345;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const rows = ['id,t,x,g,y,time,event,cost'];
  for (let i = 0; i < n; i++) {
    const t = i < 40 ? 1 : 0;
    const x = t && i < far ? 8 + i : gauss() + (t ? 0.8 : 0);
    const g = i % 5 === 0 && t ? 'c' : i % 2 ? 'a' : 'b';
    const p = 0.3 + (t ? effect : 0) + 0.05 * x;
    const y = big ? Math.round(10000 + 2500 * x + (t ? 1500 : 0) + 3000 * gauss()) : rnd() < p ? 1 : 0;
    const time = 1 + Math.floor(rnd() * 36);
    rows.push(`${i + 1},${t},${x.toFixed(4)},${g},${y},${time},${rnd() < 0.4 ? 1 : 0},${t ? 1000 : ''}`);
  }
  return rows.join('\n') + '\n';
}

/** A study file (JSON is YAML) with the usual columns; `extra` overrides. */
function study(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    title: 'corpus study',
    data: { persons: 'people.csv', delimiter: ',', decimal: '.' },
    id: 'id',
    treatment: 't',
    covariates: ['x'],
    outcomes: [{ type: 'binary', column: 'y', label: 'employed' }],
    minCellCount: 10,
    output: 'out',
    ...extra,
  });
}

const runArgs = ['run', '{dir}/study.yaml'];
const results = (r: CorpusRun) => JSON.parse(readFileSync(join(r.dir, 'out', 'results.json'), 'utf8'));
const html = (r: CorpusRun) => readFileSync(join(r.dir, 'out', 'report.html'), 'utf8');
const csvOut = (r: CorpusRun, f: string) => readFileSync(join(r.dir, 'out', f), 'utf8');
/** The report's text without the inline SVG. */
const text = (h: string) =>
  h
    .replace(/<head>[\s\S]*?<\/head>/, '')
    .replace(/<svg[\s\S]*?<\/svg>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .replace(/ ([.,;:)])/g, '$1');
const SMALL = /^[1-9]$/;

/** No count from 1 to 9 anywhere in the results' counts, overlap bins or effect counts. */
function noSmallCounts(r: Record<string, any>): void {
  for (const [k, v] of Object.entries(r.counts)) if (typeof v === 'number') expect(String(v), `counts.${k}`).not.toMatch(SMALL);
  for (const v of Object.values(r.counts.unmatchedReasons)) expect(v === null || (v as number) >= 10 || v === 0).toBe(true);
  for (const b of r.overlap)
    for (const k of ['treatedBefore', 'controlBefore', 'treatedAfter', 'controlAfter'])
      expect(b[k] === null || b[k] === 0 || b[k] >= 10, `overlap ${k}`).toBe(true);
  for (const o of r.outcomes) for (const k of ['nTreated', 'nControls']) expect(o.effect[k] === null || o.effect[k] >= 10).toBe(true);
}

const people = (o?: Parameters<typeof register>[0]) => register(o);

const cases: CorpusCase[] = [
  // --- small-cell suppression through `run` ---
  {
    name: 'the issue case: minCellCount 10 with a caliper never prints the 5 unmatched treated, nor what gives them back',
    files: { 'people.csv': people({ far: 5 }), 'study.yaml': study({ matching: { caliper: 0.2 } }) },
    args: runArgs,
    code: 0,
    check: (r) => {
      const j = results(r);
      expect(j.counts.unmatchedTreated).toBeNull();
      expect(j.suppression.small).toContain('counts.unmatchedTreated');
      // treated − matched treated must not be computable.
      expect(j.counts.treated !== null && j.counts.matchedTreated !== null).toBe(false);
      expect(j.counts.treated !== null && j.outcomes[0].effect.nTreated !== null).toBe(false);
      noSmallCounts(j);
      expect(JSON.stringify(j)).not.toMatch(/"unmatchedTreated":\s*5/);
      expect(text(html(r))).not.toMatch(/unmatched treated: 5\b/);
      expect(text(html(r))).toMatch(/unmatched treated: &lt;10/);
    },
  },
  {
    name: 'warnings that count a few people are redacted in results.json and on stderr',
    files: { 'people.csv': people({ far: 5 }), 'study.yaml': study({ matching: { caliper: 0.2 } }) },
    args: runArgs,
    code: 0,
    err: /fewer than 10 treated unit\(s\) had no control within the caliper/,
    check: (r) => {
      expect(results(r).warnings.join(' ')).toMatch(/fewer than 10 treated unit\(s\)/);
      expect(r.stderr).not.toMatch(/\b5 treated unit/);
    },
  },
  {
    name: 'effects.csv carries no count from 1 to 9',
    files: { 'people.csv': people({ far: 5 }), 'study.yaml': study({ matching: { caliper: 0.2 }, subgroups: ['g'] }) },
    args: runArgs,
    code: 0,
    check: (r) => {
      const lines = csvOut(r, 'effects.csv').trim().split('\n');
      const head = lines[0]!.split(',');
      const nT = head.indexOf('n_treated');
      const nC = head.indexOf('n_controls');
      for (const l of lines.slice(1)) {
        const f = l.split(',');
        expect(f[nT]!, l).not.toMatch(SMALL);
        expect(f[nC]!, l).not.toMatch(SMALL);
      }
    },
  },
  {
    name: 'a subgroup table with one small level hides a second level too (complementary)',
    files: { 'people.csv': people(), 'study.yaml': study({ subgroups: [{ by: 'g', treatedOnly: true }], minCellCount: 9 }) },
    args: runArgs,
    code: 0,
    check: (r) => {
      const rows = results(r).subgroups[0].rows;
      const hidden = rows.filter((x: { suppressed: boolean }) => x.suppressed);
      expect(hidden.length === 0 || hidden.length >= 2).toBe(true);
      expect(hidden.length).toBeGreaterThanOrEqual(2);
      expect(results(r).suppression.complementary.some((p: string) => p.startsWith('subgroups.0.rows.'))).toBe(true);
    },
  },
  {
    name: 'a minimum larger than every group: everything small is hidden, the effect is not shown, exit 0',
    files: { 'people.csv': people(), 'study.yaml': study({ minCellCount: 1000 }) },
    args: runArgs,
    code: 0,
    check: (r) => {
      const j = results(r);
      expect(j.counts.treated).toBeNull();
      expect(j.outcomes[0].effect.estimate).toBeNull();
      expect(j.overlap.every((b: Record<string, number | null>) => b.treatedBefore === null || b.treatedBefore === 0)).toBe(true);
      expect(text(html(r))).toMatch(/The effect on employed is not shown/);
      expect(html(r)).toMatch(/overlap before matching: not shown/);
      expect(html(r)).not.toMatch(/NaN|undefined/);
    },
  },
  {
    name: 'minCellCount 1 hides nothing',
    files: { 'people.csv': people({ far: 5 }), 'study.yaml': study({ matching: { caliper: 0.2 }, minCellCount: 1 }) },
    args: runArgs,
    code: 0,
    check: (r) => {
      const j = results(r);
      expect(j.suppression.small).toEqual([]);
      expect(j.suppression.complementary).toEqual([]);
      expect(j.counts.unmatchedTreated).toBeGreaterThanOrEqual(5);
      expect(j.counts.unmatchedTreated).toBeLessThan(10);
    },
  },
  {
    name: 'the after-matching overlap is weighted: control weights per bin add up to the matched controls',
    files: { 'people.csv': people(), 'study.yaml': study({ matching: { replace: true, ratio: 2 }, minCellCount: 1 }) },
    args: runArgs,
    code: 0,
    check: (r) => {
      const j = results(r);
      const w = j.overlap.reduce((s: number, b: { controlAfterWeighted: number }) => s + b.controlAfterWeighted, 0);
      expect(w).toBeCloseTo(j.counts.matchedControls, 6);
      expect(j.overlap.some((b: { controlAfter: number; controlAfterWeighted: number }) => Math.abs(b.controlAfter - b.controlAfterWeighted) > 1e-9)).toBe(
        true,
      );
      expect(html(r)).toContain('Propensity-score overlap, after matching (weighted)');
    },
  },
  {
    name: 'a minCellCount of 0 in the study file is refused, naming the key',
    files: { 'people.csv': people(), 'study.yaml': study({ minCellCount: 0 }) },
    args: runArgs,
    code: 2,
    err: /minCellCount/,
  },
  // --- estimate --min-cell-count ---
  {
    name: 'estimate --min-cell-count 10 --json: the 5 unmatched treated are null, with a suppression marker',
    files: { 'data.csv': people({ far: 5 }) },
    args: estimateArgs('data.csv', ['--caliper', '0.2', '--min-cell-count', '10', '--json', '--delimiter', ',']),
    code: 0,
    check: (r) => {
      const j = JSON.parse(r.stdout);
      expect(j.counts.unmatchedTreated).toBeNull();
      expect(j.counts.treated !== null && j.counts.matchedTreated !== null).toBe(false);
      expect(j.suppression.small).toContain('counts.unmatchedTreated');
      expect(j.warnings.join(' ')).not.toMatch(/\b5 treated/);
    },
  },
  {
    name: 'estimate --min-cell-count 10 summary shows "<10" and "suppressed", never the 5',
    files: { 'data.csv': people({ far: 5 }) },
    args: estimateArgs('data.csv', ['--caliper', '0.2', '--min-cell-count', '10', '--delimiter', ',']),
    code: 0,
    out: /unmatched\s+<10/,
    check: (r) => {
      expect(r.stdout).toMatch(/suppressed/);
      expect(r.stdout).not.toMatch(/within-caliper 5\b/);
      expect(r.stderr).not.toMatch(/\b5 treated unit/);
    },
  },
  {
    name: 'estimate without --min-cell-count prints every count (analyst mode, unchanged contract)',
    files: { 'data.csv': people({ far: 5 }) },
    args: estimateArgs('data.csv', ['--caliper', '0.2', '--json', '--delimiter', ',']),
    code: 0,
    check: (r) => {
      const j = JSON.parse(r.stdout);
      expect(j.counts.unmatchedTreated).toBe(5);
      expect(j.suppression).toBeUndefined();
    },
  },
  {
    name: 'estimate --min-cell-count 0 is refused, naming the flag',
    files: { 'data.csv': people() },
    args: estimateArgs('data.csv', ['--min-cell-count', '0', '--delimiter', ',']),
    code: 2,
    err: /--min-cell-count/,
  },
  {
    name: 'estimate --min-cell-count abc is refused',
    files: { 'data.csv': people() },
    args: estimateArgs('data.csv', ['--min-cell-count', 'abc', '--delimiter', ',']),
    code: 2,
    err: /--min-cell-count/,
  },
  {
    name: 'estimate --min-cell-count 2.5 is refused (a whole number)',
    files: { 'data.csv': people() },
    args: estimateArgs('data.csv', ['--min-cell-count', '2.5', '--delimiter', ',']),
    code: 2,
    err: /--min-cell-count.*whole number|whole number.*--min-cell-count/s,
  },
  {
    name: 'estimate on 6 rows with --min-cell-count 10: the effect itself is suppressed',
    files: { 'data.csv': 't,x,y\n1,1.5,3\n0,1.2,2\n1,2.5,4\n0,2.1,3\n0,0.5,1\n1,0.9,2\n' },
    args: estimateArgs('data.csv', ['--min-cell-count', '10', '--json', '--delimiter', ',']),
    code: 0,
    check: (r) => {
      const j = JSON.parse(r.stdout);
      expect(j.estimate).toBeNull();
      expect(j.counts.treated).toBeNull();
      expect(j.suppression.effectHidden).toBe(true);
    },
  },
  // --- hostile labels in the report ---
  {
    name: 'a script tag as the outcome label is shown as text',
    files: { 'people.csv': people(), 'study.yaml': study({ outcomes: [{ type: 'binary', column: 'y', label: '<script>alert(1)</script>' }] }) },
    args: runArgs,
    code: 0,
    check: (r) => {
      const h = html(r);
      expect(h).not.toContain('<script>');
      expect(h).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    },
  },
  {
    name: 'an RLO character in the outcome label is made visible and isolated, never raw',
    files: { 'people.csv': people(), 'study.yaml': study({ outcomes: [{ type: 'binary', column: 'y', label: 'rate\u202Egnp.exe' }] }) },
    args: runArgs,
    code: 0,
    check: (r) => {
      const h = html(r);
      expect(h).not.toContain('\u202E');
      expect(h).toContain('<bdi>rate⟨U+202E⟩gnp.exe</bdi>');
    },
  },
  {
    name: 'an LRO/RLE/PDF in a covariate name: none reaches the love plot or the tables raw',
    files: {
      'people.csv': people().replace(/^id,t,x,/, 'id,t,"x\u202D\u202B\u202C",'),
      'study.yaml': study({ covariates: ['x\u202D\u202B\u202C'] }),
    },
    args: runArgs,
    code: 0,
    check: (r) => {
      const h = html(r);
      expect(h).not.toMatch(/[\u202A-\u202E]/);
      expect(h).toContain('x⟨U+202D⟩⟨U+202B⟩⟨U+202C⟩');
      // SVG labels are isolated with FSI…PDI.
      expect(h).toMatch(/\u2068x⟨U\+202D⟩/);
    },
  },
  {
    name: 'an RLO in the title is isolated in <h1> and <title>',
    files: { 'people.csv': people(), 'study.yaml': study({ title: 'Study \u202Eevil' }) },
    args: runArgs,
    code: 0,
    check: (r) => {
      const h = html(r);
      expect(h).toContain('<h1><bdi>Study ⟨U+202E⟩evil</bdi></h1>');
      expect(h).not.toContain('\u202E');
    },
  },
  {
    name: 'a 5,000-character outcome label: exit 0, the plot shows at most 4 wrapped lines, the tables the whole label',
    files: {
      'people.csv': people(),
      'study.yaml': study({ outcomes: [{ type: 'binary', column: 'y', label: 'employed '.repeat(555) }], subgroups: ['g'], minCellCount: 5 }),
    },
    args: runArgs,
    code: 0,
    check: (r) => {
      const h = html(r);
      expect(h.length).toBeLessThan(400_000);
      expect(h).toContain(`<bdi>${'employed '.repeat(555)}</bdi>`);
      for (const t of h.match(/<text[^>]*>[\s\S]*?<\/text>/g) ?? []) expect(t.length, t.slice(0, 80)).toBeLessThan(1200);
    },
  },
  {
    name: 'backslashes, quotes, a newline and U+2028 in a label used in axis titles: exit 0 (vega expressions stay intact)',
    files: {
      'people.csv': people(),
      'study.yaml': study({ outcomes: [{ type: 'binary', column: 'y', label: 'a\\b"c\'d\u2028e\nf' }], subgroups: ['g'], minCellCount: 5 }),
    },
    args: runArgs,
    code: 0,
    check: (r) => {
      const h = html(r);
      expect(h).toContain('data-chart="forest-g"');
      expect(h).toContain('a\\b&quot;c&#39;d');
    },
  },
  {
    name: 'a 300-character covariate name without spaces is wrapped on the love plot, not cut',
    files: {
      'people.csv': people().replace(/^id,t,x,/, `id,t,${'v'.repeat(300)},`),
      'study.yaml': study({ covariates: ['v'.repeat(300)] }),
    },
    args: runArgs,
    code: 0,
    check: (r) => {
      const h = html(r);
      const love = h.slice(h.indexOf('data-chart="love"'));
      const label = love.match(/<text[^>]*>(<tspan>[\s\S]*?)<\/text>/)![1]!;
      const lines = [...label.matchAll(/<tspan[^>]*>([^<]*)<\/tspan>/g)].map((m) => m[1]!.replace(/[\u2068\u2069]/g, ''));
      expect(lines.length).toBe(4);
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(28);
    },
  },
  {
    name: 'control characters (NUL, ESC) in a label become U+FFFD',
    files: { 'people.csv': people(), 'study.yaml': study({ outcomes: [{ type: 'binary', column: 'y', label: 'a\u0000b\u001b[31mred' }] }) },
    args: runArgs,
    code: 0,
    check: (r) => {
      const h = html(r);
      expect(h.includes('\u0000') || h.includes('\u001b')).toBe(false);
      expect(h).toContain('a\ufffdb\ufffd[31mred');
    },
  },
  {
    name: 'an attribute-breaking label ("><img onerror>) creates no element',
    files: { 'people.csv': people(), 'study.yaml': study({ subgroups: [{ by: 'g', label: '"><img src=x onerror=alert(1)>' }], minCellCount: 5 }) },
    args: runArgs,
    code: 0,
    check: (r) => {
      expect(html(r)).not.toMatch(/<img/);
      expect(html(r)).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    },
  },
  {
    name: 'two long labels equal in their first 110 characters both appear on the love plot',
    files: {
      'people.csv': people().replace(/^id,t,x,g,/, `id,t,${'w'.repeat(120)}a,${'w'.repeat(120)}b,`),
      'study.yaml': study({ covariates: [`${'w'.repeat(120)}a`, `${'w'.repeat(120)}b`], categorical: [] }),
    },
    args: runArgs,
    code: 0,
    check: (r) => {
      const love = html(r).slice(html(r).indexOf('data-chart="love"'));
      expect(love).toMatch(/\(2\)/);
    },
  },
  // --- wording, units and numbers ---
  {
    name: 'no effect in the data: the summary says "No significant effect", never "raised"',
    files: { 'people.csv': people({ effect: 0 }), 'study.yaml': study() },
    args: runArgs,
    code: 0,
    check: (r) => {
      const j = results(r);
      const e = j.outcomes[0].effect;
      expect(e.ciLower <= 0 && e.ciUpper >= 0).toBe(true);
      const summary = text(html(r).slice(html(r).indexOf('id="summary"'), html(r).indexOf('id="plots"')));
      expect(summary).toMatch(/No significant effect on\s+employed/);
      expect(summary).not.toMatch(/raised|lowered/);
    },
  },
  {
    name: 'a clear effect: "raised", in percentage points, levels in %',
    files: { 'people.csv': people({ effect: 0.5 }), 'study.yaml': study() },
    args: runArgs,
    code: 0,
    check: (r) => {
      const summary = text(html(r).slice(html(r).indexOf('id="summary"'), html(r).indexOf('id="plots"')));
      expect(summary).toMatch(/The programme raised\s+employed\s+by [\d.]+ percentage points/);
      expect(summary).toMatch(/Treated: [\d.]+%; matched controls: [\d.]+%/);
    },
  },
  {
    name: 'the summary sentence uses the outcome label, not the raw column name',
    files: {
      'people.csv': people({ effect: 0.5 }).replace(/^(.*),y,/, '$1,emp_flag_raw,'),
      'study.yaml': study({ outcomes: [{ type: 'binary', column: 'emp_flag_raw', label: 'in work' }] }),
    },
    args: runArgs,
    code: 0,
    check: (r) => {
      const summary = text(html(r).slice(html(r).indexOf('id="summary"'), html(r).indexOf('id="plots"')));
      expect(summary).toMatch(/in work/);
      expect(summary).not.toMatch(/emp_flag_raw/);
    },
  },
  {
    name: 'earnings-sized outcome: thousands separators, one decimal count for estimate and CI, no exponents',
    files: { 'people.csv': people({ big: true }), 'study.yaml': study() },
    args: runArgs,
    code: 0,
    check: (r) => {
      const t = text(html(r));
      const m = t.match(/(?:by|is) (−?[\d,]+(?:\.\d+)?) \(95% CI (−?[\d,]+(?:\.\d+)?) to (−?[\d,]+(?:\.\d+)?)/)!;
      expect(m, t.slice(0, 600)).toBeTruthy();
      const dec = (s: string) => (s.split('.')[1] ?? '').length;
      expect(dec(m[1]!)).toBe(dec(m[2]!));
      expect(dec(m[2]!)).toBe(dec(m[3]!));
      expect(m[1]!).toMatch(/^−?\d{1,3}(,\d{3})+(\.\d+)?$/);
      expect(t).not.toMatch(/\d[eE][-+]\d/);
    },
  },
  {
    name: 'no exponent notation, NaN, undefined or null anywhere in the report text',
    files: {
      'people.csv': people({ far: 5 }),
      'study.yaml': study({ matching: { caliper: 0.2 }, subgroups: ['g'], sensitivity: { rosenbaum: true, evalue: true } }),
    },
    args: runArgs,
    code: 0,
    check: (r) => {
      const t = text(html(r)).replace(/\b[0-9a-f]{64}\b/g, 'SHA');
      expect(t).not.toMatch(/\d[eE][-+]?\d/);
      const bad = t.match(/.{60}\b(?:NaN|undefined|null)\b.{20}/);
      expect(bad?.[0] ?? null).toBeNull();
    },
  },
  {
    name: 'survival outcome: the Kaplan–Meier axis is titled from the time column, not "months since birth"; groups keep their colours',
    files: {
      'people.csv': people(),
      'study.yaml': study({ outcomes: [{ type: 'survival', time: 'time', event: 'event', times: [12, 24], label: 'business survival' }], minCellCount: 5 }),
    },
    args: runArgs,
    code: 0,
    check: (r) => {
      const h = html(r);
      expect(h).not.toContain('months since birth');
      const km = h.slice(h.indexOf('data-chart="km"'));
      expect(km).toContain('time (time)');
      expect(km).toContain('#d95f02');
      expect(km).toContain('#1b9e77');
    },
  },
  {
    name: 'treated orange and controls green in both overlap plots',
    files: { 'people.csv': people(), 'study.yaml': study() },
    args: runArgs,
    code: 0,
    check: (r) => {
      const h = html(r);
      for (const id of ['overlap-before', 'overlap-after']) {
        const f = h.slice(h.indexOf(`data-chart="${id}"`));
        const fig = f.slice(0, f.indexOf('</figure>'));
        expect(fig, id).toContain('#d95f02');
        expect(fig, id).toContain('#1b9e77');
      }
    },
  },
  {
    name: 'p-values print as "< 0.001" or three significant digits',
    files: { 'people.csv': people({ effect: 0.5 }), 'study.yaml': study({ subgroups: ['g'], minCellCount: 5 }) },
    args: runArgs,
    code: 0,
    check: (r) => {
      const h = html(r);
      const eff = h.slice(h.indexOf('id="effects"'), h.indexOf('</section>', h.indexOf('id="effects"')));
      const cells = [...eff.matchAll(/<td class="num">([^<]*)<\/td>/g)].map((m) => m[1]!);
      expect(cells.some((c) => c === '&lt; 0.001' || /^0\.\d*[1-9]\d{0,2}$/.test(c))).toBe(true);
    },
  },
  {
    name: 'the settings table is key/value rows (wraps in print), no raw JSON blob',
    files: { 'people.csv': people(), 'study.yaml': study({ title: 'x'.repeat(400) }) },
    args: runArgs,
    code: 0,
    check: (r) => {
      const h = html(r);
      const rep = h.slice(h.indexOf('id="reproducibility"'));
      expect(rep).toContain('setting: matching.method');
      expect(rep).not.toMatch(/\{&quot;/);
      expect(h).toMatch(/table\.settings\{table-layout:fixed\}/);
    },
  },
];

describe('corpus: the report and small-cell suppression', () => {
  it.each(cases.map((c) => [c.name, c] as const))(
    '%s',
    async (_name, c) => {
      await runCase(c);
    },
    30_000,
  );
});
