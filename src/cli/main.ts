#!/usr/bin/env node
/**
 * The `counterfact` command. Exit codes: 0 ok, 2 bad input (a message naming the column or
 * argument and the fix), 1 internal error. Stack traces only with COUNTERFACT_DEBUG=1.
 */
import { CounterfactError } from '../problems.js';
import { VERSION } from '../version.js';
import { cliWording, didYouMean } from './args.js';
import { estimateCommand } from './estimate.js';
import { processIO, type CliIO } from './io.js';

type Command = (argv: readonly string[], io: CliIO) => Promise<number>;

const COMMANDS: Record<string, { run: () => Promise<Command>; summary: string }> = {
  estimate: { run: async () => estimateCommand, summary: 'propensity score, matching, balance and ATT on one file' },
  run: { run: async () => (await import('./run.js')).runCommand, summary: 'run the evaluation a study file describes; write the report' },
  init: { run: async () => (await import('./run.js')).initCommand, summary: 'write an example study file and data to start from' },
  synth: { run: async () => (await import('./synth.js')).synthCommand, summary: 'write a synthetic job-centre register with a known true effect' },
  validate: { run: async () => (await import('./validate.js')).validateCommand, summary: 'Monte Carlo bias, RMSE and CI coverage of the estimators (slow)' },
  reproduce: { run: async () => (await import('./reproduce.js')).reproduceCommand, summary: 'rerun the published studies on the bundled synthetic fixtures' },
  app: { run: async () => (await import('./app.js')).appCommand, summary: 'serve the browser app on 127.0.0.1 (the data stay in the tab)' },
  bench: {
    run: async () => (await import('./bench.js')).benchCommand,
    summary: 'time the estimate pipeline stage by stage on a synthetic register; compare with a baseline',
  },
};

export const MAIN_HELP = `Usage: counterfact <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([k, v]) => `  ${k.padEnd(10)} ${v.summary}`)
  .join('\n')}

Run "counterfact <command> --help" for a command's options.
`;

/** Run the CLI with the given arguments; returns the exit code (never throws). */
export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  const wording = name === 'estimate' ? 'flags' : name === 'run' ? 'study' : null;
  try {
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      io.out(MAIN_HELP);
      return name ? 0 : 2;
    }
    if (name === '--version') {
      io.out(`${VERSION}\n`);
      return 0;
    }
    const cmd = COMMANDS[name];
    if (!cmd || !Object.hasOwn(COMMANDS, name)) {
      const guess = didYouMean(name.replace(/^-+/, ''), Object.keys(COMMANDS));
      io.err(`counterfact: unknown command ${JSON.stringify(name.slice(0, 60))}${guess ? `; did you mean "${guess}"?` : ''}\n\n${MAIN_HELP}`);
      return 2;
    }
    // Library messages reworded to name this command's flags (estimate) or study-file keys (run).
    const cmdIO = wording ? { ...io, isTTY: io.isTTY, err: (t: string) => io.err(cliWording(t, wording)) } : io;
    return await (await cmd.run())(rest, cmdIO);
  } catch (e) {
    if (e instanceof CounterfactError) {
      const text = wording ? cliWording(e.message, wording) : e.message;
      io.err(`counterfact ${name}: ${e.problems.length > 1 ? 'bad input:\n' : ''}${text}\n`);
      return 2;
    }
    const err = e as Error;
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR' || code === 'EACCES' || code === 'EPERM' || code === 'ENOSPC' || code === 'EROFS') {
      const path = (err as NodeJS.ErrnoException).path ?? err.message;
      const what: Record<string, string> = {
        ENOENT: 'file or folder not found',
        EISDIR: 'a folder where a file is needed',
        ENOTDIR: 'a file where a folder is needed',
        EACCES: 'permission denied',
        EPERM: 'permission denied',
        ENOSPC: 'no space left on the device',
        EROFS: 'read-only file system',
      };
      io.err(`counterfact ${name}: ${what[code]!}: ${path}; check the paths given to this command\n`);
      return 2;
    }
    io.err(`counterfact ${name}: internal error: ${err?.message ?? String(e)}\n`);
    if (process.env.COUNTERFACT_DEBUG) io.err(`${err?.stack ?? ''}\n`);
    else io.err('Please report this; rerun with COUNTERFACT_DEBUG=1 for details.\n');
    return 1;
  }
}

export { VERSION };

const isEntry = (() => {
  try {
    const argv1 = process.argv[1] ?? '';
    return /(^|[\\/])main\.(ts|js)$/.test(argv1);
  } catch {
    return false;
  }
})();
if (isEntry) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
