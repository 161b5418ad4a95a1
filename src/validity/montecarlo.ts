/**
 * Monte Carlo validity of the estimators: seeded synthetic designs with a known population
 * ATT (selection on observables), many replications, and for each estimator/SE pair the bias,
 * RMSE and coverage of nominal 95% intervals.
 */
import { estimateATT } from '../effects/index.js';
import { fromColumns } from '../data/table.js';
import { matchNearest } from '../matching/nearest.js';
import { fitPropensity } from '../propensity/index.js';
import { createRng, type Rng } from '../random.js';
import { normalQuantile } from '../stats/distributions.js';
import { logistic } from '../synth/common.js';

export interface Design {
  readonly name: string;
  readonly description: string;
  readonly n: number;
  /** Draw one sample: covariates, treatment, outcome. */
  draw(rng: Rng, n: number): { x1: Float64Array; x2: Float64Array; x3: Float64Array; t: Float64Array; y: Float64Array };
  /** Population ATT (computed once by a large simulation). */
  readonly truthSamples?: number;
}

function covariates(rng: Rng, n: number) {
  const x1 = new Float64Array(n),
    x2 = new Float64Array(n),
    x3 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x1[i] = rng.normal();
    x2[i] = rng.normal();
    x3[i] = rng.next() < 0.4 ? 1 : 0;
  }
  return { x1, x2, x3 };
}

function continuousDesign(
  name: string,
  description: string,
  sel: number,
  effect: (x1: number) => number,
): Design & { effect: (x1: number) => number; sel: number } {
  return {
    name,
    description,
    n: 1000,
    sel,
    effect,
    draw(rng, n) {
      const { x1, x2, x3 } = covariates(rng, n);
      const t = new Float64Array(n),
        y = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        t[i] = rng.next() < logistic(-1.4 + sel * (0.8 * x1[i]! - 0.6 * x2[i]! + 0.5 * x3[i]!)) ? 1 : 0;
        y[i] = 1 + x1[i]! + 0.5 * x2[i]! + 0.5 * x3[i]! + t[i]! * effect(x1[i]!) + rng.normal();
      }
      return { x1, x2, x3, t, y };
    },
  };
}

export const DESIGNS: readonly Design[] = [
  continuousDesign('good overlap, constant effect', 'n = 1000, ~24% treated, Y = 1 + x1 + .5 x2 + .5 x3 + 1·T + N(0,1), modest selection', 1, () => 1),
  continuousDesign('poor overlap, constant effect', 'as above with selection coefficients ×2.5: treated concentrated where controls are rare', 2.5, () => 1),
  continuousDesign('good overlap, heterogeneous effect', 'effect 1 + x1 (the ATT is 1 + E[x1 | T = 1])', 1, (x1) => 1 + x1),
  {
    name: 'good overlap, binary outcome',
    description: 'P(Y = 1) = logistic(−0.3 + 0.8 x1 + 0.4 x2 + 0.6 T); ATT on the probability scale',
    n: 1000,
    draw(rng, n) {
      const { x1, x2, x3 } = covariates(rng, n);
      const t = new Float64Array(n),
        y = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        t[i] = rng.next() < logistic(-1.4 + (0.8 * x1[i]! - 0.6 * x2[i]! + 0.5 * x3[i]!)) ? 1 : 0;
        y[i] = rng.next() < logistic(-0.3 + 0.8 * x1[i]! + 0.4 * x2[i]! + 0.6 * t[i]!) ? 1 : 0;
      }
      return { x1, x2, x3, t, y };
    },
  },
];

/** Population ATT by simulation with potential outcomes (seeded; 2 million draws). */
export function populationATT(design: Design, seed = 99, n = 2_000_000): number {
  const rng = createRng(seed);
  const d = design as Design & { effect?: (x1: number) => number; sel?: number };
  let s = 0,
    c = 0;
  for (let i = 0; i < n; i++) {
    const x1 = rng.normal(),
      x2 = rng.normal(),
      x3 = rng.next() < 0.4 ? 1 : 0;
    const sel = d.sel ?? 1;
    if (rng.next() < logistic(-1.4 + sel * (0.8 * x1 - 0.6 * x2 + 0.5 * x3))) {
      c++;
      s += d.effect ? d.effect(x1) : logistic(-0.3 + 0.8 * x1 + 0.4 * x2 + 0.6) - logistic(-0.3 + 0.8 * x1 + 0.4 * x2);
    }
  }
  return s / c;
}

