/**
 * Sharded studies: past one machine, a study with exact strata (province, cohort month, …)
 * splits into independent per-stratum jobs. Each job exports a small summary of sums; the
 * summaries combine exactly into the ATT, its Abadie–Imbens (homoskedastic) variance, the
 * counts and the balance means / SMDs / variance ratios of the whole study.
 */
import type { MatchResult } from '../contracts.js';
import { buildDesign, isBinary } from '../data/design.js';
import { getNumeric, type Table } from '../data/table.js';
import { addAiSums, aiMoments, aiStatistics, ZERO_AI_SUMS, type AiSums } from '../effects/aiStats.js';
import { CounterfactError } from '../problems.js';
import { normalQuantile, twoSidedP } from '../stats/distributions.js';

interface Moments {
  n: number;
  w: number;
  w2: number;
  x: number;
  x2: number;
}

/** What one shard exports: sums only (no unit rows). */
export interface ShardSummary {
  readonly kind: 'ShardSummary';
  readonly shard: string;
  readonly counts: { treated: number; controls: number; matchedTreated: number; matchedControls: number };
  /** The Abadie–Imbens sufficient statistics (src/effects/aiStats.ts). */
  readonly att: AiSums;
  /** Per design column: treated and control moments before (unweighted) and after (raw match weights). */
  readonly balance: Readonly<Record<string, { binary: boolean; tb: Moments; cb: Moments; ta: Moments; ca: Moments }>>;
}

function moments(v: Float64Array, sel: (i: number) => number): Moments {
  const m: Moments = { n: 0, w: 0, w2: 0, x: 0, x2: 0 };
  for (let i = 0; i < v.length; i++) {
    const w = sel(i);
    if (w <= 0) continue;
    m.n++;
    m.w += w;
    m.w2 += w * w;
    m.x += w * v[i]!;
    m.x2 += w * v[i]! * v[i]!;
  }
  return m;
}

/**
 * Summarise one shard's match for exact combination. Balance uses the raw match weights
 * (treated 1, controls Σ 1/M_i) so that the global rescaling can be applied after combining.
 * Cost: O(n · columns + matches).
 */
export function summarizeShard(
  shard: string,
  data: Table,
  match: MatchResult,
  options: { outcome: string; covariates: readonly string[]; categorical?: readonly string[] },
): ShardSummary {
  const y = getNumeric(data, options.outcome, 'outcome', true);
  const p = match.pairs;
  const stats = aiStatistics(match, y);
  // Raw match weights: treated 1, controls Σ 1/M_i (K_j).
  const raw = Float64Array.from(stats.K);
  for (let m = 0; m < p.treated.length; m++) raw[p.treated[m]!] = 1;
  const design = buildDesign(data, options.covariates, { categorical: options.categorical, allLevels: true });
  const balance: Record<string, { binary: boolean; tb: Moments; cb: Moments; ta: Moments; ca: Moments }> = {};
  design.columns.forEach((v, k) => {
    balance[design.names[k]!] = {
      binary: isBinary(v),
      tb: moments(v, (i) => (match.treatment[i] ? 1 : 0)),
      cb: moments(v, (i) => (match.treatment[i] ? 0 : 1)),
      ta: moments(v, (i) => (match.treatment[i] ? raw[i]! : 0)),
      ca: moments(v, (i) => (match.treatment[i] ? 0 : raw[i]!)),
    };
  });
  return {
    kind: 'ShardSummary',
    shard,
    counts: {
      treated: match.counts.treated,
      controls: match.counts.controls,
      matchedTreated: match.counts.matchedTreated,
      matchedControls: match.counts.matchedControls,
    },
    att: stats.sums,
    balance,
  };
}

export interface CombinedResult {
  readonly kind: 'CombinedResult';
  readonly shards: readonly string[];
  readonly counts: { treated: number; controls: number; matchedTreated: number; matchedControls: number };
  readonly estimate: number;
  /** Abadie–Imbens (2006) homoskedastic SE (Matching's Var.calc = 0) of the whole study. */
  readonly se: number;
  readonly ciLower: number;
  readonly ciUpper: number;
  readonly pValue: number;
  readonly meanTreated: number;
  readonly meanControl: number;
  readonly balance: readonly {
    covariate: string;
    smdBefore: number;
    smdAfter: number;
    varianceRatioAfter: number | null;
    meanTreatedAfter: number;
    meanControlAfter: number;
  }[];
}

