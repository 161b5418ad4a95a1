/**
 * Covariate balance before and after matching, with MatchIt's `summary()` definitions for the
 * ATT (cobalt's raw difference for binaries reported alongside, labelled).
 */
import type { BalanceRow, BalanceTable, MatchResult } from '../contracts.js';
import { buildDesign, dummyName, isBinary } from '../data/design.js';
import { toTable, type TableInput } from '../data/table.js';
import { badArgument } from '../problems.js';
import { focalView } from '../matching/result.js';
import { ecdfColumns, weightedRows, type EcdfRunner } from './ecdf.js';

export interface BalanceOptions {
  /** Numeric covariates to expand as categorical (string columns always are). */
  readonly categorical?: readonly string[];
  /** |SMD| at or above which a covariate is flagged (default 0.1; 0.05 for key prognostic covariates). */
  readonly threshold?: number;
  /** Add a first row for the match distance (as MatchIt's summary). Default false. */
  readonly includeDistance?: boolean;
  /**
   * Computes the eCDF statistics of the non-binary columns (default: `ecdfColumns`, in this
   * thread); `counterfact/node`'s `createParallelEcdf()` spreads the columns over worker threads
   * with the same bits.
   */
  readonly ecdf?: EcdfRunner;
}

/**
 * Balance table: per design column (categorical covariates expanded to one row per level),
 * means treated/control before (all units, unweighted) and after (matching weights), the
 * standardised mean difference, variance ratio and eCDF statistics.
 *
 * Definitions (MatchIt `summary.matchit`, estimand ATT):
 * - SMD = (mean_T − mean_C) / s, s = SD of the treated in the unmatched sample; binaries are
 *   standardised too, with s = sqrt(p(1 − p)). `cobaltBefore/After` hold cobalt's default for
 *   binaries instead: the raw difference in proportions.
 * - Variance ratio = var_T / var_C with weighted variances Σw(x − x̄)² / (Σw − Σw²/Σw);
 *   null for binaries.
 * - eCDF mean / max: weights normalised within group; mean and max over the distinct values of
 *   |F_T − F_C| (all units' values are evaluation points); for binaries both equal the absolute
 *   difference in proportions.
 * Cost: O(p · n log n).
 * @throws CounterfactError for unknown covariates, missing values, or a bad threshold.
 * @example
 * assessBalance(lalonde, match, ['age', 'educ', 'race']).rows[0].smdAfter // 0.07 (MatchIt summary, "Std. Mean Diff.")
 */
