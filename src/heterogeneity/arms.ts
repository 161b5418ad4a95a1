/**
 * Multi-valued treatments (e.g. voucher pathways: orientation only / internship / job
 * contract): each arm is compared with the common pool of untreated units — one propensity
 * model and one match per arm against the same controls — plus the overall ATT of all
 * treated units against the same pool. Results come back as one table.
 */
import type { EffectEstimate } from '../contracts.js';
import { evaluate, type EvaluateResult, type EvaluateSpec } from '../evaluate.js';
import { columnLabels, compareCodePoints, getColumn, takeRows, toTable, withColumn, type TableInput } from '../data/table.js';
import { CounterfactError, describeRows } from '../problems.js';

export interface ArmsOptions {
  /** Column holding the arm of each unit (control units carry `controlValue`). */
  readonly arm: string;
  /** The label of untreated units in `arm` (e.g. "none" or "0"). */
  readonly controlValue: string | number;
  /** Arms to report, in this order (default: every other label, sorted). */
  readonly arms?: readonly (string | number)[];
}

export interface ArmEffect {
  readonly arm: string;
  readonly effect: EffectEstimate;
  readonly counts: EvaluateResult['counts'];
  readonly balanced: boolean;
  readonly maxAbsSmdAfter: number;
  readonly evaluation: EvaluateResult;
}

export interface ArmsEffects {
  readonly kind: 'ArmsEffects';
  readonly armColumn: string;
  readonly controlValue: string;
  readonly arms: readonly ArmEffect[];
  /** All treated units (any arm) against the same control pool. */
  readonly overall: ArmEffect;
}

/**
 * ATT per treatment arm against a common control pool, and overall.
 * `spec.treatment` is ignored: treatment is derived from `options.arm`.
 * Cost: (arms + 1) × `evaluate`.
 * @throws CounterfactError for an unknown arm column, missing arm values, a control label that
 *   does not occur, or an arm with no units.
 * @example
 * const r = evaluateArms(data, spec, { arm: 'pathway', controlValue: 'none' });
 * r.arms.map((a) => [a.arm, a.effect.estimate]); // [['contract', 0.26], ['internship', 0.21], ['orientation', 0.05]]
 */
export function evaluateArms(data: TableInput, spec: Omit<EvaluateSpec, 'treatment'> & { treatment?: string }, options: ArmsOptions): ArmsEffects {
  const table = toTable(data);
  const labels = columnLabels(getColumn(table, options.arm, 'arm'));
  const control = String(options.controlValue);
  const missing: number[] = [];
  let missingCount = 0;
  labels.forEach((l, i) => {
    if (l === null) {
      missingCount++;
      if (missing.length < 5) missing.push(i);
    }
  });
  if (missingCount > 0) {
    throw new CounterfactError({
      code: 'missing_values',
      column: options.arm,
      rows: missing,
      count: missingCount,
      message: `arm column \`${options.arm}\` has ${missingCount} missing values (${describeRows(missing, missingCount)}): every unit needs an arm, or "${control}" for controls`,
    });
  }
  const present = [...new Set(labels as string[])].sort(compareCodePoints);
  if (!present.includes(control)) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: options.arm,
      message: `control value "${control}" does not occur in arm column \`${options.arm}\` (values: ${present.slice(0, 8).join(', ')}): set controlValue to the label of untreated units`,
    });
  }
  const arms = (options.arms ?? present.filter((l) => l !== control)).map(String);
  for (const a of arms) {
    if (!present.includes(a) || a === control) {
      throw new CounterfactError({
        code: 'bad_argument',
        column: options.arm,
        message: `arm "${a}" does not occur in \`${options.arm}\` (or is the control label): arms are ${present.filter((l) => l !== control).join(', ')}`,
      });
    }
  }
  const treatName = `${options.arm} (treated)`;
  const run = (keep: (l: string) => boolean, isTreated: (l: string) => boolean, name: string): ArmEffect => {
    const idx: number[] = [];
    for (let i = 0; i < labels.length; i++) if (keep(labels[i]!)) idx.push(i);
    const sub = takeRows(table, idx);
    const t = new Float64Array(idx.length);
    idx.forEach((row, k) => {
      t[k] = isTreated(labels[row]!) ? 1 : 0;
    });
    const evaluation = evaluate(withColumn(sub, treatName, { kind: 'numeric', values: t }), { ...spec, treatment: treatName });
    return {
      arm: name,
      effect: evaluation.effect,
      counts: evaluation.counts,
      balanced: evaluation.balance.summary.balanced,
      maxAbsSmdAfter: evaluation.balance.summary.maxAbsSmdAfter,
      evaluation,
    };
  };
  const results = arms.map((a) =>
    run(
      (l) => l === a || l === control,
      (l) => l === a,
      a,
    ),
  );
  const overall = run(
    (l) => l === control || arms.includes(l),
    (l) => l !== control,
    'all treated',
  );
  return Object.freeze({ kind: 'ArmsEffects', armColumn: options.arm, controlValue: control, arms: results, overall });
}
