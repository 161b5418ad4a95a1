/**
 * `counterfact synth`: a synthetic job-centre register with a known true effect, for
 * benchmarks that double as accuracy checks.
 */
import { generateRegister } from '../synth/index.js';
import { checkOutputs, writeOutputs, writeText } from '../io/outputs.js';
import { writeTableFile } from '../io/write.js';
import { CounterfactError } from '../problems.js';
import { num, parseFlags, required } from './args.js';
import type { CliIO } from './io.js';

export const SYNTH_HELP = `Usage: counterfact synth --rows N --out FILE [--treated-share S] [--covariates P]
                         [--spells K] [--seed X] [--effect E]

Writes a synthetic register (CSV, Arrow or Parquet by the extension of FILE), with K contract
spells per person in <name>.spells.<ext> when K > 0 (id, start, end, type, sector, qualification;
dates as yyyymmdd numbers; the register then also has reference_date and did_date, for
\`estimate --history\` and bench/history.ts), and the true effect and the data-generating
process in <name>.truth.json. Deterministic for a seed. Existing files are replaced only when
counterfact wrote them and they are unchanged (or with --force).

  --rows N            people                                   (required)
  --treated-share S   share treated                            [0.1]
  --covariates P      covariates (≥ 5)                          [20]
  --spells K          contract spells per person               [0]
  --seed X            seed                                     [1]
  --effect E          true ATT on the employment probability   [0.08]
  --force             replace existing files counterfact did not write
`;

export async function synthCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { flags } = parseFlags(argv, {
    rows: { type: 'string' },
    'treated-share': { type: 'string' },
    covariates: { type: 'string' },
    spells: { type: 'string' },
    seed: { type: 'string' },
    effect: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) {
    io.out(SYNTH_HELP);
    return 0;
  }
  const out = required(flags, 'out', 'the file to write (.csv, .arrow or .parquet)');
  const m = /^(.*)\.(csv|arrow|parquet)$/i.exec(out);
  if (!m)
    throw new CounterfactError({
      code: 'bad_argument',
      column: '--out',
      message: `--out must end in .csv, .arrow or .parquet, received ${JSON.stringify(out)}`,
    });
  const planned = [out, ...(Number(flags.spells) > 0 ? [`${m[1]}.spells.${m[2]}`] : []), `${m[1]}.truth.json`];
  checkOutputs(
    planned.map((p) => ({ path: p, argument: '--out' })),
    [],
    { force: Boolean(flags.force) },
  );
  const rows = num(flags, 'rows', { integer: true, min: 10 });
  if (rows === undefined) required(flags, 'rows', 'the number of people');
  const t0 = Date.now();
  const reg = generateRegister({
    rows: rows!,
    treatedShare: num(flags, 'treated-share', { min: 0, max: 1, exclusiveMin: true }) ?? 0.1,
    covariates: num(flags, 'covariates', { integer: true, min: 5 }) ?? 20,
    spellsPerPerson: num(flags, 'spells', { integer: true, min: 0 }) ?? 0,
    seed: num(flags, 'seed', { integer: true, min: 0 }) ?? 1,
    trueEffect: num(flags, 'effect', { min: -0.5, max: 0.5 }) ?? 0.08,
  });
  const generated = Date.now() - t0;
  const spells = reg.spells;
  await writeOutputs(
    [
      { path: out, argument: '--out', write: (p) => writeTableFile(reg.table, p) },
      ...(spells ? [{ path: `${m[1]}.spells.${m[2]}`, argument: '--out (spells)', write: (p: string) => writeTableFile(spells, p) }] : []),
      { path: `${m[1]}.truth.json`, argument: '--out (truth)', write: writeText(JSON.stringify(reg.truth, null, 2) + '\n') },
    ],
    { command: 'synth', inputs: [], force: Boolean(flags.force) },
  );
  io.err(
    `synth: ${reg.table.nRows.toLocaleString('en')} rows (${reg.truth.treated.toLocaleString('en')} treated), true ATT ${reg.truth.att.toFixed(4)}; generated in ${(generated / 1000).toFixed(1)} s, written in ${((Date.now() - t0 - generated) / 1000).toFixed(1)} s\n`,
  );
  return 0;
}