export function assessBalance(data: TableInput, match: MatchResult, covariates: readonly string[], options: BalanceOptions = {}): BalanceTable {
  if (match.estimand === 'ATC') return atcBalance(assessBalance(data, focalView(match), covariates, options));
  const table = toTable(data);
  const threshold = options.threshold ?? 0.1;
  if (!(threshold > 0)) badArgument('threshold', `threshold must be a positive number, received ${threshold}`);
  if (table.nRows !== match.nUnits) badArgument('data', `data has ${table.nRows} rows but the match has ${match.nUnits} units`);
  const design = buildDesign(table, covariates, { categorical: options.categorical, allLevels: true, dummies: false });
  const n = match.nUnits;
  const t = match.treatment;
  const w = match.weights;
  const rows: BalanceRow[] = [];
  if (n >= 2 ** 30) badArgument('data', `balance tables take at most ${2 ** 30 - 1} rows, received ${n}: split the data (e.g. by exact strata)`);
  // Rows in table order; the eCDF statistics of the non-binary columns are computed together at
  // the end (by options.ecdf, e.g. on worker threads), then filled in.
  const pending: { row: number; name: string; before: GroupStats; after: GroupStats }[] = [];
  const pendingColumns: Float64Array[] = [];
  let positive: Uint32Array | null = null;
  const numericRow = (name: string, v: Float64Array) => {
    const binary = isBinary(v);
    positive ??= weightedRows(w);
    const [before, after] = groupStats(v, t, w, positive);
    if (binary) {
      // Binary columns: no sort (both eCDF statistics are the difference in proportions).
      rows.push(balanceRow(name, true, before, after, binaryEcdf(before), binaryEcdf(after), threshold));
    } else {
      pending.push({ row: rows.length, name, before, after });
      pendingColumns.push(v);
      rows.push(null as unknown as BalanceRow);
    }
  };
  if (options.includeDistance && match.distance) numericRow('distance', match.distance);
  let groups: { nT: number; swT: number; swC: number } | null = null;
  for (const term of design.terms) {
    if (term.kind === 'numeric') {
      numericRow(term.covariate, design.columns[term.columnIndices[0]!]!);
      continue;
    }
    // A categorical covariate: every level's dummy statistics from one pass over the codes (no
    // dummy columns, no sort). The sums are those of the dummy columns taken in row order, so
    // the numbers are the same bits as from the columns.
    groups ??= groupTotals(t, w);
    const codes = term.codes!;
    const L = Math.max(...term.levelCodes!) + 1;
    const cntT = new Float64Array(L);
    const cnt = new Float64Array(L);
    const wT = new Float64Array(L);
    const wC = new Float64Array(L);
    for (let i = 0; i < n; i++) {
      const k = codes[i]!;
      const g = t[i]!;
      const wi = w[i]! > 0 ? w[i]! : 0;
      cntT[k] += g;
      cnt[k]++;
      if (g) wT[k] += wi;
      else wC[k] += wi;
    }
    const nC = n - groups.nT;
    term.levelCodes!.forEach((k, j) => {
      const before = { meanT: cntT[k]! / groups!.nT, meanC: (cnt[k]! - cntT[k]!) / nC, varT: NaN, varC: NaN };
      const after = { meanT: wT[k]! / groups!.swT, meanC: wC[k]! / groups!.swC, varT: NaN, varC: NaN };
      rows.push(balanceRow(dummyName(term.covariate, term.levels![j]!), true, before, after, binaryEcdf(before), binaryEcdf(after), threshold));
    });
  }
  if (pendingColumns.length) {
    const e = (options.ecdf ?? ecdfColumns)(pendingColumns, t, w);
    pending.forEach((p, k) => {
      rows[p.row] = balanceRow(
        p.name,
        false,
        p.before,
        p.after,
        { mean: e[4 * k]!, max: e[4 * k + 1]! },
        { mean: e[4 * k + 2]!, max: e[4 * k + 3]! },
        threshold,
      );
    });
  }
  const covRows = rows.filter((r) => r.covariate !== 'distance' || !options.includeDistance);
  const flaggedBefore = covRows.filter((r) => !(Math.abs(r.smdBefore) < threshold)).length;
  const flaggedAfter = covRows.filter((r) => r.flagged).length;
  let sw = 0,
    sw2 = 0;
  for (let i = 0; i < n; i++) {
    if (!t[i] && match.weights[i]! > 0) {
      sw += match.weights[i]!;
      sw2 += match.weights[i]! ** 2;
    }
  }
  return Object.freeze({
    kind: 'BalanceTable',
    rows,
    threshold,
    summary: {
      flaggedBefore,
      flaggedAfter,
      maxAbsSmdBefore: Math.max(0, ...covRows.map((r) => Math.abs(r.smdBefore))),
      maxAbsSmdAfter: Math.max(0, ...covRows.map((r) => Math.abs(r.smdAfter))),
      balanced: flaggedAfter === 0,
      effectiveControlsAfter: sw2 > 0 ? (sw * sw) / sw2 : 0,
    },
    notes: [
      "SMD as MatchIt summary(): difference in means over the SD of the treated in the unmatched sample; binary covariates are standardised too (SD = sqrt(p(1 − p))). cobaltBefore/cobaltAfter give cobalt's default for binaries, the raw difference in proportions.",
      `Flagged: |SMD after| ≥ ${threshold}.`,
    ],
  });
}

/**
 * A balance table computed with the controls as the focal group, read back as treated vs
 * control: means swapped, differences negated, variance ratios inverted (eCDF statistics are
 * symmetric). The SMD stays standardised by the focal group's SD, the controls', as MatchIt's
 * summary() does for the ATC.
 */
function atcBalance(b: BalanceTable): BalanceTable {
  const inv = (v: number | null) => (v === null ? null : 1 / v);
  return Object.freeze({
    ...b,
    rows: b.rows.map((r) => ({
      ...r,
      meanTreatedBefore: r.meanControlBefore,
      meanControlBefore: r.meanTreatedBefore,
      meanTreatedAfter: r.meanControlAfter,
      meanControlAfter: r.meanTreatedAfter,
      smdBefore: -r.smdBefore,
      smdAfter: -r.smdAfter,
      cobaltBefore: -r.cobaltBefore,
      cobaltAfter: -r.cobaltAfter,
      varianceRatioBefore: inv(r.varianceRatioBefore),
      varianceRatioAfter: inv(r.varianceRatioAfter),
    })),
    notes: [
      'ATC (the controls are the focal group): SMD as MatchIt summary() for the ATC, the difference in means (treated − control) over the SD of the controls in the unmatched sample; effectiveControlsAfter is the effective size of the weighted treated group.',
      ...b.notes.slice(1),
    ],
  });
}

