/**
 * The standard-error methods of `estimateATT`, each declared once: its name (also the value of
 * the CLI's `--se` flag and the study file's `se:`), what it is, and whether it applies to a
 * given match. The study-file schema, the CLI help and `estimateATT`'s refusals are all built
 * from {@link SE_METHODS}, so a method's rules live here only.
 *
 * Applicability checks take {@link SeFacts} (plain fields, no MatchResult) so that a planned
 * match — a study file before it runs — can be checked the same way as an actual one
 * ({@link matchFacts}). Reasons are written in the user's terms: the CLI flags.
 */
import type { MatchFacts } from './matchSettings.js';

/** The `se` values, in display order (a tuple, so schema enums can be built from it). */
export const SE_METHOD_NAMES = ['ai', 'ai-ps', 'pairs', 'none'] as const;
export type SeMethodName = (typeof SE_METHOD_NAMES)[number];

/** A match plus what the estimate is asked to do with it. */
export interface SeFacts extends MatchFacts {
  /** Control outcomes measured per match at the treated unit's date (`pairOutcome`, CLI `--spells`). */
  readonly pairOutcome: boolean;
  /** Covariate adjustment requested (`adjust`, CLI `--adjust`). */
  readonly adjust: boolean;
  /** The propensity fit the match was made from is available (always true in the CLI). */
  readonly propensity: boolean;
}

export interface SeMethodSpec {
  readonly name: SeMethodName;
  /** The CLI form, e.g. `--se ai-ps`. */
  readonly flag: string;
  /** One line: what the method is. */
  readonly summary: string;
  /** A few sentences: what it does with and without `--adjust`, and when to use it. */
  readonly description: string;
  /** null when the method applies to this match; otherwise the reason and the fix, in CLI terms. */
  readonly appliesTo: (facts: SeFacts) => string | null;
}

export const SE_METHODS: readonly SeMethodSpec[] = Object.freeze([
  {
    name: 'ai',
    flag: '--se ai',
    summary: 'Abadie–Imbens (2006) matching variance, as R Matching::Match `se` (default)',
    description:
      'Abadie–Imbens (2006) variance for matching estimators, which accounts for controls reused across treated units; --var-matches J ≥ 1 gives heteroskedastic conditional variances (Matching Var.calc = J). With --adjust the estimate is the Abadie–Imbens (2011) bias-corrected matching estimator and the SE is its variance (Matching BiasAdjust = TRUE). Treats the propensity score as known.',
    appliesTo: (f) => (!f.hasPairs ? `--se ai needs matched pairs, and ${f.method} has none: use --se pairs` : null),
  },
  {
    name: 'ai-ps',
    flag: '--se ai-ps',
    summary: 'Abadie–Imbens (2016): --se ai adjusted for the estimated propensity score',
    description:
      'The Abadie–Imbens (2006) variance corrected for the estimation of the propensity score (Abadie & Imbens 2016, Econometrica 84(2)). For nearest-neighbour matching with replacement on the score, every treated unit matched. Use it with --var-matches 1 for the plain matching estimator with replacement.',
    appliesTo: (f) =>
      f.method !== 'nearest'
        ? `--se ai-ps applies to nearest-neighbour matching on the propensity score, not to ${f.method} matching: use --se ai`
        : f.estimand === 'ATC'
          ? '--se ai-ps has no version for the ATC (--estimand ATC): use --se ai'
          : !f.replace
            ? '--se ai-ps needs --replace (matching with replacement): add --replace, or use --se ai'
            : f.exact.length > 0
              ? '--se ai-ps has no version for exact strata: drop --exact, or use --se ai'
              : f.droppedTreated > 0
                ? '--se ai-ps needs every treated unit matched: drop --caliper and --discard, or use --se ai'
                : f.pairOutcome
                  ? "--se ai-ps has no version for outcomes measured at each treated unit's date (--spells): use --se ai"
                  : f.adjust
                    ? '--se ai-ps covers the plain matching estimator, not the bias-corrected one: drop --adjust, or use --se ai with --adjust'
                    : !f.hasDistance
                      ? '--se ai-ps needs a match made on the propensity score, and this one has no distance: use --se ai'
                      : !f.propensity
                        ? '--se ai-ps needs the propensity fit the match was made from (the `propensity` option)'
                        : null,
  },
  {
    name: 'pairs',
    flag: '--se pairs',
    summary: "MatchIt's route: weighted regression on the matched sample, HC1 cluster-robust by matched set",
    description:
      "Weighted least squares of the outcome on treatment in the matched sample with the matching weights, HC1 cluster-robust by matched set (MatchIt's subclass; sandwich::vcovCL); HC1 robust by unit when controls are reused (--replace). With --adjust the covariates enter the regression, lm(y ~ treat + covariates, weights), and the estimate is the treatment coefficient.",
    appliesTo: () => null,
  },
  {
    name: 'none',
    flag: '--se none',
    summary: 'no standard error (point estimate only)',
    description: 'The point estimate only; no standard error, interval or p-value.',
    appliesTo: () => null,
  },
] satisfies SeMethodSpec[]);

/** The declaration of one method, or undefined for an unknown name. */
export function seMethod(name: string): SeMethodSpec | undefined {
  return SE_METHODS.find((m) => m.name === name);
}

/** null when `name` applies to the facts; otherwise the reason (unknown names included). */
export function seMethodProblem(name: string, facts: SeFacts): string | null {
  const spec = seMethod(name);
  if (!spec) return `--se must be one of ${SE_METHOD_NAMES.join(', ')}; received ${JSON.stringify(name)}`;
  return spec.appliesTo(facts);
}
