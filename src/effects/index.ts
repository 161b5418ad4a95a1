export * from './att.js';
export * from './psmatch.js';
export { aiPsAdjustment, type Adjustment, type AdjustmentInput, type Information } from './psAdjustment.js';
export { SE_METHODS, SE_METHOD_NAMES, seMethod, seMethodProblem, type SeFacts, type SeMethodName, type SeMethodSpec } from './seMethods.js';
export { matchFacts, type MatchFacts } from './matchSettings.js';
export { aiStatistics, aiMoments, addAiSums, type AiSums, type AiStatistics, type AiMoments } from './aiStats.js';
export { weightedLeastSquares, type WlsResult } from './regression.js';
