#!/usr/bin/env node
// Entry point of the `counterfact` command: runs the built CLI (npm install builds it via
// the `prepare` script).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