export interface ValidityRow {
  readonly design: string;
  readonly estimator: string;
  readonly se: string;
  /** The SE docs/estimation.md recommends for this estimator. */
  readonly recommended: boolean;
  readonly bias: number;
  readonly rmse: number;
  readonly coverage: number;
  readonly meanSe: number;
  readonly sdEstimate: number;
  readonly reps: number;
}

/** One estimator × SE combination of the study. */
export interface StudyEstimator {
  readonly estimator: string;
  readonly se: string;
  readonly match: { readonly replace: boolean; readonly ties?: boolean };
  readonly seMethod: 'ai' | 'ai-ps' | 'pairs';
  readonly J: number;
  /** Report Matching's se.standard instead of the SE. */
  readonly standard: boolean;
  /**
   * Adjust for the score's covariates (x1, x2, x3): Abadie–Imbens (2011) bias correction with
   * 'ai', the interacted (g-computation) regression on the matched sample with 'pairs'. The
   * two give the same estimate; they differ in the SE.
   */
  readonly adjust: boolean;
  /** With 'pairs' and adjust: the conditional SE (`conditionalSe`). */
  readonly conditional?: boolean;
  /** With 'pairs' and adjust: the additive model y ~ T + x (`adjustModel: 'additive'`). */
  readonly additive?: boolean;
  /** The SE docs/estimation.md recommends for this estimator. */
  readonly recommended: boolean;
}

/** The covariates the score is fitted on, also used for the adjustment. */
const ADJUST = ['x1', 'x2', 'x3'];

const NOREP = { replace: false } as const;
const REP = { replace: true } as const;
const TIES = { replace: true, ties: true } as const;
const e = (
  estimator: string,
  se: string,
  match: StudyEstimator['match'],
  seMethod: StudyEstimator['seMethod'],
  J: number,
  extra: Partial<StudyEstimator> = {},
): StudyEstimator => ({ estimator, se, match, seMethod, J, standard: false, adjust: false, recommended: false, ...extra });

export const ESTIMATORS: readonly StudyEstimator[] = [
  e('nearest 1:1 without replacement', 'pairs (cluster-robust by pair)', NOREP, 'pairs', 0),
  e('nearest 1:1 without replacement, adjusted for x', 'pairs (g-computation regression, cluster-robust by pair, population ATT)', NOREP, 'pairs', 0, {
    adjust: true,
    recommended: true,
  }),
  e('nearest 1:1 without replacement, adjusted for x', 'pairs, conditional (lm + vcovCL as R reports it)', NOREP, 'pairs', 0, {
    adjust: true,
    conditional: true,
  }),
  e('nearest 1:1 without replacement, adjusted for x', 'ai (J = 0, Abadie–Imbens 2011 bias-corrected)', NOREP, 'ai', 0, { adjust: true }),
  e('nearest 1:1 without replacement, additive regression y ~ T + x', 'pairs (cluster-robust by pair)', NOREP, 'pairs', 0, { adjust: true, additive: true }),
  e('nearest 1:1 with replacement (MatchIt)', 'ai (J = 0)', REP, 'ai', 0),
  e('nearest 1:1 with replacement (MatchIt)', 'ai (J = 1, heteroskedastic)', REP, 'ai', 1),
  e('nearest 1:1 with replacement (MatchIt)', 'naive paired (se.standard, ignores reuse)', REP, 'ai', 0, { standard: true }),
  e('nearest 1:1 with replacement (MatchIt)', 'ai-ps (J = 0, Abadie–Imbens 2016 estimated-score adjustment)', REP, 'ai-ps', 0),
  e('nearest 1:1 with replacement (MatchIt)', 'ai-ps (J = 1, Abadie–Imbens 2016 estimated-score adjustment)', REP, 'ai-ps', 1, { recommended: true }),
  e('nearest 1:1 with replacement, adjusted for x', 'pairs (g-computation regression, HC1 by unit, population ATT)', REP, 'pairs', 0, {
    adjust: true,
    recommended: true,
  }),
  e('nearest 1:1 with replacement, adjusted for x', 'ai (J = 0, Abadie–Imbens 2011 bias-corrected)', REP, 'ai', 0, { adjust: true }),
  e('nearest 1:1 with replacement, adjusted for x', 'ai (J = 1, Abadie–Imbens 2011 bias-corrected)', REP, 'ai', 1, { adjust: true }),
  e('nearest 1:1 with replacement, ties', 'ai (J = 0)', TIES, 'ai', 0),
  e('nearest 1:1 with replacement, ties', 'ai (J = 1, heteroskedastic)', TIES, 'ai', 1),
  e('nearest 1:1 with replacement, ties', 'naive paired (se.standard, ignores reuse)', TIES, 'ai', 0, { standard: true }),
  e('nearest 1:1 with replacement, ties', 'ai-ps (J = 1, Abadie–Imbens 2016 estimated-score adjustment)', TIES, 'ai-ps', 1),
  e('nearest 1:1 with replacement, ties, adjusted for x', 'pairs (g-computation regression, HC1 by unit, population ATT)', TIES, 'pairs', 0, {
    adjust: true,
    recommended: true,
  }),
];

