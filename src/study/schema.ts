/**
 * The study file: one JSON or YAML document that describes an evaluation, validated with zod.
 * Every problem is reported at once, with its path in the file and the fix.
 */
import { z } from 'zod';
import { CounterfactError, type Problem } from '../problems.js';
import { suggestNames } from '../data/table.js';
import { matchingMethod, matchingSchema } from '../matching/methods.js';
import { SE_METHOD_NAMES, seMethodProblem } from '../effects/seMethods.js';

const outcome = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('binary'),
    /** Outcome column (0/1 or numeric). */
    column: z.string().min(1),
    label: z.string().optional(),
  }),
  z.strictObject({
    type: z.literal('spells'),
    /** Date column of the treated (course end, intake). */
    referenceDate: z.string().min(1),
    horizons: z.array(z.number().int().min(0)).min(1),
    label: z.string().optional(),
    spellColumns: z
      .strictObject({ id: z.string().optional(), start: z.string().default('start'), end: z.string().default('end') })
      .default({ start: 'start', end: 'end' }),
  }),
  z.strictObject({
    type: z.literal('survival'),
    time: z.string().min(1),
    event: z.string().min(1),
    times: z.array(z.number().positive()).min(1),
    se: z.enum(['robust', 'independent', 'bootstrap']).default('robust'),
    reps: z.number().int().min(20).default(200),
    label: z.string().optional(),
  }),
]);

const subgroup = z.union([z.string().min(1), z.strictObject({ by: z.string().min(1), treatedOnly: z.boolean().default(false), label: z.string().optional() })]);

export const studySchema = z.strictObject({
  /** Shown at the top of the report. */
  title: z.string().min(1).default('Counterfactual evaluation'),
  /** Paths are relative to the study file. */
  data: z.strictObject({
    persons: z.string().min(1),
    spells: z.string().min(1).optional(),
    delimiter: z.enum([',', ';', '\t', '|', 'auto']).default('auto'),
    decimal: z.enum(['.', ',', 'auto']).default('auto'),
    /** Thousands separator stripped from numbers ("1.234,5" with decimal ','). */
    thousands: z.enum(['.', ',', "'", ' ']).optional(),
    /** Text encoding of CSV files (default utf-8; invalid UTF-8 is refused). */
    encoding: z.enum(['utf-8', 'latin1', 'windows-1252', 'utf-16le', 'utf-16be']).optional(),
    /** 'text': the id column (in persons and spells) is read exactly as written, never as a number. */
    idType: z.enum(['auto', 'text']).default('auto'),
  }),
  id: z.string().min(1),
  /** 0/1 treatment column; or give `arms` instead. */
  treatment: z.string().min(1).optional(),
  /** Several treatment arms in one column, compared with the common pool of `control` units. */
  arms: z.strictObject({ column: z.string().min(1), control: z.union([z.string(), z.number()]) }).optional(),
  treatedValue: z.union([z.string(), z.number()]).optional(),
  covariates: z.array(z.string().min(1)).min(1),
  categorical: z.array(z.string().min(1)).default([]),
  exact: z.array(z.string().min(1)).default([]),
  link: z.enum(['logit', 'probit']).default('logit'),
  /** The matching method and its options (see docs/study-file.md); nearest neighbour by default. */
  matching: matchingSchema.prefault({}),
  /** Standard error; default: the matching method's (ai for nearest, mahalanobis, geographic; pairs otherwise). */
  se: z.enum(SE_METHOD_NAMES).optional(),
  varMatches: z.number().int().min(0).default(0),
  level: z.number().gt(0).lt(1).default(0.95),
  outcomes: z.array(outcome).min(1),
  /** Work history from the contract spells, added as columns before the fit (docs/work-history.md). */
  history: z
    .strictObject({
      /** Date column the history is measured at (programme start); empty for controls. */
      date: z.string().min(1),
      /** How units without that date are dated: "pseudo" (seeded draws from the dated units) or a cohort date. */
      controls: z.string().min(1).default('pseudo'),
      did: z.string().min(1).optional(),
      months: z.number().int().min(1).max(120).default(18),
      qualificationOrder: z.array(z.union([z.string(), z.number()]).transform(String)).optional(),
      spellColumns: z
        .strictObject({
          id: z.string().optional(),
          start: z.string().default('start'),
          end: z.string().default('end'),
          type: z.string().optional(),
          sector: z.string().optional(),
          qualification: z.string().optional(),
        })
        .default({ start: 'start', end: 'end' }),
    })
    .optional(),
  subgroups: z.array(subgroup).default([]),
  costs: z
    .strictObject({
      /** Total programme cost in euro, or a per-treated cost column. */
      total: z.number().nonnegative().optional(),
      column: z.string().optional(),
      unit: z.string().default('job'),
    })
    .optional(),
  sensitivity: z
    .strictObject({
      rosenbaum: z.boolean().default(false),
      evalue: z.boolean().default(false),
      /** Ichino–Mealli–Nannicini simulated confounder: P(U = 1 | T, Y) or a binary covariate to mimic. */
      confounder: z
        .union([
          z.strictObject({
            p11: z.number().min(0).max(1),
            p10: z.number().min(0).max(1),
            p01: z.number().min(0).max(1),
            p00: z.number().min(0).max(1),
            reps: z.number().int().min(2).default(100),
          }),
          z.strictObject({ mimic: z.string().min(1), reps: z.number().int().min(2).default(100) }),
        ])
        .optional(),
    })
    .default({ rosenbaum: false, evalue: false }),
  seed: z.number().int().min(0).default(1),
  /** Cells (subgroups, histogram bins) with fewer units are suppressed in every output. */
  minCellCount: z.number().int().min(1).default(10),
  output: z.string().default('counterfact-output'),
  /** Write matches.csv (unit ids: personal data) — off unless asked. */
  writeMatches: z.boolean().default(false),
});

