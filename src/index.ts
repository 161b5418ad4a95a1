/**
 * counterfact: counterfactual impact evaluation of public programmes.
 *
 * The public API, listed name by name: every function and constant here is documented at its
 * declaration and covered by the semantic-versioning promise; anything not listed is internal.
 * No Node-specific imports below this file: the library runs in a browser bundle too (file I/O,
 * worker threads and the CLI are in `counterfact/node` and src/cli).
 */

// Types of every stage's inputs, options and results.
export type * from './contracts.js';
export type * from './data/index.js';
export type * from './propensity/index.js';
export type * from './matching/index.js';
export type * from './balance/index.js';
export type * from './effects/index.js';
export type * from './outcomes/index.js';
export type * from './costs/index.js';
export type * from './heterogeneity/index.js';
export type * from './evaluate.js';
export type * from './sensitivity/index.js';
export type * from './study/index.js';
export type * from './report/index.js';
export type * from './synth/index.js';
export type * from './reproduce/index.js';
export type * from './scale/index.js';
export type * from './validity/index.js';
export type * from './weighting/index.js';
export type { Problem } from './problems.js';

// Errors, randomness, version.
export { CounterfactError, formatProblems } from './problems.js';
export { createRng, shuffleInPlace } from './random.js';
export { VERSION } from './version.js';

// Tables in: columns, rows, arquero tables, CSV text; dates.
export { toTable, fromColumns, fromRows, isTable, getColumn, getNumeric, columnLabels, takeRows, withColumn } from './data/table.js';
export { parseCsv } from './data/csv.js';
export { parseDate, formatDate, addMonths, dateColumnToDays } from './data/dates.js';

// The whole core in one call.
export { evaluate, evaluateDesign } from './evaluate.js';

// Stage 1: the propensity model.
export { fitPropensity } from './propensity/index.js';

// Stage 2: matching and weighting — every method returns the same MatchResult.
export {
  MATCHING_METHODS,
  MATCHING_METHOD_NAMES,
  matchingMethod,
  runMatching,
  prepareDesign,
  matchNearest,
  matchMahalanobis,
  matchRadius,
  matchKernel,
  KERNEL_NAMES,
  matchGeographic,
  haversineKm,
  matchCEM,
  subclassify,
  buildMatchResult,
  matchedData,
} from './matching/index.js';
export { weightIPW, estimateIPW, estimateAIPW } from './weighting/index.js';

// Stage 3: balance.
export { assessBalance } from './balance/index.js';

// Stage 4: effects and their standard errors.
export { estimateATT, estimatePSMatching, SE_METHODS, SE_METHOD_NAMES } from './effects/index.js';

// Outcomes over time: contract spells, employment curves, survival.
export {
  prepareSpells,
  statusAt,
  statusForMatches,
  pseudoReferenceDates,
  historyCovariates,
  estimateATTCurve,
  kaplanMeier,
  survivalAt,
  medianSurvival,
  survivalDifference,
  logRankTest,
  survivalFromDates,
  robustSurvivalSe,
  referenceDaysOf,
} from './outcomes/index.js';

// Work history from contract spells (the DuckDB engine is in counterfact/node).
export { workHistory, workHistoryColumnNames } from './history/index.js';
export type { WorkHistoryOptions } from './history/index.js';

// Costs, subgroups, treatment arms.
export { costPerExtraJob, costPerRecipient, costPerExtraSurvivingBusiness, costPerExtra } from './costs/index.js';
export { estimateBySubgroup, evaluateArms, restrictMatch } from './heterogeneity/index.js';

// Sensitivity to unobserved confounding.
export { rosenbaumBinary, rosenbaumFromMatch, eValue, eValueForATT, simulatedConfounder, sensitivityNotApplicable } from './sensitivity/index.js';

// Small-cell suppression: the pass every output goes through (min cell count).
export { suppressStudyResults, planSuppression } from './privacy/index.js';
export type * from './privacy/index.js';

// The study workflow and the report.
export { parseStudy, safeParseStudy, studySchema, runStudy } from './study/index.js';
export { renderReport } from './report/index.js';

// Synthetic data, the reproduction of the published studies, scale-out and validity.
export { generateRegister, generateLabourCohort, generateStartupCohort, trainingCohort, voucherCohort, startupCohort } from './synth/index.js';
export { runReproduction } from './reproduce/index.js';
export { summarizeShard, combineShards } from './scale/index.js';
export { runValidity } from './validity/index.js';
