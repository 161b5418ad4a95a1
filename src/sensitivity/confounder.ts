/**
 * Ichino–Mealli–Nannicini (2008) sensitivity analysis, as Stata's `sensatt`: simulate a
 * binary confounder U with chosen P(U = 1 | T, Y), add it to the propensity model, re-match,
 * re-estimate; repeat and average.
 */
import { evaluate, type EvaluateSpec } from '../evaluate.js';
import { getNumeric, takeRows, toTable, withColumn, type TableInput } from '../data/table.js';
import { fitPropensity } from '../propensity/index.js';
import { CounterfactError } from '../problems.js';
import { createRng } from '../random.js';
import { requireAtt } from '../matching/result.js';

export interface ConfounderProbabilities {
  /** P(U = 1 | T = 1, Y = 1), P(U = 1 | T = 1, Y = 0), P(U = 1 | T = 0, Y = 1), P(U = 1 | T = 0, Y = 0). */
  readonly p11: number;
  readonly p10: number;
  readonly p01: number;
  readonly p00: number;
}

export interface SimulatedConfounderResult {
  readonly kind: 'SimulatedConfounder';
  readonly probabilities: ConfounderProbabilities;
  readonly baseline: number;
  /** Mean ATT over replications with U in the propensity model. */
  readonly att: number;
  /** SE combining within- and between-replication variance (as sensatt). */
  readonly se: number;
  /** Mean odds ratio of U in a logit of Y on U and the covariates among controls (Γ). */
  readonly outcomeOddsRatio: number;
  /** Mean odds ratio of U in the propensity model (Λ). */
  readonly selectionOddsRatio: number;
  readonly reps: number;
  readonly seed: number;
}

/**
 * Simulated-confounder sensitivity (Ichino, Mealli & Nannicini 2008; Stata `sensatt`).
 * `probabilities` set P(U = 1 | T, Y) directly, or `mimic` names a binary covariate whose cell
 * proportions are used. The outcome must be binary (0/1).
 * Cost: reps × (propensity fit + match + ATT).
 * @throws CounterfactError for a non-binary outcome, probabilities outside [0, 1], or a mimic
 *   column that is not 0/1.
 */
export function simulatedConfounder(
  data: TableInput,
  spec: EvaluateSpec,
  u: { probabilities: ConfounderProbabilities } | { mimic: string },
  options: { reps?: number; seed?: number } = {},
): SimulatedConfounderResult {
  const table = toTable(data);
  const y = getNumeric(table, spec.outcome, 'outcome');
  for (const v of y)
    if (v !== 0 && v !== 1)
      throw new CounterfactError({
        code: 'bad_argument',
        column: spec.outcome,
        message: `the simulated-confounder analysis needs a 0/1 outcome; \`${spec.outcome}\` has ${v}`,
      });
  const base = evaluate(table, spec);
  requireAtt(base.match, 'the simulated-confounder analysis');
  const t = base.propensity.treatment;
  let probs: ConfounderProbabilities;
  if ('mimic' in u) {
    const c = getNumeric(table, u.mimic, 'mimicked covariate');
    const s = [0, 0, 0, 0],
      n = [0, 0, 0, 0];
    for (let i = 0; i < c.length; i++) {
      if (c[i] !== 0 && c[i] !== 1)
        throw new CounterfactError({ code: 'bad_argument', column: u.mimic, message: `the mimicked covariate \`${u.mimic}\` must be 0/1` });
      const cell = (1 - t[i]!) * 2 + (1 - y[i]!);
      s[cell]! += c[i]!;
      n[cell]!++;
    }
    probs = { p11: s[0]! / n[0]!, p10: s[1]! / n[1]!, p01: s[2]! / n[2]!, p00: s[3]! / n[3]! };
  } else probs = u.probabilities;
  for (const [k, v] of Object.entries(probs))
    if (!(v >= 0 && v <= 1)) throw new CounterfactError({ code: 'bad_argument', column: k, message: `${k} must be a probability in [0, 1], received ${v}` });
  const reps = options.reps ?? 100;
  const seed = options.seed ?? 1;
  const rng = createRng(seed);
  const atts: number[] = [];
  const vars: number[] = [];
  const gam: number[] = [];
  const lam: number[] = [];
  const controls: number[] = [];
  for (let i = 0; i < t.length; i++) if (!t[i]) controls.push(i);
  const uName = '__simulated_U';
  for (let r = 0; r < reps; r++) {
    const U = new Float64Array(t.length);
    for (let i = 0; i < t.length; i++) {
      const p = t[i] ? (y[i] ? probs.p11 : probs.p10) : y[i] ? probs.p01 : probs.p00;
      U[i] = rng.bernoulli(p);
    }
    const withU = withColumn(table, uName, U);
    const e = evaluate(withU, { ...spec, covariates: [...spec.covariates, uName] });
    atts.push(e.effect.estimate);
    vars.push((e.effect.se ?? 0) ** 2);
    lam.push(Math.exp(e.propensity.coefficients.find((c) => c.name === uName)!.estimate));
    const sub = takeRows(withU, controls);
    const outFit = fitPropensity(sub, { treatment: spec.outcome, covariates: [...spec.covariates, uName], categorical: spec.categorical });
    gam.push(Math.exp(outFit.coefficients.find((c) => c.name === uName)!.estimate));
  }
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const m = mean(atts);
  const between = atts.reduce((s, v) => s + (v - m) ** 2, 0) / (reps - 1);
  return {
    kind: 'SimulatedConfounder',
    probabilities: probs,
    baseline: base.effect.estimate,
    att: m,
    se: Math.sqrt(mean(vars) + (1 + 1 / reps) * between),
    outcomeOddsRatio: mean(gam),
    selectionOddsRatio: mean(lam),
    reps,
    seed,
  };
}
