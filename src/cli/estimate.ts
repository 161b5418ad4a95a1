/**
 * `counterfact estimate`: propensity fit → nearest matching → balance → ATT on one CSV
 * (or Arrow/Parquet) file. The option names and the JSON keys are a fixed contract.
 */
import { writeFileSync } from 'node:fs';
import { evaluateDesign, type EvaluateResult, type EvaluateSpec } from '../evaluate.js';
import { estimateATT } from '../effects/index.js';
import { dateColumnToDays } from '../data/dates.js';
import { estimateATTCurve, prepareSpells, type EffectCurve } from '../outcomes/index.js';
import { CounterfactError } from '../problems.js';
import { eValueForATT, rosenbaumFromMatch, simulatedConfounder } from '../sensitivity/index.js';
import { getNumeric as getNumericOutcome } from '../data/table.js';
import { columnLabels, getColumn, type Table } from '../data/table.js';
import { readTableFile } from '../io/readTable.js';
import { list, num, oneOf, parseFlags, required } from './args.js';
import type { CliIO } from './io.js';
import { formatTable } from './format.js';

export const ESTIMATE_HELP = `Usage: counterfact estimate --data FILE --treatment COL --outcome COL --covariates A,B,C [options]

Propensity score (logistic or probit), nearest-neighbour matching (MatchIt "nearest"
semantics), balance diagnostics and the ATT with an Abadie–Imbens standard error.

Required:
  --data FILE            CSV (delimiter detected; or .arrow / .parquet)
  --treatment COL        0/1 treatment column (or two labels; see --treated-value)
  --outcome COL          numeric outcome column
  --covariates A,B,C     propensity-model covariates (text columns are categorical)

Options (defaults in brackets):
  --id COL               unit identifier: checked for duplicates, used in --pairs [row number]
  --categorical A,B      numeric covariates to dummy-code
  --treated-value V      label of treated units when the treatment holds two labels
  --exact A,B            match only within strata of these columns
  --link logit|probit    propensity model link [logit]
  --distance probability|logit   scale matched on [probability]
  --ratio K              controls per treated unit [1]
  --replace              match with replacement [off]
  --ties                 with --replace: keep all tied controls, split the weight (as Matching)
  --caliper X            maximum distance [none]
  --caliper-scale sd|raw caliper in SDs of the distance, or raw units [sd]
  --order largest|smallest|random|data   order treated units are matched in [largest]
  --seed N               seed for --order random [1]
  --discard none|treated|control|both    common-support rule [none]
  --se ai|ai-ps|pairs|none
                         standard error [ai]; ai-ps = Abadie–Imbens (2016), adjusted
                         for the estimated score (needs --replace, no caliper/exact)
  --var-matches J        J for the heteroskedastic Abadie–Imbens variance; 0 = homoskedastic [0]
  --level L              confidence level [0.95]
  --delimiter C          CSV delimiter [auto]       --decimal C   decimal mark [.]
  --pairs OUT.csv        write treated_id,control_id,weight (one row per match)

Outcomes over time (employment from contract spells):
  --spells FILE          contract spells: one row per contract (needs --id)
  --reference-date COL   date column of the treated (course end, voucher intake); controls are
                         measured at the date of the treated unit they are matched to
  --horizons 6,12,18,24  months after the reference date; JSON gets "curve"
  --spell-id COL --spell-start COL --spell-end COL   spell columns [--id value, start, end]
  (with --spells, --outcome is optional: the headline is the last horizon)

Sensitivity to unobserved confounding:
  --sensitivity rosenbaum,evalue,confounder
                         Rosenbaum bounds (binary outcome, 1:1 pairs), the E-value of the ATT,
                         and the Ichino–Mealli–Nannicini simulated confounder (binary outcome)
                         with --confounder-mimic COL or --confounder-p p11,p10,p01,p00
                         [--confounder-reps 100; seed from --seed]; JSON gets "sensitivity"
  --json                 print one JSON object instead of the summary
`;

