import { defineConfig } from 'tsup';

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
