/**
 * The method table: the one place `evaluate()`, `counterfact estimate --method …` and the study
 * file's `matching.method` dispatch through. Each entry declares its options once (type, bounds,
 * default, help); the study-file schema, the CLI flags and the checks on library calls are all
 * built from those declarations.
 *
 * Adding a method: write it in its own file so it returns a `MatchResult`, then add one entry
 * here. Nothing else has to change.
 */
import { z } from 'zod';
import type { MatchResult, PropensityFit } from '../contracts.js';
import { getNumeric, type Table } from '../data/table.js';
import { badArgument, CounterfactError } from '../problems.js';
import { matchCEM, type CemCutpoints } from './cem.js';
import { matchGeographic } from './geographic.js';
import { KERNEL_NAMES, matchKernel, matchRadius, type Kernel } from './kernel.js';
import { matchMahalanobis } from './mahalanobis.js';
import { matchNearest, type NearestOptions } from './nearest.js';
import { subclassify } from './subclass.js';
import { weightIPW } from '../weighting/ipw.js';

/** How one option is given: its type and bounds, its default and a line of help. */
export type OptionSpec =
  | { readonly kind: 'integer'; readonly min: number; readonly max?: number; readonly default?: number; readonly help: string }
  | { readonly kind: 'number'; readonly min?: number; readonly exclusiveMin?: boolean; readonly max?: number; readonly default?: number; readonly help: string }
  | { readonly kind: 'boolean'; readonly default?: boolean; readonly help: string }
  | { readonly kind: 'enum'; readonly values: readonly string[]; readonly default?: string; readonly help: string }
  | { readonly kind: 'column'; readonly help: string }
  | { readonly kind: 'columns'; readonly help: string }
  /** Column → positive number, written `a=0.2,b=0.1` on the command line. */
  | { readonly kind: 'calipers'; readonly help: string };

/** What a method gets to work with: the data, the treatment, the fitted propensity model. */
export interface MethodContext {
  readonly table: Table;
  /** The fitted propensity model (always fitted: its scores feed the overlap diagnostics). */
  readonly propensity: PropensityFit;
  /** Covariates of the propensity model (the default for covariate-based methods). */
  readonly covariates: readonly string[];
  readonly categorical: readonly string[];
  readonly treatmentColumn: string;
  readonly treatedValue?: string | number;
}

export interface MatchingMethod {
  readonly name: string;
  /** One line for help texts. */
  readonly summary: string;
  /** Options, by their library name (the CLI flag is the kebab-case form: `caliperScale` → `--caliper-scale`). */
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Options that must be given. */
  readonly required?: readonly string[];
  /** The standard error used when none is asked for. */
  readonly defaultSe: 'ai' | 'pairs';
  /** Whether the result has treated–control pairs (false: weights or subclasses only). */
  readonly pairs: boolean;
  run(ctx: MethodContext, options: Readonly<Record<string, unknown>>): MatchResult;
}

const DISTANCE: OptionSpec = {
  kind: 'enum',
  values: ['probability', 'linear', 'logit'],
  default: 'probability',
  help: 'scale matched on: probability (MatchIt default); linear = linear predictor of the link (MatchIt linear.logit/linear.probit); logit = qlogis(p)',
};
const DISCARD: OptionSpec = {
  kind: 'enum',
  values: ['none', 'treated', 'control', 'both'],
  default: 'none',
  help: 'common-support rule on the distance (as MatchIt)',
};
const RATIO: OptionSpec = { kind: 'integer', min: 1, default: 1, help: 'controls per treated unit' };
const REPLACE: OptionSpec = { kind: 'boolean', default: false, help: 'match with replacement (a control may serve several treated units)' };