/**
 * Run the Monte Carlo study. Deterministic for a seed (each replication has its own derived
 * stream). Cost: O(designs × reps × n log n).
 */
export function runValidity(
  options: {
    reps?: number;
    seed?: number;
    designs?: readonly Design[];
    estimators?: readonly StudyEstimator[];
    onRep?: (design: string, rep: number) => void;
  } = {},
): ValidityRow[] {
  const estimators = options.estimators ?? ESTIMATORS;
  const reps = options.reps ?? 500;
  const z = normalQuantile(0.975);
  const rows: ValidityRow[] = [];
  for (const design of options.designs ?? DESIGNS) {
    const truth = populationATT(design);
    const est = estimators.map(() => ({ e: [] as number[], se: [] as number[], cover: 0 }));
    const rng = createRng(options.seed ?? 2026);
    for (let r = 0; r < reps; r++) {
      const stream = rng.fork();
      const s = design.draw(stream, design.n);
      const table = fromColumns({ t: s.t, x1: s.x1, x2: s.x2, x3: s.x3, y: s.y });
      const fit = fitPropensity(table, { treatment: 't', covariates: ['x1', 'x2', 'x3'] });
      const cache = new Map<string, ReturnType<typeof matchNearest>>();
      estimators.forEach((E, k) => {
        const key = JSON.stringify(E.match);
        let m = cache.get(key);
        if (!m) cache.set(key, (m = matchNearest(fit, E.match)));
        const r = estimateATT(table, m, {
          outcome: 'y',
          se: E.seMethod,
          varMatches: E.J,
          propensity: fit,
          ...(E.adjust ? { adjust: ADJUST } : {}),
          ...(E.conditional ? { conditionalSe: true } : {}),
          ...(E.additive ? { adjustModel: 'additive' as const } : {}),
        });
        const se = E.standard ? r.seStandard! : r.se!;
        est[k]!.e.push(r.estimate);
        est[k]!.se.push(se);
        if (Math.abs(r.estimate - truth) <= z * se) est[k]!.cover++;
      });
      options.onRep?.(design.name, r);
    }
    estimators.forEach((E, k) => {
      const x = est[k]!;
      const mean = x.e.reduce((a, b) => a + b, 0) / reps;
      const mse = x.e.reduce((a, b) => a + (b - truth) ** 2, 0) / reps;
      const sd = Math.sqrt(x.e.reduce((a, b) => a + (b - mean) ** 2, 0) / (reps - 1));
      rows.push({
        design: design.name,
        estimator: E.estimator,
        se: E.se,
        recommended: E.recommended,
        bias: mean - truth,
        rmse: Math.sqrt(mse),
        coverage: x.cover / reps,
        meanSe: x.se.reduce((a, b) => a + b, 0) / reps,
        sdEstimate: sd,
        reps,
      });
    });
  }
  return rows;
}