export type Study = z.output<typeof studySchema>;
export type StudyInput = z.input<typeof studySchema>;

const KNOWN_KEYS = Object.keys(studySchema.shape);

function fixFor(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys': {
      const keys = (issue as { keys: string[] }).keys;
      return keys
        .map((k) => {
          const hint = issue.path.length === 0 ? suggestNames(k, KNOWN_KEYS) : [];
          return `unknown key "${k}"${hint.length ? `: did you mean "${hint[0]}"?` : ': remove it (see docs/study-file.md)'}`;
        })
        .join('; ');
    }
    case 'invalid_type':
      return `${issue.message.replace(/^Invalid input: /, '')}`;
    case 'invalid_value':
      return issue.message.replace(/^Invalid option: expected one of /, 'must be one of ');
    case 'invalid_union':
      return 'not one of the allowed forms (see docs/study-file.md)';
    default:
      return issue.message;
  }
}

/**
 * Validate a parsed study document. Returns the study with defaults filled in, or every
 * problem found, each with its path in the file (e.g. `outcomes[1].horizons`).
 */
export function safeParseStudy(doc: unknown): { ok: true; study: Study } | { ok: false; problems: Problem[] } {
  const r = studySchema.safeParse(doc);
  if (r.success) {
    const s = r.data;
    const problems: Problem[] = [];
    if (s.costs && s.costs.total === undefined && !s.costs.column) {
      problems.push({ code: 'bad_study', path: ['costs'], message: 'costs: give `total` (euro) or `column` (cost per treated unit)' });
    }
    if (!s.treatment === !s.arms)
      problems.push({
        code: 'bad_study',
        path: ['treatment'],
        message: 'give either `treatment` (a 0/1 column) or `arms` ({ column, control }), not both and not neither',
      });
    if (s.treatment && s.covariates.includes(s.treatment))
      problems.push({ code: 'bad_study', path: ['covariates'], message: `covariates: the treatment \`${s.treatment}\` cannot also be a covariate` });
    if (s.history && !s.data.spells) {
      problems.push({ code: 'bad_study', path: ['data', 'spells'], message: 'data.spells: the history section needs a contract spells file' });
    }
    if (s.outcomes.some((o) => o.type === 'spells') && !s.data.spells) {
      problems.push({ code: 'bad_study', path: ['data', 'spells'], message: 'data.spells: a spells outcome needs a contract spells file' });
    }
    const method = matchingMethod(String(s.matching.method));
    const m = s.matching as Readonly<Record<string, unknown>>;
    if (s.exact.length > 0 && !('exact' in method.options)) {
      problems.push({
        code: 'bad_study',
        path: ['exact'],
        message: `exact: ${method.name} matching has no exact strata; drop \`exact\` or use matching.method nearest or geographic`,
      });
    }
    const se = s.se ?? method.defaultSe;
    const spellsOutcome = s.outcomes.some((o) => o.type === 'spells');
    const why =
      se === 'ai-ps' && s.outcomes.some((o) => o.type === 'survival')
        ? 'survival outcomes use their own standard errors'
        : se === 'ai-ps' && s.subgroups.length > 0
          ? 'subgroup estimates match within each level (exact strata), which it does not cover: drop `subgroups` or use se: ai'
          : seMethodProblem(se, {
              method: method.name,
              replace: m.replace === true || (typeof m.reuseMax === 'number' && m.reuseMax > 1),
              ratio: typeof m.ratio === 'number' ? m.ratio : 1,
              ties: m.ties === true,
              caliper: typeof m.caliper === 'number' ? m.caliper : null,
              exact: s.exact,
              hasDistance: method.name !== 'cem',
              hasPairs: method.pairs,
              droppedTreated: m.caliper !== undefined || (m.discard !== undefined && m.discard !== 'none') ? 1 : 0,
              pairOutcome: spellsOutcome,
              adjust: false,
              propensity: true,
            });
    if (why)
      problems.push({
        code: 'bad_study',
        path: ['se'],
        message: `se: '${se}' is not available here: ${why
          .replace(/--se (\S+)/g, 'se: $1')
          .replace(/--replace/g, 'matching.replace: true')
          .replace(/--caliper/g, 'matching.caliper')
          .replace(/--discard/g, 'matching.discard')
          .replace(/--exact/g, 'exact')
          .replace(/--spells/g, 'a spells outcome')}`,
      });
    return problems.length ? { ok: false, problems } : { ok: true, study: s };
  }
  const problems: Problem[] = r.error.issues.map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    const where = path.length ? path.map((p, k) => (typeof p === 'number' ? `[${p}]` : k ? `.${p}` : p)).join('') : '(top level)';
    return { code: 'bad_study', path, message: `${where}: ${fixFor(issue)}` };
  });
  return { ok: false, problems };
}

/** Validate a study document or throw a CounterfactError listing every problem. */
export function parseStudy(doc: unknown): Study {
  const r = safeParseStudy(doc);
  if (!r.ok) throw new CounterfactError(r.problems);
  return r.study;
}
