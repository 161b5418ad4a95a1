/**
 * `evaluate`: the whole estimation core in one call — propensity fit → nearest matching →
 * balance → ATT — returning every stage's immutable result. It only calls the public stages;
 * anything it does can be done step by step with them.
 */
import type { BalanceTable, EffectEstimate, Link, MatchResult, PropensityFit, SeMethod } from './contracts.js';
import { assessBalance } from './balance/index.js';
import type { EcdfRunner } from './balance/ecdf.js';
import { estimateATT } from './effects/index.js';
import { matchingMethod, resolveMethodOptions } from './matching/methods.js';
import type { NearestOptions } from './matching/nearest.js';
import { fitPropensity } from './propensity/index.js';
import { getColumn, showValue, toTable, type Table, type TableInput } from './data/table.js';
import { CounterfactError, describeRows } from './problems.js';

/** `EvaluateSpec.matching`: nearest-neighbour options, or another method of the table by name. */
export type MatchingSpec =
  | (Omit<NearestOptions, 'data' | 'tieVariance'> & { readonly method?: 'nearest' })
  | ({ readonly method: string } & Readonly<Record<string, unknown>>);

export interface EvaluateSpec {
  readonly treatment: string;
  readonly outcome: string;
  readonly covariates: readonly string[];
  /** Numeric covariates to dummy-code (string columns always are). */
  readonly categorical?: readonly string[];
  /** Identifier column: checked for duplicates and used for pair exports. */
  readonly id?: string;
  readonly treatedValue?: string | number;
  readonly link?: Link;
  /**
   * The matching method and its options, dispatched through the method table
   * (`MATCHING_METHODS`): `{ method: 'nearest', ratio: 2, … }` (the default method, options as
   * `matchNearest`), or `{ method: 'kernel', bandwidth: 0.05 }`, `'mahalanobis'`, `'radius'`,
   * `'geographic'`, `'ipw'`, `'cem'`, `'subclass'`, each with the options it declares.
   */
  readonly matching?: MatchingSpec;
  /** Standard error; default: the method's (`ai` for nearest, mahalanobis and geographic; `pairs` for the rest). */
  readonly se?: Exclude<SeMethod, 'bootstrap'>;
  /**
   * Bias-adjust for the covariates: with se 'ai' the Abadie–Imbens (2011) bias-corrected matching
   * estimator (Matching `BiasAdjust = TRUE`), with se 'pairs' regression on the matched sample.
   */
  readonly adjust?: boolean;
  /** J for the heteroskedastic Abadie–Imbens variance (0 = homoskedastic, Matching's default). */
  readonly varMatches?: number;
  /** Confidence level (default 0.95). */
  readonly level?: number;
  /** |SMD| threshold for the balance verdict (default 0.1). */
  readonly balanceThreshold?: number;
}

export interface EvaluateResult {
  readonly kind: 'EvaluateResult';
  readonly propensity: PropensityFit;
  readonly match: MatchResult;
  readonly balance: BalanceTable;
  readonly effect: EffectEstimate;
  /** Every input row accounted for: treated = matched + unmatched (incl. discarded). */
  readonly counts: {
    readonly rows: number;
    readonly treated: number;
    readonly controls: number;
    readonly matchedTreated: number;
    readonly matchedControls: number;
    readonly unmatchedTreated: number;
    readonly unmatchedControls: number;
    readonly discardedTreated: number;
    readonly discardedControls: number;
    readonly unmatchedReasons: Readonly<Record<string, number>>;
  };
  readonly warnings: readonly string[];
  readonly settings: Readonly<Record<string, unknown>>;
}

/**
 * Run propensity fit, nearest-neighbour matching, balance and ATT in one call.
 * Cost: O(n log n + n p²·iterations).
 * @throws CounterfactError for bad input (unknown columns, missing values, bad treatment,
 *   duplicated ids, missing outcome among matched units), each naming the column and the fix.
 * @example
 * const r = evaluate(lalonde, { treatment: 'treat', outcome: 're78',
 *   covariates: ['age', 'educ', 'race', 'married', 'nodegree', 're74', 're75'] });
 * r.effect.estimate; // 894.37 (MatchIt 4.7.2 default nearest matching)
 */