/** One row of the table from the group statistics of a column (binary or not) and its eCDF statistics. */
function balanceRow(
  name: string,
  binary: boolean,
  before: GroupStats,
  after: GroupStats,
  eB: { mean: number; max: number },
  eA: { mean: number; max: number },
  threshold: number,
): BalanceRow {
  // Standardiser: SD of the treated in the unmatched sample.
  const sdT = binary ? Math.sqrt(before.meanT * (1 - before.meanT)) : Math.sqrt(before.varT);
  const smd = (a: number, b: number) => (sdT > 0 ? (a - b) / sdT : a === b ? 0 : NaN);
  const smdBefore = smd(before.meanT, before.meanC);
  const smdAfter = smd(after.meanT, after.meanC);
  return {
    covariate: name,
    type: binary ? 'binary' : 'continuous',
    meanTreatedBefore: before.meanT,
    meanControlBefore: before.meanC,
    meanTreatedAfter: after.meanT,
    meanControlAfter: after.meanC,
    smdBefore,
    smdAfter,
    cobaltBefore: binary ? before.meanT - before.meanC : smdBefore,
    cobaltAfter: binary ? after.meanT - after.meanC : smdAfter,
    varianceRatioBefore: binary ? null : before.varT / before.varC,
    varianceRatioAfter: binary ? null : after.varT / after.varC,
    ecdfMeanBefore: eB.mean,
    ecdfMaxBefore: eB.max,
    ecdfMeanAfter: eA.mean,
    ecdfMaxAfter: eA.max,
    flagged: !(Math.abs(smdAfter) < threshold),
  };
}

/** Number of treated, and the sums of positive weights of treated and controls (row order, as groupStats). */
function groupTotals(t: Uint8Array, w: Float64Array): { nT: number; swT: number; swC: number } {
  let nT = 0,
    swT = 0,
    swC = 0;
  for (let i = 0; i < t.length; i++) {
    const g = t[i]!;
    const wi = w[i]! > 0 ? w[i]! : 0;
    nT += g;
    swT += g * wi;
    swC += (1 - g) * wi;
  }
  return { nT, swT, swC };
}

interface GroupStats {
  meanT: number;
  meanC: number;
  varT: number;
  varC: number;
}

/**
 * Weighted means and variances Σw(x − x̄)² / (Σw − Σw²/Σw) of treated and controls, before
 * matching (all units, weight 1) and after (the match weights). Two-pass for accuracy (sums,
 * then squared deviations). Branch-free: the group enters as a 0/1 factor. The sums after
 * matching run over the rows with positive weight only (`rows`, ascending): a row of weight 0
 * or of the other group adds a zero term, and a running sum that starts at +0 is never −0, so
 * skipping those terms leaves every sum — and every bit — as the sum over all rows.
 */
function groupStats(v: Float64Array, t: Uint8Array, w: Float64Array, rows: Uint32Array): [GroupStats, GroupStats] {
  const n = v.length;
  let nT = 0,
    sT0 = 0,
    sC0 = 0;
  for (let i = 0; i < n; i++) {
    const x = v[i]!;
    const g = t[i]!;
    nT += g;
    sT0 += g * x;
    sC0 += (1 - g) * x;
  }
  let swT = 0,
    swC = 0,
    sw2T = 0,
    sw2C = 0,
    sT1 = 0,
    sC1 = 0;
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k]!;
    const x = v[i]!;
    const g = t[i]!;
    const h = 1 - g;
    const wi = w[i]!;
    const a = g * wi;
    const c = h * wi;
    swT += a;
    swC += c;
    sw2T += a * wi;
    sw2C += c * wi;
    sT1 += a * x;
    sC1 += c * x;
  }
  const nC = n - nT;
  const mT0 = sT0 / nT,
    mC0 = sC0 / nC,
    mT1 = sT1 / swT,
    mC1 = sC1 / swC;
  let ssT0 = 0,
    ssC0 = 0,
    ssT1 = 0,
    ssC1 = 0;
  for (let i = 0; i < n; i++) {
    const x = v[i]!;
    const g = t[i]!;
    const dT0 = x - mT0,
      dC0 = x - mC0;
    ssT0 += g * (dT0 * dT0);
    ssC0 += (1 - g) * (dC0 * dC0);
  }
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k]!;
    const x = v[i]!;
    const g = t[i]!;
    const wi = w[i]!;
    const dT1 = x - mT1,
      dC1 = x - mC1;
    ssT1 += g * wi * (dT1 * dT1);
    ssC1 += (1 - g) * wi * (dC1 * dC1);
  }
  return [
    { meanT: mT0, meanC: mC0, varT: ssT0 / (nT - nT / nT), varC: ssC0 / (nC - nC / nC) },
    { meanT: mT1, meanC: mC1, varT: ssT1 / (swT - sw2T / swT), varC: ssC1 / (swC - sw2C / swC) },
  ];
}

/** For a binary covariate both eCDF statistics are the absolute difference in proportions (MatchIt). */
function binaryEcdf(s: { meanT: number; meanC: number }): { mean: number; max: number } {
  const d = Math.abs(s.meanT - s.meanC);
  return { mean: d, max: d };
}