const add = (a: Moments, b: Moments): Moments => ({ n: a.n + b.n, w: a.w + b.w, w2: a.w2 + b.w2, x: a.x + b.x, x2: a.x2 + b.x2 });
const zero = (): Moments => ({ n: 0, w: 0, w2: 0, x: 0, x2: 0 });
/** Weighted variance Σw(x − x̄)² / (Σw − Σw²/Σw), from sums (scale-invariant in w). */
const wvar = (m: Moments) => (m.x2 - (m.x * m.x) / m.w) / (m.w - m.w2 / m.w);

/**
 * Combine shard summaries exactly: the ATT and its AI variance are sums over shards, the
 * balance statistics come from summed moments with the control weights rescaled globally
 * (as MatchIt: to the number of matched controls). eCDF statistics need whole distributions
 * and are not combined.
 * @throws CounterfactError when a shard repeats or a covariate is missing from a shard.
 */
export function combineShards(summaries: readonly ShardSummary[], level = 0.95): CombinedResult {
  const names = new Set<string>();
  for (const s of summaries) {
    if (names.has(s.shard))
      throw new CounterfactError({ code: 'bad_argument', column: 'shard', message: `shard "${s.shard}" appears twice: each stratum must be summarised once` });
    names.add(s.shard);
  }
  let A: AiSums = ZERO_AI_SUMS;
  const counts = { treated: 0, controls: 0, matchedTreated: 0, matchedControls: 0 };
  for (const s of summaries) {
    A = addAiSums(A, s.att);
    for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] += s.counts[k];
  }
  const ai = aiMoments(A);
  const tau = ai.tau;
  const se = Math.sqrt(ai.variance);
  const z = normalQuantile(1 - (1 - level) / 2);
  const covs = Object.keys(summaries[0]?.balance ?? {});
  let rawControlWeight = 0;
  const first = covs[0];
  if (first) for (const s of summaries) rawControlWeight += s.balance[first]!.ca.w;
  const scale = rawControlWeight > 0 ? counts.matchedControls / rawControlWeight : 1;
  const balance = covs.map((cov) => {
    let tb = zero(),
      cb = zero(),
      ta = zero(),
      ca = zero();
    let binary = true;
    for (const s of summaries) {
      const b = s.balance[cov];
      if (!b)
        throw new CounterfactError({
          code: 'bad_argument',
          column: cov,
          message: `covariate level \`${cov}\` is missing from shard "${s.shard}": summarise every shard with the same covariates`,
        });
      tb = add(tb, b.tb);
      cb = add(cb, b.cb);
      ta = add(ta, b.ta);
      ca = add(ca, b.ca);
      binary &&= b.binary;
    }
    const caScaled: Moments = { n: ca.n, w: ca.w * scale, w2: ca.w2 * scale * scale, x: ca.x * scale, x2: ca.x2 * scale };
    const mT = tb.x / tb.w;
    const sd = binary ? Math.sqrt(mT * (1 - mT)) : Math.sqrt(wvar(tb));
    const mTa = ta.x / ta.w;
    const mCa = caScaled.x / caScaled.w;
    return {
      covariate: cov,
      smdBefore: (mT - cb.x / cb.w) / sd,
      smdAfter: (mTa - mCa) / sd,
      varianceRatioAfter: binary ? null : wvar(ta) / wvar(caScaled),
      meanTreatedAfter: mTa,
      meanControlAfter: mCa,
    };
  });
  return {
    kind: 'CombinedResult',
    shards: [...names],
    counts,
    estimate: tau,
    se,
    ciLower: tau - z * se,
    ciUpper: tau + z * se,
    pValue: twoSidedP(tau / se),
    meanTreated: ai.meanTreated,
    meanControl: ai.meanControl,
    balance,
  };
}
