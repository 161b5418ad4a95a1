/**
 * `require('counterfact')` works: the package is built with tsup into a temporary folder,
 * installed there as node_modules/counterfact with the real package.json (its "exports" map),
 * and a CommonJS script requires both entries and renders a report (vega is ESM-only: the
 * CommonJS build loads the report from the ESM build on first use).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = resolve(__dirname, '..', '..');
const pkgJson = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));

const CHECK = `
const c = require('counterfact');
const n = require('counterfact/node');
(async () => {
  const rows = ['id,t,x,y'];
  for (let i = 0; i < 40; i++) rows.push([i, i % 3 === 0 ? 1 : 0, (i * 7) % 11, (i * 5) % 7 < 3 ? 1 : 0].join(','));
  const { table } = c.parseCsv(rows.join('\\n') + '\\n');
  const study = c.parseStudy({ data: { persons: 'x.csv' }, id: 'id', treatment: 't', covariates: ['x'], matching: { replace: true }, se: 'pairs', minCellCount: 1, outcomes: [{ type: 'binary', column: 'y' }] });
  const results = c.runStudy(study, { persons: table });
  const html = await c.renderReport(results);
  process.stdout.write(JSON.stringify({
    exports: Object.keys(c).length,
    node: typeof n.readTableFile,
    estimate: results.outcomes[0].effect.estimate,
    html: html.length,
    svg: html.includes('<svg'),
  }));
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
`;

describe('CommonJS entry', () => {
  it('package.json: main and every "require" target are the CommonJS build of an ESM "import" target', () => {
    expect(pkgJson.main).toBe('./dist/index.cjs');
    for (const [key, entry] of Object.entries(pkgJson.exports as Record<string, { import: Record<string, string>; require: Record<string, string> }>)) {
      expect(entry.require.default, key).toBe(entry.import.default.replace(/\.js$/, '.cjs'));
      expect(entry.require.types, key).toBe(entry.import.types.replace(/\.d\.ts$/, '.d.cts'));
    }
  });

  it('require("counterfact") and require("counterfact/node") load, and renderReport works from CommonJS', () => {
    const root = mkdtempSync(join(tmpdir(), 'counterfact-cjs-'));
    const pkg = join(root, 'app', 'node_modules', 'counterfact');
    mkdirSync(pkg, { recursive: true });
    execFileSync(process.execPath, [join(repo, 'node_modules', 'tsup', 'dist', 'cli-default.js'), '--out-dir', join(pkg, 'dist'), '--no-dts', '--silent'], {
      cwd: repo,
      stdio: 'pipe',
    });
    copyFileSync(join(repo, 'package.json'), join(pkg, 'package.json'));
    symlinkSync(join(repo, 'node_modules'), join(pkg, 'node_modules'), 'dir');
    for (const entry of Object.values(pkgJson.exports as Record<string, { import: { default: string }; require: { default: string } }>)) {
      expect(existsSync(join(pkg, entry.require.default))).toBe(true);
      expect(existsSync(join(pkg, entry.import.default))).toBe(true);
    }
    writeFileSync(join(root, 'app', 'check.cjs'), CHECK);
    const out = execFileSync(process.execPath, ['check.cjs'], { cwd: join(root, 'app'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const r = JSON.parse(out);
    expect(r.exports).toBeGreaterThan(50);
    expect(r.node).toBe('function');
    expect(Number.isFinite(r.estimate)).toBe(true);
    expect(r.svg).toBe(true);
    expect(r.html).toBeGreaterThan(10_000);
  }, 60_000);
});
