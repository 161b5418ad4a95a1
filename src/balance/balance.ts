/**
 * Covariate balance before and after matching, with MatchIt's `summary()` definitions for the
 * ATT (cobalt's raw difference for binaries reported alongside, labelled).
 */
import type { BalanceRow, BalanceTable, MatchResult } from '../contracts.js';
import { buildDesign, dummyName, isBinary } from '../data/design.js';
import { toTable, type TableInput } from '../data/table.js';
import { badArgument } from '../problems.js';
import { focalView } from '../matching/result.js';

export interface BalanceOptions {
  /** Numeric covariates to expand as categorical (string columns always are). */
  readonly categorical?: readonly string[];
  /** |SMD| at or above which a covariate is flagged (default 0.1; 0.05 for key prognostic covariates). */
  readonly threshold?: number;
  /** Add a first row for the match distance (as MatchIt's summary). Default false. */
  readonly includeDistance?: boolean;
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
  let sorter: RadixSorter | null = null;
  const numericRow = (name: string, v: Float64Array) => {
    const binary = isBinary(v);
    const [before, after] = groupStats(v, t, w);
    let eB: { mean: number; max: number };
    let eA: { mean: number; max: number };
    if (binary) {
      // Binary columns: no sort (both eCDF statistics are the difference in proportions).
      eB = binaryEcdf(before);
      eA = binaryEcdf(after);
    } else {
      sorter ??= new RadixSorter(n, t, w);
      [eB, eA] = ecdfStats(v, t, w, sorter);
    }
    rows.push(balanceRow(name, binary, before, after, eB, eA, threshold));
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
 * matching (all units, weight 1) and after (the match weights; weight 0 adds nothing). Both
 * phases and both groups in the same sweeps: one for the sums, one for the squared deviations
 * (two-pass for accuracy). Branch-free: the group enters as a 0/1 factor, and adding a 0 term
 * leaves a sum unchanged, so the sums equal those over each group alone.
 */
function groupStats(v: Float64Array, t: Uint8Array, w: Float64Array): [GroupStats, GroupStats] {
  const n = v.length;
  let nT = 0,
    sT0 = 0,
    sC0 = 0;
  let swT = 0,
    swC = 0,
    sw2T = 0,
    sw2C = 0,
    sT1 = 0,
    sC1 = 0;
  for (let i = 0; i < n; i++) {
    const x = v[i]!;
    const g = t[i]!;
    const h = 1 - g;
    nT += g;
    sT0 += g * x;
    sC0 += h * x;
    const wi = w[i]! > 0 ? w[i]! : 0;
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
    const h = 1 - g;
    const wi = w[i]! > 0 ? w[i]! : 0;
    const dT0 = x - mT0,
      dC0 = x - mC0,
      dT1 = x - mT1,
      dC1 = x - mC1;
    ssT0 += g * (dT0 * dT0);
    ssC0 += h * (dC0 * dC0);
    ssT1 += g * wi * (dT1 * dT1);
    ssC1 += h * wi * (dC1 * dC1);
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

/**
 * Mean and max of |F_T − F_C| over the distinct values of the covariate among all units (units
 * with zero weight add no mass but their values still count as evaluation points, as
 * MatchIt), weights normalised within group — before matching (weight 1) and after (the match
 * weights) in one walk over one sort of the column. O(n) after the sort.
 */
function ecdfStats(v: Float64Array, t: Uint8Array, w: Float64Array, sorter: RadixSorter): [{ mean: number; max: number }, { mean: number; max: number }] {
  const n = v.length;
  let nT = 0,
    swT = 0,
    swC = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[i]! > 0 ? w[i]! : 0;
    if (t[i]) {
      nT++;
      swT += wi;
    } else swC += wi;
  }
  const nC = n - nT;
  const counted = integerEcdf(v, t, w, nT, nC, swT, swC);
  if (counted) return counted;
  // Sorted keys (equal keys = equal values) and, per sorted unit, row·4 + 2·treated + (weight > 0).
  const { hi, lo, tags } = sorter.sort(v);
  let fT0 = 0,
    fC0 = 0,
    fT1 = 0,
    fC1 = 0;
  let sum0 = 0,
    max0 = 0,
    sum1 = 0,
    max1 = 0,
    m = 0;
  for (let k = 0; k < n; k++) {
    const tag = tags[k]!;
    if (tag & 2) {
      fT0 += 1 / nT;
      if (tag & 1) fT1 += w[tag >>> 2]! / swT;
    } else {
      fC0 += 1 / nC;
      if (tag & 1) fC1 += w[tag >>> 2]! / swC;
    }
    // End of a run of equal values: an evaluation point.
    if (k + 1 < n && hi[k + 1] === hi[k] && lo[k + 1] === lo[k]) continue;
    const d0 = Math.abs(fT0 - fC0);
    const d1 = Math.abs(fT1 - fC1);
    sum0 += d0;
    sum1 += d1;
    if (d0 > max0) max0 = d0;
    if (d1 > max1) max1 = d1;
    m++;
  }
  return [
    { mean: m > 0 ? sum0 / m : 0, max: max0 },
    { mean: m > 0 ? sum1 / m : 0, max: max1 },
  ];
}

/**
 * {@link ecdfStats} for a column of whole numbers spanning at most max(65,536, n) values (ages,
 * months, counts: most register covariates): per-value counts and weight sums in one pass, then
 * one walk over the values present — no sort. The cumulative shares are counts divided once by
 * the group size, so they can differ from the sorted walk's running sums in the last bit.
 * Returns null for other columns.
 */
function integerEcdf(
  v: Float64Array,
  t: Uint8Array,
  w: Float64Array,
  nT: number,
  nC: number,
  swT: number,
  swC: number,
): [{ mean: number; max: number }, { mean: number; max: number }] | null {
  const n = v.length;
  let lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = v[i]!;
    if (!Number.isInteger(x)) return null;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  const span = hi - lo + 1;
  if (!(span <= Math.max(65536, n))) return null;
  const cT = new Float64Array(span);
  const cC = new Float64Array(span);
  const wT = new Float64Array(span);
  const wC = new Float64Array(span);
  for (let i = 0; i < n; i++) {
    const b = v[i]! - lo;
    const wi = w[i]! > 0 ? w[i]! : 0;
    if (t[i]) {
      cT[b]++;
      wT[b] += wi;
    } else {
      cC[b]++;
      wC[b] += wi;
    }
  }
  let kT = 0,
    kC = 0,
    sT = 0,
    sC = 0;
  let sum0 = 0,
    max0 = 0,
    sum1 = 0,
    max1 = 0,
    m = 0;
  for (let b = 0; b < span; b++) {
    if (cT[b] === 0 && cC[b] === 0) continue;
    kT += cT[b]!;
    kC += cC[b]!;
    sT += wT[b]!;
    sC += wC[b]!;
    const d0 = Math.abs(kT / nT - kC / nC);
    const d1 = Math.abs(sT / swT - sC / swC);
    sum0 += d0;
    sum1 += d1;
    if (d0 > max0) max0 = d0;
    if (d1 > max1) max1 = d1;
    m++;
  }
  return [
    { mean: m > 0 ? sum0 / m : 0, max: max0 },
    { mean: m > 0 ? sum1 / m : 0, max: max1 },
  ];
}

/**
 * Stable least-significant-digit radix sort of row indices by a Float64 column: the IEEE
 * bits mapped to order-preserving unsigned keys (−0 as +0), 11-bit digits, a pass skipped when
 * every key has the same digit (e.g. the low bits of whole numbers). Buffers are reused across
 * columns. O(n) per column; hand-written because sorting indices with a comparator is the
 * slowest step of the balance table at register scale.
 */
class RadixSorter {
  private readonly hi: Uint32Array[];
  private readonly lo: Uint32Array[];
  private readonly tag: Uint32Array[];
  private readonly tags0: Uint32Array;
  private readonly counts = new Uint32Array(6 * 2048);

  /** Buffers for n rows; each unit is tagged row·4 + 2·treated + (weight > 0). */
  constructor(
    private readonly n: number,
    t: Uint8Array,
    w: Float64Array,
  ) {
    if (n >= 2 ** 30) badArgument('data', `balance tables take at most ${2 ** 30 - 1} rows, received ${n}: split the data (e.g. by exact strata)`);
    this.hi = [new Uint32Array(n), new Uint32Array(n)];
    this.lo = [new Uint32Array(n), new Uint32Array(n)];
    this.tag = [new Uint32Array(n), new Uint32Array(n)];
    this.tags0 = new Uint32Array(n);
    for (let i = 0; i < n; i++) this.tags0[i] = i * 4 + (t[i] ? 2 : 0) + (w[i]! > 0 ? 1 : 0);
  }

  /** Order-preserving keys and tags of `v`'s units in ascending order of value (ties in row order). */
  sort(v: Float64Array): { hi: Uint32Array; lo: Uint32Array; tags: Uint32Array } {
    const n = this.n;
    const bits = new Uint32Array(v.buffer, v.byteOffset, 2 * n);
    let hi = this.hi[0]!,
      lo = this.lo[0]!,
      tag = this.tag[0]!;
    let hi2 = this.hi[1]!,
      lo2 = this.lo[1]!,
      tag2 = this.tag[1]!;
    const counts = this.counts;
    counts.fill(0);
    tag.set(this.tags0);
    for (let i = 0; i < n; i++) {
      let h: number, l: number;
      if (v[i] === 0) {
        h = 0x80000000; // +0 and −0 alike
        l = 0;
      } else {
        h = bits[2 * i + 1]!;
        l = bits[2 * i]!;
        if (h & 0x80000000) {
          h = ~h >>> 0;
          l = ~l >>> 0;
        } else h = (h | 0x80000000) >>> 0;
      }
      hi[i] = h;
      lo[i] = l;
      counts[l & 0x7ff]!++;
      counts[2048 + ((l >>> 11) & 0x7ff)]!++;
      counts[4096 + (l >>> 22)]!++;
      counts[6144 + (h & 0x7ff)]!++;
      counts[8192 + ((h >>> 11) & 0x7ff)]!++;
      counts[10240 + (h >>> 22)]!++;
    }
    for (let d = 0; d < 6; d++) {
      const base = d * 2048;
      // Skip the pass when one bucket holds every key.
      let trivial = false;
      for (let b = 0; b < 2048; b++) {
        const c = counts[base + b]!;
        if (c === n) trivial = true;
        if (c !== 0) break;
      }
      if (trivial) continue;
      let sum = 0;
      for (let b = 0; b < 2048; b++) {
        const c = counts[base + b]!;
        counts[base + b] = sum;
        sum += c;
      }
      const shift = (d % 3) * 11;
      const keys = d >= 3 ? hi : lo;
      for (let k = 0; k < n; k++) {
        const dst = counts[base + ((keys[k]! >>> shift) & 0x7ff)]!++;
        hi2[dst] = hi[k]!;
        lo2[dst] = lo[k]!;
        tag2[dst] = tag[k]!;
      }
      [hi, hi2] = [hi2, hi];
      [lo, lo2] = [lo2, lo];
      [tag, tag2] = [tag2, tag];
    }
    return { hi, lo, tags: tag };
  }
}
