import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import { defineConfig, type Options } from 'tsup';

/**
 * The CommonJS build of the main entry cannot `require` vega: vega is ESM-only with a top-level
 * await (ERR_REQUIRE_ASYNC_MODULE). Its one user, `renderReport`, is already async, so in the
 * CommonJS build it loads the ESM build (`./index.js`, beside `index.cjs`) with import() on its
 * first call; every other export is plain CommonJS. The ESM build is unchanged.
 */
const lazyReportForCjs: Plugin = {
  name: 'lazy-report-for-cjs',
  setup(build) {
    if (build.initialOptions.format !== 'cjs') return;
    build.onResolve({ filter: /^\.\/report\/index\.js$/ }, (args) =>
      /[\\/]src[\\/]index\.ts$/.test(args.importer) ? { path: 'lazy-report', namespace: 'lazy-report' } : undefined,
    );
    build.onResolve({ filter: /^\.\/index\.js$/ }, (args) => (args.namespace === 'lazy-report' ? { path: './index.js', external: true } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'lazy-report' }, () => ({
      loader: 'ts',
      contents: `
        type Render = (typeof import('./index.js'))['renderReport'];
        /** The report (vega is ESM-only): loaded from the ESM build on the first call. */
        export async function renderReport(...args: Parameters<Render>): ReturnType<Render> {
          const esm = await import('./index.js');
          return esm.renderReport(...args);
        }`,
    }));
  },
};

/**
 * The browser app (dist/app/, issue 15) reads Arrow and Parquet through the library's own
 * reader, src/io/readTable.ts: its `node:fs`/`node:path` calls go to src/app/fsShim.ts (the bytes
 * of the file the analyst opened) and its worker-thread CSV reader to src/app/csvShim.ts (the same
 * byte parser on the app's Web Worker); the DuckDB work-history engine (a Node add-on) to
 * src/app/duckdbShim.ts, which says it is not available in the page. Any other Node import in
 * the app bundle fails the build.
 */
const appShims: Plugin = {
  name: 'app-shims',
  setup(build) {
    const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
    build.onResolve({ filter: /^(node:)?(fs|path)$/ }, () => ({ path: here('./src/app/fsShim.ts') }));
    build.onResolve({ filter: /^\.\/parallelCsv\.js$/ }, (args) =>
      /[\\/]src[\\/]io[\\/]readTable\.ts$/.test(args.importer) ? { path: here('./src/app/csvShim.ts') } : undefined,
    );
    build.onResolve({ filter: /^\.\/duckdb\.js$/ }, (args) =>
      /[\\/]src[\\/]history[\\/][^\\/]+\.ts$/.test(args.importer) ? { path: here('./src/app/duckdbShim.ts') } : undefined,
    );
    // The page and its styles beside the bundles (outdir/app/).
    build.onEnd((result) => {
      if (result.errors.length) return;
      const out = `${build.initialOptions.outdir ?? 'dist'}/app`;
      mkdirSync(out, { recursive: true });
      for (const f of ['index.html', 'app.css']) copyFileSync(here(`./src/app/${f}`), `${out}/${f}`);
    });
    build.onResolve({ filter: /^(node:|(os|worker_threads|child_process|crypto|http|url|stream|util|zlib)$)/ }, (args) => ({
      errors: [{ text: `the browser app cannot use ${args.path} (imported by ${args.importer})` }],
    }));
  },
};

/** The browser app: static files in dist/app/ (npx counterfact app serves them; tests/app builds it afresh). */
export const APP_BUILD: Options = {
  // The browser app: static files in dist/app/ (npx counterfact app serves them).
  entry: { 'app/app': 'src/app/main.ts', 'app/worker': 'src/app/worker.ts' },
  format: ['esm'],
  outExtension: () => ({ js: '.js' }),
  platform: 'browser',
  target: 'es2022',
  noExternal: [/.*/],
  splitting: false,
  minify: true,
  sourcemap: false,
  removeNodeProtocol: false,
  esbuildPlugins: [appShims],
};

export default defineConfig([
  {
    // The library: no Node-specific imports, runs in a browser bundle too.
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    platform: 'neutral',
    external: [/^[^./]/],
    esbuildPlugins: [lazyReportForCjs],
  },
  {
    // counterfact/node: file I/O and worker threads.
    entry: { node: 'src/node.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    external: [/^[^./]/],
  },
  {
    // The CLI: Node only.
    entry: { 'cli/main': 'src/cli/main.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    external: [/^[^./]/],
  },
  APP_BUILD,
]);
