/**
 * The public API is a curated list (src/index.ts): this test fails when a name is added or removed
 * without a decision, and checks that internals stay out of the main entry.
 */
import { describe, expect, it } from 'vitest';
import * as lib from '../src/index.js';

const PUBLIC = ["CounterfactError","KERNEL_NAMES","MATCHING_METHODS","MATCHING_METHOD_NAMES","SE_METHODS","SE_METHOD_NAMES","VERSION","addMonths","assessBalance","buildMatchResult","columnLabels","combineShards","costPerExtra","costPerExtraJob","costPerExtraSurvivingBusiness","costPerRecipient","createRng","dateColumnToDays","eValue","eValueForATT","estimateAIPW","estimateATT","estimateATTCurve","estimateBySubgroup","estimateIPW","estimatePSMatching","evaluate","evaluateArms","evaluateDesign","fitPropensity","formatDate","formatProblems","fromColumns","fromRows","generateLabourCohort","generateRegister","generateStartupCohort","getColumn","getNumeric","haversineKm","historyCovariates","isTable","kaplanMeier","logRankTest","matchCEM","matchGeographic","matchKernel","matchMahalanobis","matchNearest","matchRadius","matchedData","matchingMethod","medianSurvival","parseCsv","parseDate","parseStudy","prepareDesign","prepareSpells","pseudoReferenceDates","renderReport","restrictMatch","rosenbaumBinary","rosenbaumFromMatch","runMatching","runReproduction","runStudy","runValidity","safeParseStudy","shuffleInPlace","simulatedConfounder","startupCohort","statusAt","statusForMatches","studySchema","subclassify","summarizeShard","survivalAt","survivalDifference","survivalFromDates","takeRows","toTable","trainingCohort","voucherCohort","weightIPW","withColumn"];

describe('public API of the main entry', () => {
  it('is exactly the curated list', () => {
    expect(Object.keys(lib).sort()).toEqual(PUBLIC);
  });
  it('keeps internals out', () => {
    for (const name of ['solveSpd', 'invertSpd', 'accumulateChunk', 'escapeHtml', 'csvCore', 'partialSortFirst', 'aiStatistics', 'IRLS_CHUNK', 'standardiseInto', 'serialAccumulator']) {
      expect(Object.keys(lib)).not.toContain(name);
    }
  });
});
