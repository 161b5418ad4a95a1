import type { Plugin } from 'esbuild';
import { defineConfig } from 'tsup';

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
]);