export function evaluate(data: TableInput, spec: EvaluateSpec): EvaluateResult {
  const table = toTable(data);
  checkSpecColumns(table, spec);
  const design = evaluateDesign(table, spec);
  const effect = estimateATT(table, design.match, {
    outcome: spec.outcome,
    se: design.settings.se as Exclude<SeMethod, 'bootstrap'>,
    varMatches: spec.varMatches,
    level: spec.level,
    propensity: design.propensity,
    adjust: spec.adjust ? spec.covariates : undefined,
    categorical: spec.categorical,
  });
  return Object.freeze({
    ...design,
    kind: 'EvaluateResult',
    effect,
    warnings: [...design.warnings, ...effect.warnings],
    settings: { ...design.settings, outcome: spec.outcome },
  });
}

/** The design stages of {@link evaluate} without an outcome: propensity fit, match, balance. */
export type DesignResult = Omit<EvaluateResult, 'kind' | 'effect'> & { readonly kind: 'DesignResult' };

/**
 * Propensity fit → matching → balance, with counts and warnings: everything `evaluate` does
 * before looking at an outcome (the design stage an evaluator fixes before seeing outcomes).
 * `stages.fit` replaces the propensity fitter (same contract as `fitPropensity`), e.g. the
 * worker-thread `fitPropensityParallel` of `counterfact/node`, which gives the same bits;
 * `stages.onStage` is told when each stage starts (for progress displays); `stages.ecdf`
 * computes the balance table's eCDF statistics (same bits on any number of threads).
 * @throws CounterfactError as {@link evaluate}.
 */
export function evaluateDesign(
  data: TableInput,
  spec: Omit<EvaluateSpec, 'outcome'> & { outcome?: string },
  stages: {
    readonly fit?: typeof fitPropensity;
    readonly onStage?: (stage: 'fit' | 'match' | 'balance') => void;
    /** Computes the balance table's eCDF statistics (e.g. `createParallelEcdf()` of `counterfact/node`). */
    readonly ecdf?: EcdfRunner;
  } = {},
): DesignResult {
  const table = toTable(data);
  if (spec.id) checkIds(table, spec.id);
  stages.onStage?.('fit');
  const propensity = (stages.fit ?? fitPropensity)(table, {
    treatment: spec.treatment,
    covariates: spec.covariates,
    categorical: spec.categorical,
    link: spec.link,
    treatedValue: spec.treatedValue,
  });
  const { method: methodName = 'nearest', ...methodOptions } = spec.matching ?? {};
  const method = matchingMethod(methodName);
  stages.onStage?.('match');
  const match = method.run(
    { table, propensity, covariates: spec.covariates, categorical: spec.categorical ?? [], treatmentColumn: spec.treatment, treatedValue: spec.treatedValue },
    resolveMethodOptions(method, methodOptions),
  );
  stages.onStage?.('balance');
  const balance = assessBalance(table, match, spec.covariates, {
    categorical: spec.categorical,
    threshold: spec.balanceThreshold,
    ecdf: stages.ecdf,
  });
  const reasons: Record<string, number> = {};
  for (const u of match.unmatchedTreated) reasons[u.reason] = (reasons[u.reason] ?? 0) + 1;
  const c = match.counts;
  const counts = {
    rows: table.nRows,
    treated: c.treated,
    controls: c.controls,
    matchedTreated: c.matchedTreated,
    matchedControls: c.matchedControls,
    unmatchedTreated: c.treated - c.matchedTreated,
    unmatchedControls: c.controls - c.matchedControls,
    discardedTreated: c.discardedTreated,
    discardedControls: c.discardedControls,
    unmatchedReasons: reasons,
  };
  const warnings = [...propensity.diagnostics.warnings, ...match.warnings];
  if (!balance.summary.balanced) {
    warnings.push(
      `${balance.summary.flaggedAfter} covariate(s) remain imbalanced after matching (|SMD| ≥ ${balance.threshold}): ` +
        balance.rows
          .filter((r) => r.flagged)
          .slice(0, 5)
          .map((r) => `\`${r.covariate}\` (${r.smdAfter.toFixed(3)})`)
          .join(', ') +
        ' — consider a caliper, exact matching on them, or a richer propensity model',
    );
  }
  return Object.freeze({
    kind: 'DesignResult',
    propensity,
    match,
    balance,
    counts,
    warnings,
    settings: {
      treatment: spec.treatment,
      outcome: spec.outcome ?? null,
      covariates: [...spec.covariates],
      categorical: [...(spec.categorical ?? [])],
      id: spec.id ?? null,
      link: propensity.link,
      se: spec.se ?? method.defaultSe,
      varMatches: spec.varMatches ?? 0,
      level: spec.level ?? 0.95,
      balanceThreshold: balance.threshold,
      matching: match.settings,
    },
  });
}