const NEAREST: MatchingMethod = {
  name: 'nearest',
  pairs: true,
  summary: 'nearest neighbour on the propensity score (MatchIt method = "nearest", same ties as MatchIt 4.7.2)',
  defaultSe: 'ai',
  options: {
    ratio: { kind: 'number', min: 1, default: 1, help: 'controls per treated unit (the average with --max-controls)' },
    replace: REPLACE,
    reuseMax: { kind: 'integer', min: 1, help: 'at most this many treated units per control (MatchIt reuse.max; > 1 implies replacement)' },
    minControls: { kind: 'integer', min: 1, help: 'variable ratio: fewest controls per treated unit (MatchIt min.controls) [1]' },
    maxControls: { kind: 'integer', min: 2, help: 'variable ratio: most controls per treated unit (MatchIt max.controls)' },
    caliper: { kind: 'number', min: 0, exclusiveMin: true, help: 'maximum distance between matched units [none]' },
    caliperScale: { kind: 'enum', values: ['sd', 'raw'], default: 'sd', help: 'caliper in SDs of the distance (and of each caliper covariate), or raw units' },
    covariateCalipers: { kind: 'calipers', help: 'calipers on numeric covariates, e.g. age=0.5,re74=0.2 (MatchIt named caliper)' },
    distance: DISTANCE,
    order: {
      kind: 'enum',
      values: ['largest', 'smallest', 'random', 'data', 'closest', 'farthest'],
      help: 'order focal units are matched in; closest/farthest: pairs in order of their distance (MatchIt m.order) [largest; smallest for the ATC]',
    },
    estimand: {
      kind: 'enum',
      values: ['ATT', 'ATC'],
      default: 'ATT',
      help: 'ATT: each treated unit gets controls; ATC: each control gets treated units, the effect on the controls (MatchIt estimand)',
    },
    seed: { kind: 'integer', min: 0, default: 1, help: 'seed for --order random' },
    ties: { kind: 'boolean', default: false, help: 'with --replace: keep every tied control and split the weight (R Matching ties = TRUE)' },
    tieTolerance: { kind: 'number', min: 0, default: 1e-5, help: "with --ties: Matching's distance.tolerance on the squared standardised distance" },
    exact: { kind: 'columns', help: 'match only within strata of these columns' },
    discard: DISCARD,
  },
  run: (ctx, o) => matchNearest(ctx.propensity, { ...(o as NearestOptions), data: ctx.table }),
};

const MAHALANOBIS: MatchingMethod = {
  name: 'mahalanobis',
  pairs: true,
  summary:
    'nearest neighbour on the Mahalanobis distance of the covariates, optionally within a propensity caliper (MatchIt distance = "mahalanobis"; Matching Weight = 2)',
  defaultSe: 'ai',
  options: {
    mahalanobisCovariates: { kind: 'columns', help: 'covariates of the distance [the propensity covariates]' },
    covariance: {
      kind: 'enum',
      values: ['pooled', 'full'],
      default: 'pooled',
      help: 'pooled within-group covariance (MatchIt) or whole-sample (Matching Weight = 2)',
    },
    ratio: RATIO,
    replace: REPLACE,
    caliper: { kind: 'number', min: 0, exclusiveMin: true, help: 'propensity-score caliper in SDs of the score [none]' },
    ties: { kind: 'boolean', default: false, help: 'keep every control tied at the nearest distance, weight split (R Matching ties = TRUE; needs --replace)' },
    tieTolerance: { kind: 'number', min: 0, default: 1e-5, help: 'with --ties, tolerance on the squared Mahalanobis distance (Matching distance.tolerance)' },
    order: {
      kind: 'enum',
      values: ['data', 'largest', 'smallest'],
      help: 'order the treated are matched in: data order, or by propensity score (MatchIt m.order) [data; largest with --caliper]',
    },
  },
  run: (ctx, o) => {
    const covs = (o.mahalanobisCovariates as string[] | undefined) ?? ctx.covariates;
    return matchMahalanobis(ctx.table, ctx.propensity.treatment, {
      covariates: covs,
      categorical: ctx.categorical.filter((c) => covs.includes(c)),
      ratio: o.ratio as number | undefined,
      replace: o.replace as boolean | undefined,
      covariance: o.covariance as 'pooled' | 'full' | undefined,
      caliper: o.caliper as number | undefined,
      fit: ctx.propensity,
      ties: o.ties as boolean | undefined,
      tieTolerance: o.tieTolerance as number | undefined,
      order: o.order as 'data' | 'largest' | 'smallest' | undefined,
    });
  },
};

const RADIUS: MatchingMethod = {
  name: 'radius',
  pairs: true,
  summary: 'every control within a radius of the score, weight 1/count (Stata psmatch2 radius)',
  defaultSe: 'pairs',
  required: ['caliper'],
  options: {
    caliper: { kind: 'number', min: 0, exclusiveMin: true, help: 'the radius, in units of the distance (required)' },
    distance: DISTANCE,
  },
  run: (ctx, o) => matchRadius(ctx.propensity, { caliper: o.caliper as number, distance: o.distance as 'probability' | 'logit' | 'linear' | undefined }),
};

