/**
 * The package version, taken from package.json at build time: the bundler (tsup/esbuild) and
 * vite inline this one field, tsx and vitest read it from the JSON module. No file is read at
 * run time, so it works the same in Node (sources or dist/) and in a browser bundle.
 */
import { version } from '../package.json';

/** counterfact's version, as in package.json. */
export const VERSION: string = version;
