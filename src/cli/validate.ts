/**
 * `counterfact validate` / `npm run validate`: the Monte Carlo validity study (slow: minutes;
 * not part of the default tests). `--json` prints [{design, estimator, se, bias, rmse,
 * coverage, reps}].
 */
import { runValidity } from '../validity/montecarlo.js';
import { num, parseFlags } from './args.js';
import { formatTable } from './format.js';
import type { CliIO } from './io.js';
import { createProgress } from './progress.js';

export async function validateCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { flags } = parseFlags(argv, { reps: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (flags.help) {
    io.out(
      'Usage: counterfact validate [--reps 500] [--seed 2026] [--json]\n\nMonte Carlo bias, RMSE and 95% CI coverage of the matching estimators and their SEs.\n',
    );
    return 0;
  }
  const reps = num(flags, 'reps', { integer: true, min: 10 }) ?? 500;
  const progress = createProgress(io, 'validate');
  const designs = 4;
  let done = 0;
  const rows = runValidity({ reps, seed: num(flags, 'seed', { integer: true, min: 0 }) ?? 2026, onRep: (d) => progress.update(d, ++done / (designs * reps)) });
  progress.done();
  if (flags.json)
    io.out(
      JSON.stringify(
        rows.map((r) => ({
          design: r.design,
          estimator: r.estimator,
          se: r.se,
          bias: r.bias,
          rmse: r.rmse,
          coverage: r.coverage,
          meanSe: r.meanSe,
          sdEstimate: r.sdEstimate,
          reps: r.reps,
        })),
        null,
        2,
      ) + '\n',
    );
  else
    io.out(
      formatTable(
        ['design', 'estimator', 'SE', 'bias', 'RMSE', 'mean SE', 'SD of estimates', '95% coverage'],
        rows.map((r) => [
          r.design,
          r.estimator,
          r.se,
          r.bias.toFixed(4),
          r.rmse.toFixed(4),
          r.meanSe.toFixed(4),
          r.sdEstimate.toFixed(4),
          `${(r.coverage * 100).toFixed(1)}%`,
        ]),
        3,
      ) + '\n',
    );
  return 0;
}