const KERNEL: MatchingMethod = {
  name: 'kernel',
  pairs: true,
  summary: 'kernel-weighted controls around each treated score (Stata psmatch2 kernel)',
  defaultSe: 'pairs',
  options: {
    kernel: { kind: 'enum', values: KERNEL_NAMES, default: 'epanechnikov', help: 'kernel' },
    bandwidth: { kind: 'number', min: 0, exclusiveMin: true, default: 0.06, help: "bandwidth on the distance (psmatch2's default 0.06)" },
    distance: DISTANCE,
  },
  run: (ctx, o) =>
    matchKernel(ctx.propensity, {
      kernel: o.kernel as Kernel | undefined,
      bandwidth: o.bandwidth as number | undefined,
      distance: o.distance as 'probability' | 'logit' | 'linear' | undefined,
    }),
};

const GEOGRAPHIC: MatchingMethod = {
  name: 'geographic',
  pairs: true,
  summary: 'nearest neighbour on great-circle distance, within exact strata (firms, places)',
  defaultSe: 'ai',
  required: ['latitude', 'longitude'],
  options: {
    latitude: { kind: 'column', help: 'latitude column, degrees (required)' },
    longitude: { kind: 'column', help: 'longitude column, degrees (required)' },
    exact: { kind: 'columns', help: 'match only within strata of these columns' },
    ratio: RATIO,
    replace: REPLACE,
    caliperKm: { kind: 'number', min: 0, exclusiveMin: true, help: 'maximum distance in km [none]' },
  },
  run: (ctx, o) =>
    matchGeographic({
      lat: getNumeric(ctx.table, o.latitude as string, 'latitude'),
      lon: getNumeric(ctx.table, o.longitude as string, 'longitude'),
      treatment: ctx.propensity.treatment,
      exact: o.exact as string[] | undefined,
      data: ctx.table,
      ratio: o.ratio as number | undefined,
      replace: o.replace as boolean | undefined,
      caliperKm: o.caliperKm as number | undefined,
    }),
};

const IPW: MatchingMethod = {
  name: 'ipw',
  pairs: false,
  summary: 'inverse probability (odds) weighting for the ATT: controls weighted e/(1 − e)',
  defaultSe: 'pairs',
  options: {
    trim: { kind: 'number', min: 0, max: 0.5, help: 'drop units with a score below trim or above 1 − trim [none]' },
  },
  run: (ctx, o) => weightIPW(ctx.propensity, { trim: o.trim as number | undefined }),
};

const CEM: MatchingMethod = {
  name: 'cem',
  pairs: false,
  summary: 'coarsened exact matching (MatchIt method = "cem"): strata of coarsened covariates',
  defaultSe: 'pairs',
  options: {
    cemCovariates: { kind: 'columns', help: 'covariates that define the strata [the propensity covariates]' },
    cutpoints: { kind: 'enum', values: ['sturges', 'scott'], default: 'sturges', help: 'how numeric covariates are binned (MatchIt cutpoints)' },
    bins: { kind: 'integer', min: 1, help: 'instead of --cutpoints: this many equal-width bins for every numeric covariate' },
  },
  run: (ctx, o) => {
    const cut: CemCutpoints = o.bins !== undefined ? (o.bins as number) : ((o.cutpoints as 'sturges' | 'scott' | undefined) ?? 'sturges');
    const covs = (o.cemCovariates as string[] | undefined) ?? ctx.covariates;
    return matchCEM(ctx.table, {
      treatment: ctx.treatmentColumn,
      treatedValue: ctx.treatedValue,
      covariates: covs,
      cutpoints: cut,
      categorical: ctx.categorical.filter((c) => covs.includes(c)),
    });
  },
};

const SUBCLASS: MatchingMethod = {
  name: 'subclass',
  pairs: false,
  summary: 'propensity-score subclassification (MatchIt method = "subclass")',
  defaultSe: 'pairs',
  options: {
    subclasses: { kind: 'integer', min: 2, default: 6, help: 'number of subclasses (MatchIt subclass)' },
    minN: { kind: 'integer', min: 0, default: 1, help: 'fewest treated and control units per subclass (MatchIt min.n)' },
    distance: DISTANCE,
    discard: DISCARD,
  },
  run: (ctx, o) =>
    subclassify(ctx.propensity, {
      subclass: o.subclasses as number | undefined,
      minN: o.minN as number | undefined,
      distance: o.distance as 'probability' | 'logit' | 'linear' | undefined,
      discard: o.discard as 'none' | 'treated' | 'control' | 'both' | undefined,
    }),
};