function checkSpecColumns(table: Table, spec: EvaluateSpec): void {
  // Resolve the outcome early so a typo is reported before any fitting.
  getColumn(table, spec.outcome, 'outcome');
  if (spec.covariates.includes(spec.outcome)) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: spec.outcome,
      message: `the outcome \`${spec.outcome}\` cannot also be a covariate: remove it from the covariates`,
    });
  }
}

/**
 * Throw `duplicate_ids` naming the first duplicated ids and their rows. Typed hashing, no
 * string per row: numeric ids in a hash set of doubles (0 and −0 equal), text ids by their
 * dictionary codes. (Integer ids beyond 2^53 are read as text by the CSV parser, so 17-digit
 * ids that differ are never taken for duplicates.)
 */
export function checkIds(table: Table, id: string): void {
  const col = getColumn(table, id, 'id');
  const n = col.kind === 'numeric' ? col.values.length : col.codes.length;
  const dups: number[] = [];
  let count = 0;
  const missing: number[] = [];
  let missingCount = 0;
  if (col.kind === 'categorical') {
    const seen = new Uint8Array(col.levels.length);
    for (let i = 0; i < n; i++) {
      const c = col.codes[i]!;
      if (c < 0) {
        if (missing.length < 5) missing.push(i);
        missingCount++;
      } else if (seen[c]) {
        count++;
        if (dups.length < 5) dups.push(i);
      } else seen[c] = 1;
    }
  } else {
    const v = col.values;
    let size = 16;
    while (size < 2 * n) size *= 2;
    const keys = new Float64Array(size);
    const used = new Uint8Array(size);
    const mask = size - 1;
    const f = new Float64Array(1);
    const u = new Uint32Array(f.buffer);
    for (let i = 0; i < n; i++) {
      const x = v[i]!;
      if (Number.isNaN(x)) {
        if (missing.length < 5) missing.push(i);
        missingCount++;
        continue;
      }
      f[0] = x === 0 ? 0 : x;
      let slot = (Math.imul(u[0]! ^ Math.imul(u[1]!, 0x9e3779b1), 0x85ebca6b) >>> 7) & mask;
      for (;;) {
        if (!used[slot]) {
          used[slot] = 1;
          keys[slot] = f[0]!;
          break;
        }
        if (keys[slot] === x) {
          count++;
          if (dups.length < 5) dups.push(i);
          break;
        }
        slot = (slot + 1) & mask;
      }
    }
  }
  if (missingCount > 0) {
    throw new CounterfactError({
      code: 'missing_values',
      column: id,
      rows: missing,
      count: missingCount,
      message: `id column \`${id}\` has ${missingCount} missing values (${describeRows(missing, missingCount)}): every unit needs an id`,
    });
  }
  if (count > 0) {
    const label = (r: number) => (col.kind === 'numeric' ? String(col.values[r]) : col.levels[col.codes[r]!]!);
    // Ids are user data: shown quoted, cut and with control characters escaped.
    const examples = dups.map((r) => showValue(label(r))).join(', ');
    throw new CounterfactError({
      code: 'duplicate_ids',
      column: id,
      rows: dups,
      count,
      message: `id column \`${id}\` has ${count} duplicated ids (${examples} at ${describeRows(dups, count)}): each unit must appear once — deduplicate the data or choose another id column`,
    });
  }
}
