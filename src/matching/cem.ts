/**
 * Coarsened exact matching (CEM) for the ATT, with MatchIt 4.7 `method = "cem"` semantics:
 * numeric covariates are cut into bins, categorical ones kept (or their levels merged by
 * `grouping`), every distinct coarsened profile is a stratum, strata without both treated and
 * control units are dropped, and the rest are weighted as subclasses (treated 1, a control
 * n_treated / n_control of its stratum, rescaled to sum to the number of matched controls).
 */
import type { UnmatchedUnit } from '../contracts.js';
import { resolveTreatment } from '../data/design.js';
import { getColumn, getNumeric, type Table, toTable, type TableInput } from '../data/table.js';
import { badArgument, CounterfactError, describeRows } from '../problems.js';
import { buildSubclassResult, rQuantile7, rSeqLength, type SubclassMatchResult } from './subclass.js';

/**
 * How one numeric covariate is coarsened (MatchIt's `cutpoints` entry):
 * - `'sturges'` (default): ⌈log2 n + 1⌉ equal-width bins between the minimum and maximum;
 * - `'scott'`: Scott's rule for the number of equal-width bins (R `nclass.scott`);
 * - `'q4'`, `'q5'`, …: that many bins of equal count (R type-7 quantiles as inner boundaries);
 * - a whole number k ≥ 2: k equal-width bins between the minimum and maximum; 0: no binning
 *   (exact matching on the value); 1: the covariate is not matched on;
 * - an array of numbers: the boundaries between bins (a value on a boundary goes to the higher bin).
 *
 * Unlike MatchIt, a one-element array is one boundary (MatchIt would read a lone number as a
 * number of bins; here numbers and arrays are distinct).
 */
export type CemCutpoints = 'sturges' | 'scott' | `q${number}` | number | readonly number[];

export interface CemOptions {
  /** Treatment column: 0/1, or two labels (see `treatedValue`). */
  readonly treatment: string;
  /** The treated label when the treatment column holds two labels that are not recognisably 0/1. */
  readonly treatedValue?: string | number;
  /** Covariates defining the strata. Text columns are categorical (matched exactly, up to `grouping`). */
  readonly covariates: readonly string[];
  /**
   * Coarsening of the numeric covariates: one rule for all of them, or an object with an entry
   * per covariate (unlisted numeric covariates use 'sturges'). Default 'sturges' for all.
   */
  readonly cutpoints?: CemCutpoints | Readonly<Record<string, CemCutpoints>>;
  /**
   * Levels of categorical covariates to merge (MatchIt's `grouping`): per covariate, a list of
   * groups, each a list of levels that become one. Levels not named stay as they are. A numeric
   * covariate named here is treated as categorical (its values as labels, e.g. "1").
   */
  readonly grouping?: Readonly<Record<string, readonly (readonly (string | number)[])[]>>;
  /** Numeric covariates to treat as categorical (exact on their values; same as cutpoints 0). */
  readonly categorical?: readonly string[];
}

/** Result of {@link matchCEM}: the strata as subclasses, and the bin boundaries used. */
export interface CemResult extends SubclassMatchResult {
  /**
   * Per binned numeric covariate, the inner bin boundaries (bins are [b_k, b_{k+1}), with −∞
   * and +∞ outside). Covariates matched exactly or dropped are not listed.
   */
  readonly breaks: Readonly<Record<string, readonly number[]>>;
}

/** R's `seq(from, to, by)` for by > 0 (with R's 1e-10 fuzz and the overshoot clamp). */
function rSeqBy(from: number, to: number, by: number): number[] {
  const del = to - from;
  if (Math.abs(del) / Math.max(Math.abs(to), Math.abs(from)) < 100 * Number.EPSILON) return [from];
  const n = Math.trunc(del / by + 1e-10);
  const out: number[] = [];
  for (let k = 0; k <= n; k++) out.push(Math.min(from + k * by, to));
  return out;
}

/** R's sd (n − 1 divisor). */
function sd(x: Float64Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m += x[i]!;
  m /= x.length;
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += (x[i]! - m) * (x[i]! - m);
  return Math.sqrt(ss / (x.length - 1));
}