/** Every matching and weighting method, by name. */
export const MATCHING_METHODS: Readonly<Record<string, MatchingMethod>> = Object.freeze({
  nearest: NEAREST,
  mahalanobis: MAHALANOBIS,
  radius: RADIUS,
  kernel: KERNEL,
  geographic: GEOGRAPHIC,
  ipw: IPW,
  cem: CEM,
  subclass: SUBCLASS,
});

export const MATCHING_METHOD_NAMES = Object.keys(MATCHING_METHODS);

/** The method of that name, or a CounterfactError listing the methods. */
export function matchingMethod(name: string): MatchingMethod {
  const m = Object.hasOwn(MATCHING_METHODS, name) ? MATCHING_METHODS[name] : undefined;
  if (!m) badArgument('method', `unknown matching method ${JSON.stringify(name)}: use one of ${MATCHING_METHOD_NAMES.join(', ')}`);
  return m;
}

/** A method's options as a strict zod object (defaults filled in): the study file's `matching` for that method. */
export function methodSchema(method: MatchingMethod): z.ZodObject {
  const shape: Record<string, z.ZodType> = { method: z.literal(method.name) };
  for (const [key, spec] of Object.entries(method.options)) {
    let t: z.ZodType;
    switch (spec.kind) {
      case 'integer': {
        let s = z.number().int().min(spec.min);
        if (spec.max !== undefined) s = s.max(spec.max);
        t = spec.default !== undefined ? s.default(spec.default) : s.optional();
        break;
      }
      case 'number': {
        let s = z.number();
        if (spec.min !== undefined) s = spec.exclusiveMin ? s.gt(spec.min) : s.min(spec.min);
        if (spec.max !== undefined) s = s.max(spec.max);
        t = spec.default !== undefined ? s.default(spec.default) : s.optional();
        break;
      }
      case 'boolean':
        t = spec.default !== undefined ? z.boolean().default(spec.default) : z.boolean().optional();
        break;
      case 'enum': {
        const s = z.enum(spec.values as [string, ...string[]]);
        t = spec.default !== undefined ? s.default(spec.default) : s.optional();
        break;
      }
      case 'column':
        t = z.string().min(1).optional();
        break;
      case 'columns':
        t = z.array(z.string().min(1)).optional();
        break;
      case 'calipers':
        t = z.record(z.string().min(1), z.number().positive()).optional();
        break;
    }
    shape[key] = t;
  }
  return z.strictObject(shape);
}

/** The study file's `matching` section: one strict object per method, `method` defaulting to nearest. */
export const matchingSchema = z.preprocess(
  (v) => (v && typeof v === 'object' && !Array.isArray(v) && !('method' in v) ? { method: 'nearest', ...v } : v),
  z.discriminatedUnion('method', Object.values(MATCHING_METHODS).map((m) => methodSchema(m)) as unknown as [z.ZodObject, ...z.ZodObject[]]),
);

/**
 * Check library-call options against a method's declarations: every key known, every value of
 * the declared type, required ones present; defaults filled in.
 * @throws CounterfactError naming each bad option and the fix.
 */
export function resolveMethodOptions(method: MatchingMethod, options: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const parsed = methodSchema(method).safeParse({ ...options, method: method.name });
  if (!parsed.success) {
    throw new CounterfactError(
      parsed.error.issues.map((iss) => {
        const key = String(iss.path[0] ?? 'method');
        const known = Object.keys(method.options);
        const hint = iss.code === 'unrecognized_keys' ? `: ${method.name} matching takes ${known.join(', ')}` : '';
        const keys = iss.code === 'unrecognized_keys' ? iss.keys.join(', ') : key;
        return { code: 'bad_argument', column: keys, message: `matching option ${keys}: ${iss.message}${hint}` };
      }),
    );
  }
  const out = { ...parsed.data } as Record<string, unknown>;
  for (const r of method.required ?? []) {
    if (out[r] === undefined) badArgument(r, `${method.name} matching needs ${r}: ${method.options[r]!.help}`);
  }
  delete out.method;
  return out;
}

/**
 * Run a method from the table on a context, options checked first.
 * @example runMatching('kernel', ctx, { bandwidth: 0.05 })
 */
export function runMatching(name: string, ctx: MethodContext, options: Readonly<Record<string, unknown>> = {}): MatchResult {
  const method = matchingMethod(name);
  return method.run(ctx, resolveMethodOptions(method, options));
}

/** kebab-case CLI flag of an option name: caliperScale → caliper-scale. */
export function flagName(option: string): string {
  return option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
