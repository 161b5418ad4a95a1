/**
 * `counterfact estimate`: propensity fit → nearest matching → balance → ATT on one CSV
 * (or Arrow/Parquet) file. The option names and the JSON keys are a fixed contract.
 */
import { writeFileSync } from 'node:fs';
import { writeMatchedData } from '../io/writeMatched.js';
import { checkInputFile, checkOutputs, type InputRef, type OutputRef, writeOutputs } from '../io/outputs.js';
import { evaluateDesign, type EvaluateResult, type EvaluateSpec } from '../evaluate.js';
import { estimateATT } from '../effects/index.js';
import { estimateATTCurve, prepareSpells, referenceDaysOf, type EffectCurve } from '../outcomes/index.js';
import { CounterfactError } from '../problems.js';
import { eValueForATT, rosenbaumFromMatch, simulatedConfounder } from '../sensitivity/index.js';
import { getNumeric as getNumericOutcome } from '../data/table.js';
import { columnLabels, getColumn, type Table } from '../data/table.js';
import { readTableFile } from '../io/readTable.js';
import { fitPropensityParallel } from '../io/parallel.js';
import { prepareBalance } from '../io/parallelBalance.js';
import { list, num, oneOf, parseFlags, required } from './args.js';
import type { CliIO } from './io.js';
import { formatTable } from './format.js';
import { estimatePrivacy, type EstimatePrivacy, privateEstimateJson, privateSensitivity, redactSmallCounts } from '../privacy/index.js';
import { methodFlagOptions, methodFromFlags, methodHelp } from './methodFlags.js';
import { createStageProgress } from './progress.js';
import { MATCHING_METHOD_NAMES } from '../matching/methods.js';
import { SE_METHOD_NAMES, SE_METHODS } from '../effects/seMethods.js';
import { historyFromFlags } from '../history/cli.js';