/** Run `counterfact estimate`. Returns the exit code. */
export async function estimateCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { flags } = parseFlags(argv, {
    data: { type: 'string' },
    treatment: { type: 'string' },
    outcome: { type: 'string' },
    covariates: { type: 'string' },
    id: { type: 'string' },
    categorical: { type: 'string' },
    'treated-value': { type: 'string' },
    exact: { type: 'string' },
    link: { type: 'string' },
    distance: { type: 'string' },
    ratio: { type: 'string' },
    replace: { type: 'boolean' },
    ties: { type: 'boolean' },
    caliper: { type: 'string' },
    'caliper-scale': { type: 'string' },
    order: { type: 'string' },
    seed: { type: 'string' },
    discard: { type: 'string' },
    se: { type: 'string' },
    'var-matches': { type: 'string' },
    level: { type: 'string' },
    delimiter: { type: 'string' },
    decimal: { type: 'string' },
    pairs: { type: 'string' },
    spells: { type: 'string' },
    'reference-date': { type: 'string' },
    horizons: { type: 'string' },
    'spell-id': { type: 'string' },
    'spell-start': { type: 'string' },
    'spell-end': { type: 'string' },
    sensitivity: { type: 'string' },
    'confounder-mimic': { type: 'string' },
    'confounder-p': { type: 'string' },
    'confounder-reps': { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) {
    io.out(ESTIMATE_HELP);
    return 0;
  }
  const dataPath = required(flags, 'data', 'the CSV file with one row per unit');
  const covariates = list(flags, 'covariates');
  const spec: EvaluateSpec = {
    treatment: required(flags, 'treatment', 'the 0/1 treatment column'),
    outcome: typeof flags.spells === 'string' && flags.outcome === undefined ? '' : required(flags, 'outcome', 'the outcome column'),
    covariates: covariates.length ? covariates : [required(flags, 'covariates', 'a comma-separated list of covariate columns')],
    categorical: list(flags, 'categorical'),
    id: typeof flags.id === 'string' ? flags.id : undefined,
    treatedValue: typeof flags['treated-value'] === 'string' ? flags['treated-value'] : undefined,
    link: oneOf(flags, 'link', ['logit', 'probit'] as const, 'logit'),
    matching: {
      exact: list(flags, 'exact').length ? list(flags, 'exact') : undefined,
      distance: oneOf(flags, 'distance', ['probability', 'logit'] as const, 'probability'),
      ratio: num(flags, 'ratio', { integer: true, min: 1 }) ?? 1,
      replace: Boolean(flags.replace),
      ties: Boolean(flags.ties),
      caliper: num(flags, 'caliper', { min: 0, exclusiveMin: true }),
      caliperScale: oneOf(flags, 'caliper-scale', ['sd', 'raw'] as const, 'sd'),
      order: oneOf(flags, 'order', ['largest', 'smallest', 'random', 'data'] as const, 'largest'),
      seed: num(flags, 'seed', { integer: true, min: 0 }),
      discard: oneOf(flags, 'discard', ['none', 'treated', 'control', 'both'] as const, 'none'),
    },
    se: oneOf(flags, 'se', ['ai', 'ai-ps', 'pairs', 'none'] as const, 'ai'),
    varMatches: num(flags, 'var-matches', { integer: true, min: 0 }) ?? 0,
    level: num(flags, 'level', { min: 0, max: 1, exclusiveMin: true }),
  };
  const { table } = await readTableFile(dataPath, {
    delimiter: typeof flags.delimiter === 'string' ? (flags.delimiter as never) : undefined,
    decimal: typeof flags.decimal === 'string' ? (flags.decimal as never) : undefined,
  });
  const design = evaluateDesign(table, spec);
  let curve: EffectCurve | null = null;
  let spellInfo: Record<string, unknown> | null = null;
  const extraWarnings: string[] = [];
  if (typeof flags.spells === 'string') {
    if (spec.se === 'ai-ps') throw new CounterfactError({ code: 'bad_argument', column: '--se', message: "--se ai-ps is not available with --spells: each control is measured at its treated unit's date, outside the Abadie–Imbens (2016) theory; use --se ai" });
    if (!spec.id) throw new CounterfactError({ code: 'bad_argument', column: '--id', message: '--spells needs --id: the column that links people to their contracts' });
    const refCol = required(flags, 'reference-date', 'the date column the horizons count from (course end, voucher intake)');
    const horizons = list(flags, 'horizons').map(Number);
    if (horizons.length === 0 || horizons.some((h) => !Number.isInteger(h) || h < 0)) {
      throw new CounterfactError({ code: 'bad_argument', column: '--horizons', message: `--horizons must be whole numbers of months, e.g. 6,12,18,24; received ${JSON.stringify(flags.horizons ?? '')}` });
    }
    const { table: spellTable } = await readTableFile(flags.spells);
    const ids = columnLabels(getColumn(table, spec.id, 'id'));
    const spells = prepareSpells(
      spellTable,
      {
        id: typeof flags['spell-id'] === 'string' ? flags['spell-id'] : spec.id,
        start: typeof flags['spell-start'] === 'string' ? flags['spell-start'] : 'start',
        end: typeof flags['spell-end'] === 'string' ? flags['spell-end'] : 'end',
      },
      ids,
    );
    for (const x of spells.exclusions) extraWarnings.push(`${x.count} spell(s) excluded: ${x.reason} (spell rows ${x.rows.map((r) => r + 2).join(', ')}${x.count > x.rows.length ? ', …' : ''} of ${flags.spells})`);
    spellInfo = { read: spells.spellsRead, used: spells.spellsUsed, exclusions: spells.exclusions };
    curve = estimateATTCurve(table, design.match, {
      spells,
      referenceDays: dateColumnToDays(table, refCol, true),
      horizons,
      se: spec.se,
      varMatches: spec.varMatches,
      level: spec.level,
    });
  }
  const effect = spec.outcome
    ? estimateATT(table, design.match, { outcome: spec.outcome, se: spec.se ?? 'ai', varMatches: spec.varMatches, level: spec.level, propensity: design.propensity })
    : curve!.estimates[curve!.estimates.length - 1]!;
  const result: EvaluateResult = {
    ...design,
    kind: 'EvaluateResult',
    effect,
    warnings: [...design.warnings, ...effect.warnings, ...extraWarnings],
    settings: { ...design.settings, outcome: effect.outcome },
  };
  if (typeof flags.pairs === 'string') writePairs(flags.pairs, table, result, spec.id);
  let sensitivity: Record<string, unknown> | null = null;
  const wanted = list(flags, 'sensitivity');
  if (wanted.length) {
    const bad = wanted.filter((w) => w !== 'rosenbaum' && w !== 'evalue' && w !== 'confounder');
    if (bad.length) throw new CounterfactError({ code: 'bad_argument', column: '--sensitivity', message: `--sensitivity takes rosenbaum, evalue and/or confounder, received ${bad.join(', ')}` });
    if (wanted.includes('confounder')) {
      if (!spec.outcome) throw new CounterfactError({ code: 'bad_argument', column: '--sensitivity', message: 'the simulated confounder needs a binary --outcome column' });
      const ps = list(flags, 'confounder-p').map(Number);
      const mimic = typeof flags['confounder-mimic'] === 'string' ? flags['confounder-mimic'] : null;
      if (!mimic && (ps.length !== 4 || ps.some((p) => !(p >= 0 && p <= 1)))) {
        throw new CounterfactError({ code: 'bad_argument', column: '--confounder-p', message: 'give --confounder-mimic COL, or --confounder-p with four probabilities p11,p10,p01,p00 (P(U=1 | T, Y))' });
      }
      const r = simulatedConfounder(table, spec, mimic ? { mimic } : { probabilities: { p11: ps[0]!, p10: ps[1]!, p01: ps[2]!, p00: ps[3]! } }, { reps: num(flags, 'confounder-reps', { integer: true, min: 2 }) ?? 100, seed: spec.matching?.seed ?? 1 });
      sensitivity = { confounder: r };
    }
    sensitivity ??= {};
    if (wanted.includes('rosenbaum')) {
      if (!spec.outcome) throw new CounterfactError({ code: 'bad_argument', column: '--sensitivity', message: 'Rosenbaum bounds need a binary --outcome column' });
      const r = rosenbaumFromMatch(design.match, getNumericOutcome(table, spec.outcome));
      sensitivity.rosenbaum = { discordantTreated: r.discordantTreated, discordantControl: r.discordantControl, gammaCritical: r.gammaCritical, rows: r.rows };
    }
    if (wanted.includes('evalue')) sensitivity.evalue = eValueForATT(effect);
  }
  if (flags.json) {
    const json = estimateJson(result, dataPath);
    if (sensitivity) json.sensitivity = sensitivity;
    if (curve) {
      json.curve = curve.points.map((p) => ({ horizon: p.horizon, estimate: p.estimate, se: p.se, ciLower: p.ciLower, ciUpper: p.ciUpper, meanTreated: p.meanTreated, meanControl: p.meanControl }));
      json.spells = spellInfo;
    }
    io.out(JSON.stringify(json, null, 2) + '\n');
  } else {
    io.out(estimateSummary(result));
    if (sensitivity) io.out('\nsensitivity: ' + JSON.stringify(sensitivity) + '\n');
    if (curve) {
      io.out('\n' + formatTable(['months', 'ATT', 'SE', 'CI low', 'CI high', 'treated', 'controls'], curve.points.map((p) => [String(p.horizon), fmt(p.estimate), fmt(p.se), fmt(p.ciLower), fmt(p.ciUpper), fmt(p.meanTreated), fmt(p.meanControl)])) + '\n');
    }
  }
  for (const w of result.warnings) io.err(`warning: ${w}\n`);
  return 0;
}

/** The JSON object `estimate --json` prints (fixed keys). */
export function estimateJson(r: EvaluateResult, dataPath?: string): Record<string, unknown> {
  const e = r.effect;
  return {
    estimand: e.estimand,
    outcome: e.outcome,
    estimate: e.estimate,
    se: e.se,
    ciLower: e.ciLower,
    ciUpper: e.ciUpper,
    pValue: e.pValue,
    level: e.level,
    seMethod: e.method,
    ...(e.seUnadjusted !== undefined && e.seUnadjusted !== null ? { seUnadjusted: e.seUnadjusted } : {}),
    meanTreated: e.meanTreated,
    meanControl: e.meanControl,
    naive: Number.isFinite(e.naive) ? e.naive : null,
    counts: r.counts,
    balance: r.balance.rows.map((b) => ({
      covariate: b.covariate,
      type: b.type,
      smdBefore: b.smdBefore,
      smdAfter: b.smdAfter,
      varianceRatioAfter: b.varianceRatioAfter,
      ecdfMaxAfter: b.ecdfMaxAfter,
      flagged: b.flagged,
    })),
    balanceSummary: r.balance.summary,
    propensity: {
      link: r.propensity.link,
      converged: r.propensity.converged,
      iterations: r.propensity.iterations,
      coefficients: r.propensity.coefficients.map((c) => ({ name: c.name, estimate: c.estimate, se: c.se, aliased: c.aliased })),
      dropped: r.propensity.diagnostics.dropped,
      separation: r.propensity.diagnostics.separation.detected,
    },
    warnings: r.warnings,
    settings: { ...r.settings, data: dataPath ?? null },
  };
}

function writePairs(path: string, table: Table, r: EvaluateResult, id: string | undefined): void {
  const labels = id ? columnLabels(getColumn(table, id, 'id')) : null;
  const name = (i: number) => (labels ? csvCell(labels[i] ?? '') : String(i + 1));
  const p = r.match.pairs;
  const lines = ['treated_id,control_id,weight'];
  for (let m = 0; m < p.treated.length; m++) lines.push(`${name(p.treated[m]!)},${name(p.control[m]!)},${p.weight[m]}`);
  writeFileSync(path, lines.join('\n') + '\n');
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function fmt(x: number | null, digits = 4): string {
  if (x === null || !Number.isFinite(x)) return 'NA';
  return Math.abs(x) >= 1000 ? x.toFixed(1) : x.toPrecision(digits);
}

/** The readable summary `estimate` prints without --json. */
export function estimateSummary(r: EvaluateResult): string {
  const e = r.effect;
  const c = r.counts;
  const pct = Math.round(e.level * 100);
  const out: string[] = [];
  out.push(`ATT on ${e.outcome}: ${fmt(e.estimate)}  (SE ${fmt(e.se)}, ${pct}% CI ${fmt(e.ciLower)} to ${fmt(e.ciUpper)}, p = ${e.pValue === null ? 'NA' : e.pValue.toPrecision(3)})`);
  out.push(`  treated mean ${fmt(e.meanTreated)}, matched control mean ${fmt(e.meanControl)}, naive difference ${fmt(e.naive)}; SE: ${e.method}`);
  out.push('');
  out.push(
    formatTable(
      ['units', 'treated', 'controls'],
      [
        ['in data', String(c.treated), String(c.controls)],
        ['matched', String(c.matchedTreated), String(c.matchedControls)],
        ['unmatched', String(c.unmatchedTreated - c.discardedTreated), String(c.unmatchedControls - c.discardedControls)],
        ['discarded', String(c.discardedTreated), String(c.discardedControls)],
      ],
    ),
  );
  if (Object.keys(c.unmatchedReasons).length) {
    out.push('  unmatched treated by reason: ' + Object.entries(c.unmatchedReasons).map(([k, v]) => `${k} ${v}`).join(', '));
  }
  out.push('');
  out.push(
    formatTable(
      ['covariate', 'SMD before', 'SMD after', 'var ratio', 'eCDF max', ''],
      r.balance.rows.map((b) => [
        b.covariate,
        b.smdBefore.toFixed(3),
        b.smdAfter.toFixed(3),
        b.varianceRatioAfter === null ? '' : b.varianceRatioAfter.toFixed(2),
        b.ecdfMaxAfter.toFixed(3),
        b.flagged ? `|SMD| ≥ ${r.balance.threshold}` : '',
      ]),
    ),
  );
  out.push(
    r.balance.summary.balanced
      ? `Balance: all covariates within |SMD| < ${r.balance.threshold} after matching.`
      : `Balance: ${r.balance.summary.flaggedAfter} covariate(s) with |SMD| ≥ ${r.balance.threshold} after matching.`,
  );
  return out.join('\n') + '\n';
}