function range(x: Float64Array): [number, number] {
  let min = Infinity,
    max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

function describeCut(c: unknown): string {
  return typeof c === 'string' ? `"${c}"` : JSON.stringify(c);
}

/** The breaks vector (with ±∞) for one numeric covariate, or null for no binning; 'drop' to leave it out. */
function breaksFor(name: string, x: Float64Array, spec: CemCutpoints): Float64Array | null | 'drop' {
  const fix = `use 'sturges', 'scott', 'q<k>' (k ≥ 2 equal-count bins), a whole number of bins, or an array of boundaries`;
  if (Array.isArray(spec)) {
    const b = (spec as readonly unknown[]).map((v) => (typeof v === 'number' ? v : NaN));
    if (b.length === 0 || b.some((v) => !Number.isFinite(v))) {
      badArgument('cutpoints', `cutpoints for \`${name}\` must be finite numbers, received ${describeCut(spec)}: ${fix}`);
    }
    const u = [...new Set(b)].sort((a, c) => a - c);
    return Float64Array.from([-Infinity, ...u, Infinity]);
  }
  let bins: number;
  if (typeof spec === 'string') {
    const q = /^q(\d+)$/.exec(spec);
    if (q) {
      const k = Number(q[1]);
      if (!(k >= 2)) badArgument('cutpoints', `cutpoints "${spec}" for \`${name}\` asks for fewer than 2 quantile bins: ${fix}`);
      const sorted = Float64Array.from(x).sort();
      const inner = rQuantile7(sorted, rSeqBy(1 / k, 1 - 1 / k, 1 / k));
      const u = [...new Set(inner)].sort((a, c) => a - c);
      return Float64Array.from([-Infinity, ...u, Infinity]);
    }
    if (spec === 'sturges') bins = Math.ceil(Math.log2(x.length) + 1);
    else if (spec === 'scott') {
      const [min, max] = range(x);
      const h = 3.5 * sd(x) * x.length ** (-1 / 3);
      bins = h > 0 ? Math.max(1, Math.ceil((max - min) / h)) : 1;
    } else {
      badArgument('cutpoints', `cutpoints for \`${name}\` is ${describeCut(spec)}, not a known rule: ${fix} ('fd' is not supported)`);
    }
  } else if (typeof spec === 'number') {
    if (!(Number.isInteger(spec) && spec >= 0))
      badArgument('cutpoints', `cutpoints for \`${name}\` must be a whole number of bins ≥ 0, received ${spec}: ${fix}`);
    if (spec === 0) return null;
    if (spec === 1) return 'drop';
    bins = spec;
  } else {
    badArgument('cutpoints', `cutpoints for \`${name}\` is ${describeCut(spec)}: ${fix}`);
  }
  const [min, max] = range(x);
  const br = rSeqLength(min, max, bins + 1);
  br[0] = -Infinity;
  br[bins] = Infinity;
  return br;
}

/** R's findInterval(x, breaks) with breaks starting at −∞: the number of breaks ≤ x. */
function findInterval(x: number, breaks: Float64Array): number {
  let lo = 0,
    hi = breaks.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (breaks[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function isPerCovariate(c: CemOptions['cutpoints']): c is Readonly<Record<string, CemCutpoints>> {
  return typeof c === 'object' && c !== null && !Array.isArray(c);
}

/**
 * Coarsened exact matching for the ATT (MatchIt 4.7 `matchit(method = "cem")`, without k2k).
 *
 * Each numeric covariate is cut into bins (`cutpoints`; Sturges' rule by default: ⌈log2 n + 1⌉
 * equal-width bins between its minimum and maximum, a value on a boundary in the higher bin);
 * categorical covariates keep their levels, merged as `grouping` says. Units with the same
 * coarsened values on every covariate form a stratum; strata without both treated and control
 * units are dropped. Strata are numbered 1 … S in order of first appearance among the units of
 * the first row's group (as MatchIt). Weights: treated 1; a control n_treated(s) / n_control(s),
 * rescaled so the control weights sum to the number of matched controls. No pairs (pair-based
 * SEs do not apply: use a weighted regression).
 *
 * Cost: O(n · p) with hashing, plus one sort per quantile-binned covariate.
 * @throws CounterfactError naming the option or column: unknown or missing-valued covariates,
 *   a bad `cutpoints` or `grouping` entry (e.g. cutpoints on a text column, an unknown level),
 *   or no stratum holding both groups (coarsen further).
 * @example
 * const m = matchCEM(lalonde, { treatment: 'treat', covariates: ['age', 'race', 'married', 'educ'], cutpoints: { educ: 5 } });
 * m.subclassCount;           // strata kept
 * m.counts.matchedTreated;   // treated units with a control of the same coarsened profile
 */
export function matchCEM(data: TableInput, options: CemOptions): CemResult {
  const table: Table = toTable(data);
  const n = table.nRows;
  if (!options || typeof options.treatment !== 'string') badArgument('treatment', 'matchCEM needs options.treatment: the name of the treatment column');
  const covariates = options.covariates;
  if (!Array.isArray(covariates) || covariates.length === 0) {
    badArgument('covariates', 'matchCEM needs options.covariates: a non-empty list of the columns that define the strata');
  }
  const dup = covariates.find((c, k) => covariates.indexOf(c) !== k);
  if (dup !== undefined) badArgument('covariates', `covariate \`${dup}\` is listed twice: list each once`);
  const treatment = resolveTreatment(table, options.treatment, options.treatedValue);
  if (covariates.includes(options.treatment))
    badArgument('covariates', `the treatment column \`${options.treatment}\` cannot also be a covariate: remove it from covariates`);

  const grouping = options.grouping ?? {};
  if (typeof grouping !== 'object' || grouping === null || Array.isArray(grouping)) {
    badArgument('grouping', 'grouping must be an object with an entry per categorical covariate: { race: [["white", "hispan"]] }');
  }
  const categorical = new Set(options.categorical ?? []);
  for (const c of categorical)
    if (!covariates.includes(c)) badArgument('categorical', `\`${c}\` is in categorical but not in covariates: add it to covariates or remove it`);
  for (const g of Object.keys(grouping))
    if (!covariates.includes(g)) badArgument('grouping', `\`${g}\` is in grouping but not in covariates: add it to covariates or remove it from grouping`);
  const cutOpt = options.cutpoints ?? 'sturges';
  const perCov = isPerCovariate(cutOpt) ? cutOpt : null;
  if (perCov) {
    for (const c of Object.keys(perCov)) {
      if (!covariates.includes(c)) badArgument('cutpoints', `\`${c}\` is in cutpoints but not in covariates: add it to covariates or remove it from cutpoints`);
      if (c in grouping)
        badArgument(
          'cutpoints',
          `\`${c}\` is in both cutpoints and grouping: use cutpoints for numeric covariates and grouping for categorical ones, not both`,
        );
      if (categorical.has(c)) badArgument('cutpoints', `\`${c}\` is in both cutpoints and categorical: remove one`);
    }
  }

  // Per covariate: dense codes 0 … L−1 of the coarsened values.
  let stratum = new Int32Array(n); // running dense id of the profile so far
  let nProfiles = 1;
  const breaksOut: Record<string, readonly number[]> = {};
  const cutsInForce: Record<string, CemCutpoints> = {};
  for (const name of covariates) {
    const col = getColumn(table, name, 'covariate');
    const codes = new Int32Array(n);
    let levels = 0;
    const asCategory = col.kind === 'categorical' || categorical.has(name) || name in grouping;
    if (asCategory) {
      if (perCov && name in perCov && col.kind === 'categorical') {
        badArgument('cutpoints', `\`${name}\` is categorical (text), so cutpoints do not apply: merge its levels with grouping instead`);
      }
      const groups = grouping[name];
      if (col.kind === 'categorical' && groups === undefined) {
        // Levels as they are: the column's own codes.
        let missing = 0;
        const rows: number[] = [];
        for (let i = 0; i < n; i++) {
          const c = col.codes[i]!;
          if (c < 0) {
            missing++;
            if (rows.length < 5) rows.push(i);
          }
          codes[i] = c;
        }
        if (missing > 0) {
          throw new CounterfactError({
            code: 'missing_values',
            column: name,
            rows,
            count: missing,
            message: `covariate \`${name}\` has ${missing} missing values (${describeRows(rows, missing)}): impute or drop those rows`,
          });
        }
        levels = col.levels.length;
      } else {
        let labels: string[];
        if (col.kind === 'categorical') {
          const missing: number[] = [];
          let count = 0;
          labels = new Array<string>(n);
          for (let i = 0; i < n; i++) {
            const c = col.codes[i]!;
            if (c < 0) {
              count++;
              if (missing.length < 5) missing.push(i);
            } else labels[i] = col.levels[c]!;
          }
          if (count > 0) {
            throw new CounterfactError({
              code: 'missing_values',
              column: name,
              rows: missing,
              count,
              message: `covariate \`${name}\` has ${count} missing values (${describeRows(missing, count)}): impute or drop those rows`,
            });
          }
        } else {
          const v = getNumeric(table, name, 'covariate');
          labels = Array.from(v, (x) => String(x));
        }
        if (groups !== undefined) {
          if (
            !Array.isArray(groups) ||
            groups.some((g) => !Array.isArray(g) || g.length === 0 || g.some((x: unknown) => typeof x !== 'string' && typeof x !== 'number'))
          ) {
            badArgument(
              'grouping',
              `grouping for \`${name}\` must be a list of groups, each a non-empty list of levels, e.g. [["a", "b"], ["c", "d"]], received ${JSON.stringify(groups)}`,
            );
          }
          const present = new Set(labels);
          for (const g of groups as readonly (readonly (string | number)[])[]) {
            const vals = g.map((x) => String(x));
            const unknown = vals.filter((v) => !present.has(v));
            if (unknown.length > 0) {
              badArgument(
                'grouping',
                `grouping for \`${name}\` names level(s) ${unknown.map((u) => `"${u}"`).join(', ')} not in the data (levels: ${[...present]
                  .sort()
                  .slice(0, 10)
                  .map((u) => `"${u}"`)
                  .join(', ')}${present.size > 10 ? ', …' : ''}): fix the spelling or remove them`,
              );
            }
            const set = new Set(vals);
            const to = vals[0]!;
            for (let i = 0; i < n; i++) if (set.has(labels[i]!)) labels[i] = to;
          }
        }
        const map = new Map<string, number>();
        for (let i = 0; i < n; i++) {
          let c = map.get(labels[i]!);
          if (c === undefined) map.set(labels[i]!, (c = map.size));
          codes[i] = c;
        }
        levels = map.size;
      }
    } else {
      const x = getNumeric(table, name, 'covariate');
      const spec: CemCutpoints = perCov ? (perCov[name] ?? 'sturges') : (cutOpt as CemCutpoints);
      cutsInForce[name] = spec;
      const br = n > 0 ? breaksFor(name, x, spec) : null;
      if (br === 'drop') continue;
      if (br) {
        // Bin k of the breaks (1 … length − 1), as findInterval.
        for (let i = 0; i < n; i++) codes[i] = findInterval(x[i]!, br);
        levels = br.length;
        breaksOut[name] = Array.from(br.subarray(1, br.length - 1));
      } else {
        const map = new Map<number, number>();
        for (let i = 0; i < n; i++) {
          const key = x[i]! === 0 ? 0 : x[i]!; // −0 and 0 alike
          let c = map.get(key);
          if (c === undefined) map.set(key, (c = map.size));
          codes[i] = c;
        }
        levels = map.size;
      }
    }
    // Combine with the profile so far and renumber densely: a lookup array when the product
    // of the sizes is small, else a hash map (keys stay below 2^53 for n < 9e7).
    const next = new Int32Array(n);
    const size = nProfiles * levels;
    let count = 0;
    if (size <= Math.max(1 << 22, 4 * n)) {
      const lookup = new Int32Array(size).fill(-1);
      for (let i = 0; i < n; i++) {
        const key = stratum[i]! * levels + codes[i]!;
        let c = lookup[key]!;
        if (c < 0) lookup[key] = c = count++;
        next[i] = c;
      }
    } else {
      const map = new Map<number, number>();
      for (let i = 0; i < n; i++) {
        const key = stratum[i]! * levels + codes[i]!;
        let c = map.get(key);
        if (c === undefined) map.set(key, (c = count++));
        next[i] = c;
      }
    }
    stratum = next;
    nProfiles = count;
  }

  // Strata holding both groups, numbered by first appearance among the first row's group.
  const hasT = new Uint8Array(nProfiles),
    hasC = new Uint8Array(nProfiles);
  for (let i = 0; i < n; i++) (treatment[i] ? hasT : hasC)[stratum[i]!] = 1;
  const id = new Int32Array(nProfiles);
  let S = 0;
  const first = treatment[0];
  for (let i = 0; i < n; i++) {
    const s = stratum[i]!;
    if (treatment[i] === first && hasT[s] && hasC[s] && id[s] === 0) id[s] = ++S;
  }
  if (S === 0) {
    throw new CounterfactError({
      code: 'no_overlap',
      column: 'cutpoints',
      message:
        'no stratum holds both treated and control units, so no units were matched: coarsen further (fewer bins in cutpoints, merge levels with grouping) or match on fewer covariates',
    });
  }
  const subclass = new Int32Array(n);
  const unmatched: UnmatchedUnit[] = [];
  for (let i = 0; i < n; i++) {
    subclass[i] = id[stratum[i]!]!;
    if (subclass[i] === 0 && treatment[i]) unmatched.push({ index: i, reason: 'no-control-in-stratum' });
  }
  const warnings =
    unmatched.length > 0
      ? [
          `${unmatched.length} treated unit(s) have no control with the same coarsened covariates and are dropped: coarsen further (fewer bins, grouping) to keep more of them`,
        ]
      : [];
  const result = buildSubclassResult({
    method: 'cem',
    treatment,
    distance: null,
    subclass,
    subclassCount: S,
    discarded: new Uint8Array(n),
    unmatchedTreated: unmatched,
    settings: {
      method: 'cem',
      estimand: 'ATT',
      covariates: [...covariates],
      cutpoints: cutsInForce,
      grouping,
      categorical: [...categorical],
      k2k: false,
    },
    warnings,
  });
  return Object.freeze({ ...result, breaks: breaksOut });
}