export const ESTIMATE_HELP: string = `Usage: counterfact estimate --data FILE --treatment COL --outcome COL --covariates A,B,C [options]

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
  --link logit|probit    propensity model link [logit]
  --method NAME          matching method [nearest]: ${MATCHING_METHOD_NAMES.join(', ')}
                         (its options below; \`counterfact estimate --help\` lists them all)
  --se NAME              standard error [the method's: ai for nearest, mahalanobis, geographic;
                         pairs otherwise]
${SE_METHODS.map((m) => `                           ${m.name.padEnd(7)}${m.summary}`).join('\n')}
  --adjust               bias-adjust for the covariates (--se ai: Abadie–Imbens 2011, as
                         Matching BiasAdjust = TRUE; --se pairs: regression on the matched sample)
  --var-matches J        J for the heteroskedastic Abadie–Imbens variance; 0 = homoskedastic [0]
  --level L              confidence level [0.95]
  --delimiter C          CSV delimiter [auto]       --decimal C   decimal mark [auto: ., and 1,5 in ; files]
  --thousands C          CSV thousands separator to strip: . , ' or a space [none]
  --encoding E           CSV text encoding: utf-8, latin1, windows-1252, utf-16le, utf-16be [utf-8]
  --id-text              read the --id column as text exactly as written (007, 17-digit codes)
  --pairs OUT.csv        write treated_id,control_id,weight (one row per match)
  --matched-data OUT     write the matched sample (.csv or .parquet) with weights, subclass and
                         distance columns, as MatchIt's match.data (get_matches with --replace,
                         adding id); an added name the data already has gets a match_ prefix
  --force                let --pairs / --matched-data replace an existing file counterfact did
                         not write (an input is never replaced)

${methodHelp()}
Outcomes over time (employment from contract spells):
  --spells FILE          contract spells: one row per contract (needs --id)
  --reference-date COL   date column of the treated (course end, voucher intake); controls are
                         measured at the date of the treated unit they are matched to
  --horizons 6,12,18,24  months after the reference date; JSON gets "curve"
  --spell-id COL --spell-start COL --spell-end COL   spell columns [--id value, start, end]
  (with --spells, --outcome is optional: the headline is the last horizon)

Work history as covariates (docs/work-history.md), added before the fit; name them in --covariates:
  --history              add emp_m1…emp_m18, months_employed, never_employed, highest_qualification,
                         longest_sector, main_contract_type, days_since_did from --spells (needs --id)
  --history-date COL     date the history is measured at (programme start) [--reference-date]
  --controls-dated D     units without that date (the controls): "pseudo" (seeded pseudo-dates
                         drawn from the dated units' dates, --seed) or a cohort date [pseudo]
  --did COL              DID date column (declaration of immediate availability) → days_since_did
  --history-months N     monthly flags before the date [18]
  --spell-type COL --spell-sector COL --spell-qualification COL   [type, sector, qualification
                         when the spells file has them]
  --qualification-order A,B,C   qualification levels, lowest first [numeric levels: by number]
  --engine memory|duckdb the history step in memory, or in DuckDB over a .parquet --spells file
                         (needs \`npm install @duckdb/node-api\`) [memory]

Sensitivity to unobserved confounding:
  --sensitivity rosenbaum,evalue,confounder
                         Rosenbaum bounds (binary outcome, 1:1 pairs), the E-value of the ATT,
                         and the Ichino–Mealli–Nannicini simulated confounder (binary outcome)
                         with --confounder-mimic COL or --confounder-p p11,p10,p01,p00
                         [--confounder-reps 100; seed from --seed]; JSON gets "sensitivity"
  --json                 print one JSON object instead of the summary
  --min-cell-count N     suppress every count from 1 to N-1 ("<N"), and any figure that would give
                         it back by subtraction ("suppressed"; JSON: null + "suppression") [off]
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
    link: { type: 'string' },
    ...methodFlagOptions(),
    se: { type: 'string' },
    'var-matches': { type: 'string' },
    level: { type: 'string' },
    delimiter: { type: 'string' },
    decimal: { type: 'string' },
    thousands: { type: 'string' },
    encoding: { type: 'string' },
    'id-text': { type: 'boolean' },
    pairs: { type: 'string' },
    'matched-data': { type: 'string' },
    force: { type: 'boolean' },
    adjust: { type: 'boolean' },
    spells: { type: 'string' },
    'reference-date': { type: 'string' },
    horizons: { type: 'string' },
    'spell-id': { type: 'string' },
    'spell-start': { type: 'string' },
    'spell-end': { type: 'string' },
    history: { type: 'boolean' },
    'history-date': { type: 'string' },
    'controls-dated': { type: 'string' },
    did: { type: 'string' },
    'history-months': { type: 'string' },
    'spell-type': { type: 'string' },
    'spell-sector': { type: 'string' },
    'spell-qualification': { type: 'string' },
    'qualification-order': { type: 'string' },
    engine: { type: 'string' },
    sensitivity: { type: 'string' },
    'confounder-mimic': { type: 'string' },
    'confounder-p': { type: 'string' },
    'confounder-reps': { type: 'string' },
    json: { type: 'boolean' },
    'min-cell-count': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) {
    io.out(ESTIMATE_HELP);
    return 0;
  }
  const minCellCount = num(flags, 'min-cell-count', { integer: true, min: 1 });
  const dataPath = required(flags, 'data', 'the CSV file with one row per unit');
  const covariates = list(flags, 'covariates');
  const chosen = methodFromFlags(flags);
  const spec: EvaluateSpec = {
    treatment: required(flags, 'treatment', 'the 0/1 treatment column'),
    outcome:
      typeof flags.spells === 'string' && flags.outcome === undefined && !(flags.history && flags.horizons === undefined)
        ? ''
        : required(flags, 'outcome', 'the outcome column'),
    covariates: covariates.length ? covariates : [required(flags, 'covariates', 'a comma-separated list of covariate columns')],
    categorical: list(flags, 'categorical'),
    id: typeof flags.id === 'string' ? flags.id : undefined,
    treatedValue: typeof flags['treated-value'] === 'string' ? flags['treated-value'] : undefined,
    link: oneOf(flags, 'link', ['logit', 'probit'] as const, 'logit'),
    matching: { method: chosen.method, ...chosen.options },
    se: flags.se === undefined ? undefined : oneOf(flags, 'se', SE_METHOD_NAMES, 'ai'),
    varMatches: num(flags, 'var-matches', { integer: true, min: 0 }) ?? 0,
    level: num(flags, 'level', { min: 0, max: 1, exclusiveMin: true }),
  };
  checkInputFile(dataPath, '--data');
  if (typeof flags.spells === 'string') checkInputFile(flags.spells, '--spells');
  // Outputs never replace an input, nor an existing file counterfact did not write (without --force); checked before any work.
  const outputs: OutputRef[] = [
    ...(typeof flags.pairs === 'string' ? [{ path: flags.pairs, argument: '--pairs' }] : []),
    ...(typeof flags['matched-data'] === 'string' ? [{ path: flags['matched-data'], argument: '--matched-data' }] : []),
  ];
  const inputRefs: InputRef[] = [
    { path: dataPath, argument: '--data' },
    ...(typeof flags.spells === 'string' ? [{ path: flags.spells, argument: '--spells' }] : []),
  ];
  checkOutputs(outputs, inputRefs, { force: Boolean(flags.force) });
  const progress = createStageProgress(io);
  progress.stage('reading');
  const readOptions = {
    delimiter: typeof flags.delimiter === 'string' ? ((flags.delimiter === 'tab' ? '\t' : flags.delimiter) as never) : undefined,
    decimal: typeof flags.decimal === 'string' ? (flags.decimal as never) : undefined,
    thousands: typeof flags.thousands === 'string' ? (flags.thousands as never) : undefined,
    encoding: typeof flags.encoding === 'string' ? (flags.encoding.toLowerCase() as never) : undefined,
  };
  if (flags['id-text'] && !spec.id)
    throw new CounterfactError({ code: 'bad_argument', column: '--id-text', message: '--id-text needs --id: the column to read as text' });
  let { table } = await readTableFile(dataPath, { ...readOptions, text: flags['id-text'] && spec.id ? [spec.id] : undefined });
  let historyInfo: Record<string, unknown> | null = null;
  if (flags.history) {
    progress.stage('work history');
    const h = await historyFromFlags(table, flags, spec.id, readOptions.encoding, typeof chosen.options.seed === 'number' ? chosen.options.seed : 1);
    table = h.table;
    historyInfo = h.settings;
    for (const w of h.warnings) io.err(`warning: ${w}\n`);
    io.err(`work history (${String(h.settings.engine)}): ${String(h.settings.controls)}\n`);
  }
  // The propensity fit on both cores (bit-identical to one thread; small data stay on this thread).
  progress.rows(table.nRows);
  // The balance table's sorts start now, on a worker thread, while the fit and the matching run.
  const ecdf = prepareBalance(table, spec);
  let design: ReturnType<typeof evaluateDesign>;
  try {
    design = evaluateDesign(table, spec, { fit: (t, o) => fitPropensityParallel(t, o), onStage: (s) => progress.stage(s), ecdf });
  } finally {
    ecdf.close();
  }
  const se = design.settings.se as NonNullable<EvaluateSpec['se']>;
  const adjust = flags.adjust ? spec.covariates : undefined;
  let curve: EffectCurve | null = null;
  let spellInfo: Record<string, unknown> | null = null;
  const extraWarnings: string[] = [];
  // --history with --spells but no --horizons: the spells feed the covariates only.
  if (typeof flags.spells === 'string' && !(flags.history && flags.horizons === undefined)) {
    if (se === 'ai-ps')
      throw new CounterfactError({
        code: 'bad_argument',
        column: '--se',
        message:
          "--se ai-ps is not available with --spells: each control is measured at its treated unit's date, outside the Abadie–Imbens (2016) theory; use --se ai",
      });
    if (!spec.id)
      throw new CounterfactError({ code: 'bad_argument', column: '--id', message: '--spells needs --id: the column that links people to their contracts' });
    const refCol = required(flags, 'reference-date', 'the date column the horizons count from (course end, voucher intake)');
    const horizons = list(flags, 'horizons').map(Number);
    if (horizons.length === 0 || horizons.some((h) => !Number.isInteger(h) || h < 0)) {
      throw new CounterfactError({
        code: 'bad_argument',
        column: '--horizons',
        message: `--horizons must be whole numbers of months, e.g. 6,12,18,24; received ${JSON.stringify(flags.horizons ?? '')}`,
      });
    }
    const spellId = typeof flags['spell-id'] === 'string' ? flags['spell-id'] : spec.id;
    const { table: spellTable } = await readTableFile(flags.spells, {
      encoding: readOptions.encoding,
      text: flags['id-text'] ? [spellId] : undefined,
    });
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
    for (const x of spells.exclusions)
      extraWarnings.push(
        `${x.count} spell(s) excluded: ${x.reason} (spell rows ${x.rows.map((r) => r + 2).join(', ')}${x.count > x.rows.length ? ', …' : ''} of ${flags.spells})`,
      );
    spellInfo = { read: spells.spellsRead, used: spells.spellsUsed, exclusions: spells.exclusions };
    curve = estimateATTCurve(table, design.match, {
      spells,
      referenceDays: referenceDaysOf(table, refCol, '--reference-date column'),
      horizons,
      se,
      varMatches: spec.varMatches,
      level: spec.level,
    });
    extraWarnings.push(...curve.warnings);
  }
  progress.stage('effect');
  const effect = spec.outcome
    ? estimateATT(table, design.match, {
        outcome: spec.outcome,
        se,
        varMatches: spec.varMatches,
        level: spec.level,
        propensity: design.propensity,
        adjust,
        categorical: spec.categorical,
      })
    : curve!.estimates[curve!.estimates.length - 1]!;
  const result: EvaluateResult = {
    ...design,
    kind: 'EvaluateResult',
    effect,
    warnings: [...design.warnings, ...effect.warnings, ...extraWarnings],
    settings: { ...design.settings, outcome: effect.outcome, ...(historyInfo ? { history: historyInfo } : {}) },
  };
  if (outputs.length) {
    const pairsPath = flags.pairs;
    const matchedPath = flags['matched-data'];
    await writeOutputs(
      [
        ...(typeof pairsPath === 'string' ? [{ path: pairsPath, argument: '--pairs', write: (p: string) => writePairs(p, table, result, spec.id) }] : []),
        ...(typeof matchedPath === 'string'
          ? [
              {
                path: matchedPath,
                argument: '--matched-data',
                // arquero is loaded only here (a fifth of the command's start-up otherwise).
                write: async (p: string) => {
                  const { matchedData } = await import('../matching/matchedData.js');
                  writeMatchedData(
                    p,
                    matchedData(table, design.match, { layout: isReplace(design.match) ? 'matches' : 'units', ...addedColumnNames(table.names) }),
                    {
                      force: true,
                    },
                  );
                },
              },
            ]
          : []),
      ],
      { command: 'estimate', inputs: inputRefs, force: Boolean(flags.force) },
    );
  }
  let sensitivity: Record<string, unknown> | null = null;
  const wanted = list(flags, 'sensitivity');
  if (wanted.length) {
    const bad = wanted.filter((w) => w !== 'rosenbaum' && w !== 'evalue' && w !== 'confounder');
    if (bad.length)
      throw new CounterfactError({
        code: 'bad_argument',
        column: '--sensitivity',
        message: `--sensitivity takes rosenbaum, evalue and/or confounder, received ${bad.join(', ')}`,
      });
    // An analysis that does not apply to this outcome or match becomes a note, as in `run`.
    const notes: string[] = [];
    const noteIfInapplicable = (what: string, f: () => void) => {
      try {
        f();
      } catch (e) {
        if (!(e instanceof CounterfactError)) throw e;
        notes.push(`${what}: not computed: ${e.message}`);
      }
    };
    sensitivity = {};
    if (wanted.includes('confounder') && !spec.outcome) notes.push('simulated confounder: not computed: it needs a binary --outcome column');
    else if (wanted.includes('confounder')) {
      const ps = list(flags, 'confounder-p').map(Number);
      const mimic = typeof flags['confounder-mimic'] === 'string' ? flags['confounder-mimic'] : null;
      if (!mimic && (ps.length !== 4 || ps.some((p) => !(p >= 0 && p <= 1)))) {
        throw new CounterfactError({
          code: 'bad_argument',
          column: '--confounder-p',
          message: 'give --confounder-mimic COL, or --confounder-p with four probabilities p11,p10,p01,p00 (P(U=1 | T, Y))',
        });
      }
      const reps = num(flags, 'confounder-reps', { integer: true, min: 2 }) ?? 100;
      noteIfInapplicable('simulated confounder', () => {
        sensitivity!.confounder = simulatedConfounder(
          table,
          spec,
          mimic ? { mimic } : { probabilities: { p11: ps[0]!, p10: ps[1]!, p01: ps[2]!, p00: ps[3]! } },
          {
            reps,
            seed: typeof chosen.options.seed === 'number' ? chosen.options.seed : 1,
          },
        );
      });
    }
    if (wanted.includes('rosenbaum')) {
      if (!spec.outcome) notes.push('Rosenbaum bounds: not computed: they need a binary --outcome column and 1:1 matching');
      else
        noteIfInapplicable('Rosenbaum bounds', () => {
          const r = rosenbaumFromMatch(design.match, getNumericOutcome(table, spec.outcome));
          sensitivity!.rosenbaum = {
            discordantTreated: r.discordantTreated,
            discordantControl: r.discordantControl,
            gammaCritical: r.gammaCritical,
            rows: r.rows,
          };
        });
    }
    if (wanted.includes('evalue')) noteIfInapplicable('E-value', () => (sensitivity!.evalue = eValueForATT(effect)));
    if (notes.length) sensitivity.notes = notes;
  }
  // Small-cell suppression, right before anything is printed (src/privacy).
  const privacy = minCellCount === undefined ? null : estimatePrivacy(result.counts, effect, minCellCount);
  if (flags.json) {
    const json = estimateJson(result, dataPath);
    if (sensitivity) json.sensitivity = sensitivity;
    if (curve) {
      json.curve = curve.points.map((p) => ({
        horizon: p.horizon,
        estimate: p.estimate,
        se: p.se,
        ciLower: p.ciLower,
        ciUpper: p.ciUpper,
        meanTreated: p.meanTreated,
        meanControl: p.meanControl,
        naive: p.naive,
      }));
      json.spells = spellInfo;
    }
    io.out(JSON.stringify(privacy ? privateEstimateJson(json, privacy) : json, null, 2) + '\n');
  } else {
    io.out(estimateSummary(result, privacy));
    if (sensitivity) io.out('\nsensitivity: ' + JSON.stringify(privacy ? privateSensitivity(sensitivity, privacy.minCellCount) : sensitivity) + '\n');
    if (curve && !privacy?.effectHidden) {
      io.out(
        '\n' +
          formatTable(
            ['months', 'ATT', 'SE', 'CI low', 'CI high', 'treated', 'controls', 'naive'],
            curve.points.map((p) => [
              String(p.horizon),
              fmt(p.estimate),
              fmt(p.se),
              fmt(p.ciLower),
              fmt(p.ciUpper),
              fmt(p.meanTreated),
              fmt(p.meanControl),
              fmt(p.naive),
            ]),
          ) +
          '\n',
      );
    }
  }
  progress.done();
  for (const w of result.warnings) io.err(`warning: ${privacy ? redactSmallCounts(w, privacy.minCellCount) : w}\n`);
  for (const n of (sensitivity?.notes as string[] | undefined) ?? []) io.err(`note: ${n}\n`);
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

/** The match was made with replacement (controls may be in several matched sets). */
function isReplace(m: EvaluateResult['match']): boolean {
  const s = m.settings;
  return 'replace' in s && s.replace === true;
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
export function estimateSummary(r: EvaluateResult, privacy: EstimatePrivacy | null = null): string {
  const e = privacy?.effectHidden ? hiddenEffect(r.effect) : r.effect;
  const c = privacy?.counts ?? r.counts;
  const n = (v: number | null, path: string) => (privacy ? countFor(v, path, privacy) : String(v));
  const pct = Math.round(e.level * 100);
  const out: string[] = [];
  if (privacy?.effectHidden) out.push(`${e.estimand} on ${e.outcome}: suppressed (fewer than ${privacy.minCellCount} matched treated or controls)`);
  else
    out.push(
      `${e.estimand} on ${e.outcome}: ${fmt(e.estimate)}  (SE ${fmt(e.se)}, ${pct}% CI ${fmt(e.ciLower)} to ${fmt(e.ciUpper)}, p = ${e.pValue === null ? 'NA' : e.pValue.toPrecision(3)})`,
    );
  out.push(
    e.estimand === 'ATC'
      ? `  matched treated mean ${fmt(e.meanTreated)}, control mean ${fmt(e.meanControl)}, naive difference ${fmt(e.naive)}; SE: ${e.method}`
      : `  treated mean ${fmt(e.meanTreated)}, matched control mean ${fmt(e.meanControl)}, naive difference ${fmt(e.naive)}; SE: ${e.method}`,
  );
  out.push('');
  out.push(
    formatTable(
      ['units', 'treated', 'controls'],
      [
        ['in data', n(c.treated, 'counts.treated'), n(c.controls, 'counts.controls')],
        ['matched', n(c.matchedTreated, 'counts.matchedTreated'), n(c.matchedControls, 'counts.matchedControls')],
        [
          'unmatched',
          privacy ? n(privacy.unmatchedKeptTreated, 'derived.unmatchedKeptTreated') : String(r.counts.unmatchedTreated - r.counts.discardedTreated),
          privacy ? n(privacy.unmatchedKeptControls, 'derived.unmatchedKeptControls') : String(r.counts.unmatchedControls - r.counts.discardedControls),
        ],
        ['discarded', n(c.discardedTreated, 'counts.discardedTreated'), n(c.discardedControls, 'counts.discardedControls')],
      ],
    ),
  );
  if (Object.keys(c.unmatchedReasons).length) {
    out.push(
      '  unmatched treated by reason: ' +
        Object.entries(c.unmatchedReasons)
          .map(([k, v]) => `${k} ${n(v, `counts.unmatchedReasons.${k}`)}`)
          .join(', '),
    );
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

/** A suppressed count: "<N" when small, "suppressed" when hidden to protect a small one. */
function countFor(v: number | null, path: string, p: EstimatePrivacy): string {
  if (v !== null) return String(v);
  return p.suppression.complementary.includes(path) ? 'suppressed' : `<${p.minCellCount}`;
}

/** The effect with its numbers hidden (it rests on fewer units than the minimum cell count). */
function hiddenEffect(e: EvaluateResult['effect']): EvaluateResult['effect'] {
  return {
    ...e,
    estimate: Number.NaN,
    se: null,
    ciLower: null,
    ciUpper: null,
    pValue: null,
    meanTreated: Number.NaN,
    meanControl: Number.NaN,
    naive: Number.NaN,
  };
}

/**
 * Names of the columns `--matched-data` adds (MatchIt's `weights`, `subclass`, `distance`, `id`):
 * a name the data already uses gets a `match_` prefix (repeated until free), as documented in
 * the help, so a register with an `id` column still exports.
 */
function addedColumnNames(existing: readonly string[]): { weights: string; subclass: string; distance: string; id: string } {
  const taken = new Set(existing);
  const free = (name: string) => {
    let n = name;
    while (taken.has(n)) n = `match_${n}`;
    taken.add(n);
    return n;
  };
  return { weights: free('weights'), subclass: free('subclass'), distance: free('distance'), id: free('id') };
}
