/**
 * `runStudy`: the whole evaluation a study file describes, on tables already in memory — no
 * file system, so it runs in a notebook or a browser page too. The result holds aggregates
 * only: no unit rows, and every cell below `minCellCount` suppressed.
 */
import type { EffectEstimate, MatchResult } from '../contracts.js';
import { costPerExtra } from '../costs/index.js';
import { columnLabels, getColumn, getNumeric, takeRows, withColumn, type Table } from '../data/table.js';
import { CounterfactError } from '../problems.js';
import { estimateATT } from '../effects/index.js';
import { evaluateDesign, type DesignResult } from '../evaluate.js';
import { estimateBySubgroup } from '../heterogeneity/index.js';
import { estimateATTCurve, prepareSpells, referenceDaysOf, survivalDifference, type Spells, type SurvivalBandPoint } from '../outcomes/index.js';
import { createRng } from '../random.js';
import { parseControlDating, withWorkHistory } from '../history/prepare.js';
import { VERSION } from '../version.js';
import { matchingMethod } from '../matching/methods.js';
import { eValueForATT, rosenbaumFromMatch, sensitivityNotApplicable, simulatedConfounder } from '../sensitivity/index.js';
import type { Study } from './schema.js';
import { overlapBins, type OverlapBin } from '../report/overlap.js';
import { suppressStudyResults, type PublicCounts, type SuppressionReport } from '../privacy/study.js';

/** The library version written into results (package.json's, via src/version.ts). */
export const LIBRARY_VERSION = VERSION;

export type StudyProgress = (p: { stage: string; fraction: number }) => void;

type Num = number | null;
const num = (x: number | null | undefined): Num => (x === null || x === undefined || !Number.isFinite(x) ? null : x);

export interface EffectSummary {
  readonly estimate: Num;
  readonly se: Num;
  readonly ciLower: Num;
  readonly ciUpper: Num;
  readonly pValue: Num;
  readonly meanTreated: Num;
  readonly meanControl: Num;
  readonly naive: Num;
  /** Null when suppressed (see `StudyResults.suppression`). */
  readonly nTreated: Num;
  readonly nControls: Num;
  readonly method: string;
}

export interface OutcomeResult {
  readonly type: 'binary' | 'spells' | 'survival';
  readonly label: string;
  /** Headline: the ATT (binary), the last horizon (spells), the last time (survival). */
  readonly effect: EffectSummary;
  readonly curve?: readonly ({ horizon: number } & EffectSummary)[];
  readonly survival?: {
    readonly points: readonly {
      time: number;
      survivalTreated: number;
      survivalControl: number;
      difference: number;
      se: Num;
      ciLower: Num;
      ciUpper: Num;
    }[];
    /** What the SE of the differences is, e.g. "robust (clustered by matched set)" or "Greenwood (independent groups)". */
    readonly se: string;
    /** What the SE behind the curves' confidence bands is. */
    readonly bandSe: string;
    readonly treated: readonly { time: number; survival: Num; lower: Num; upper: Num }[];
    readonly control: readonly { time: number; survival: Num; lower: Num; upper: Num }[];
    readonly logRank: { chisq: number; pValue: number };
    readonly medianTreated: Num;
    readonly medianControl: Num;
  };
}

export interface StudyResults {
  readonly kind: 'StudyResults';
  readonly title: string;
  readonly library: { readonly name: 'counterfact'; readonly version: string };
  readonly seed: number;
  readonly minCellCount: number;
  readonly inputs: readonly { readonly role: string; readonly file: string; readonly sha256: string; readonly rows: number | null }[];
  /** Null where suppressed (see `suppression`). */
  readonly counts: PublicCounts;
  readonly propensity: { link: string; converged: boolean; iterations: number; coefficients: { name: string; estimate: Num; se: Num }[]; dropped: string[] };
  readonly overlap: readonly OverlapBin[];
  readonly balance: { threshold: number; balanced: boolean; flaggedAfter: number; maxAbsSmdAfter: number; rows: DesignResult['balance']['rows'] };
  readonly outcomes: readonly OutcomeResult[];
  readonly subgroups: readonly { by: string; label: string; outcome: string; rows: readonly Record<string, unknown>[] }[];
  readonly costs: null | {
    unit: string;
    totalCost: number;
    costPerTreated: Num;
    extra: Num;
    extraLower: Num;
    extraUpper: Num;
    costPerExtra: Num;
    lower: Num;
    upper: Num;
    note: string;
  };
  readonly arms: readonly {
    arm: string;
    suppressed: boolean;
    nTreated: Num;
    nControls: Num;
    estimate: Num;
    se: Num;
    ciLower: Num;
    ciUpper: Num;
    balanced: boolean | null;
  }[];
  readonly sensitivity: {
    rosenbaum: null | { gammaCritical: Num; rows: readonly { gamma: number; pUpper: number }[]; discordantTreated: Num; discordantControl: Num };
    evalue: null | { riskRatio: number; eValue: number; eValueCi: Num };
    confounder: null | {
      att: number;
      se: number;
      baseline: number;
      outcomeOddsRatio: number;
      selectionOddsRatio: number;
      reps: number;
      seed: number;
      probabilities: Record<string, number>;
    };
    notes: string[];
  };
  readonly settings: Readonly<Record<string, unknown>>;
  readonly warnings: readonly string[];
  /** Small-cell suppression: every figure hidden (null above), by path. */
  readonly suppression: SuppressionReport;
}

function summary(e: EffectEstimate): EffectSummary {
  return {
    estimate: num(e.estimate),
    se: num(e.se),
    ciLower: num(e.ciLower),
    ciUpper: num(e.ciUpper),
    pValue: num(e.pValue),
    meanTreated: num(e.meanTreated),
    meanControl: num(e.meanControl),
    naive: num(e.naive),
    nTreated: e.nTreated,
    nControls: e.nControls,
    method: e.method,
  };
}

function curveGridTimes(maxTime: number): number[] {
  const out: number[] = [];
  const step = maxTime > 120 ? 6 : 1;
  for (let t = 0; t <= maxTime; t += step) out.push(t);
  return out;
}

function curveGrid(band: readonly SurvivalBandPoint[]) {
  return band.map((b) => ({ time: b.time, survival: num(b.survival), lower: num(b.time === 0 ? 1 : b.lower), upper: num(b.time === 0 ? 1 : b.upper) }));
}

/**
 * Run the study on in-memory tables. Deterministic: the same tables, study and seed give the
 * same object (no timestamps), so `JSON.stringify` of two runs is byte-identical.
 * @throws CounterfactError for any bad input, naming the column and the fix.
 */
export function runStudy(
  study: Study,
  data: { persons: Table; spells?: Table },
  options: { onProgress?: StudyProgress; inputs?: StudyResults['inputs'] } = {},
): StudyResults {
  return runStudyWithMatch(study, data, options).results;
}

/**
 * As {@link runStudy}, also returning the MatchResult (unit-level: personal data) for callers
 * that were explicitly asked to export matches.
 */
export function runStudyWithMatch(
  study: Study,
  data: { persons: Table; spells?: Table },
  options: { onProgress?: StudyProgress; inputs?: StudyResults['inputs'] } = {},
): { results: StudyResults; match: MatchResult } {
  const progress = options.onProgress ?? (() => undefined);
  let table = data.persons;
  const ARM_TREATED = '__treated';
  let armLabels: (string | null)[] | null = null;
  if (study.arms) {
    armLabels = columnLabels(getColumn(table, study.arms.column, 'arm'));
    const control = String(study.arms.control);
    if (!armLabels.includes(control)) {
      throw new CounterfactError({
        code: 'bad_study',
        path: ['arms', 'control'],
        message: `arms.control: "${control}" does not occur in \`${study.arms.column}\``,
      });
    }
    const missing: number[] = [];
    armLabels.forEach((l, i) => l === null && missing.push(i));
    if (missing.length) {
      const lines = `${missing
        .slice(0, 5)
        .map((r) => r + 2)
        .join(', ')}${missing.length > 5 ? ', …' : ''}`;
      throw new CounterfactError({
        code: 'missing_values',
        column: study.arms.column,
        rows: missing.slice(0, 5),
        count: missing.length,
        message: `arms: the arm column \`${study.arms.column}\` is empty in ${missing.length} row(s) (spreadsheet lines ${lines}); give every row an arm label (or the control label \`${String(study.arms.control)}\`), or drop those rows`,
      });
    }
    table = withColumn(
      table,
      ARM_TREATED,
      Float64Array.from(armLabels, (l) => (l === null ? NaN : l === control ? 0 : 1)),
    );
  }
  const treatmentColumn = study.treatment ?? ARM_TREATED;
  const warnings: string[] = [];
  let historySettings: Record<string, unknown> | null = null;
  if (study.history) {
    if (!data.spells)
      throw new CounterfactError({
        code: 'bad_study',
        path: ['data', 'spells'],
        column: 'data.spells',
        message: 'the history section needs the contract spells: add `data.spells: FILE`',
      });
    const hs = study.history;
    const h = withWorkHistory(table, data.spells, {
      id: study.id,
      date: hs.date,
      did: hs.did,
      months: hs.months,
      qualificationOrder: hs.qualificationOrder,
      controls: parseControlDating(hs.controls, study.seed, 'history.controls'),
      spellColumns: { ...hs.spellColumns, id: hs.spellColumns.id ?? study.id },
    });
    table = h.table;
    historySettings = h.settings;
    warnings.push(...h.warnings);
  }
  progress({ stage: 'propensity model and matching', fraction: 0.05 });
  const se = study.se ?? matchingMethod(String(study.matching.method)).defaultSe;
  const spec = {
    treatment: treatmentColumn,
    treatedValue: study.treatedValue,
    covariates: study.covariates,
    categorical: study.categorical,
    id: study.id,
    link: study.link,
    se: se,
    varMatches: study.varMatches,
    level: study.level,
    matching: {
      ...study.matching,
      ...(study.exact.length ? { exact: study.exact } : {}),
      ...('seed' in matchingMethod(String(study.matching.method)).options ? { seed: study.seed } : {}),
    },
  };
  if (!data.spells && study.outcomes.some((o) => o.type === 'spells')) {
    throw new CounterfactError({
      code: 'bad_study',
      path: ['data', 'spells'],
      column: 'data.spells',
      message:
        'a spells outcome needs the contract spells: add `data.spells: FILE` to the study file (one row per contract: id, start, end), or pass the spells table to runStudy',
    });
  }
  let design: DesignResult;
  try {
    design = evaluateDesign(table, spec);
  } catch (e) {
    // The arms' internal treatment column is reported under the user's arm column.
    if (study.arms && e instanceof CounterfactError && JSON.stringify(e.problems).includes(ARM_TREATED)) {
      const col = `the arm column \`${study.arms.column}\` (arms other than \`${String(study.arms.control)}\` against it)`;
      throw new CounterfactError(
        e.problems.map((p) => ({
          ...p,
          column: p.column === ARM_TREATED ? study.arms!.column : p.column,
          message: p.message.replaceAll(`\`${ARM_TREATED}\``, col).replaceAll(ARM_TREATED, col),
        })),
      );
    }
    throw e;
  }
  warnings.push(...design.warnings);
  const match = design.match;
  progress({ stage: 'outcomes', fraction: 0.35 });

  let spells: Spells | null = null;
  const ids = columnLabels(getColumn(table, study.id, 'id'));
  const outcomes: OutcomeResult[] = [];
  let headline: {
    effect: EffectEstimate;
    unit: Float64Array | null;
    pair: Float64Array | null;
    spell?: { referenceDays: Float64Array; horizon: number };
  } | null = null;
  for (const o of study.outcomes) {
    if (o.type === 'binary') {
      const e = estimateATT(table, match, { outcome: o.column, se: se, varMatches: study.varMatches, level: study.level, propensity: design.propensity });
      outcomes.push({ type: 'binary', label: o.label ?? o.column, effect: summary(e) });
      headline ??= { effect: e, unit: getNumeric(table, o.column, 'outcome', true), pair: null };
    } else if (o.type === 'spells') {
      if (!spells) {
        spells = prepareSpells(data.spells!, { id: o.spellColumns.id ?? study.id, start: o.spellColumns.start, end: o.spellColumns.end }, ids);
        for (const x of spells.exclusions) warnings.push(`${x.count} contract spell(s) excluded: ${x.reason}`);
      }
      const referenceDays = referenceDaysOf(table, o.referenceDate, 'referenceDate column');
      const curve = estimateATTCurve(table, match, {
        spells,
        referenceDays,
        horizons: o.horizons,
        se: curveSe(se),
        varMatches: study.varMatches,
        level: study.level,
      });
      warnings.push(...curve.warnings);
      const last = curve.estimates[curve.estimates.length - 1]!;
      outcomes.push({
        type: 'spells',
        label: o.label ?? `employed ${o.horizons[o.horizons.length - 1]} months after ${o.referenceDate}`,
        effect: summary(last),
        curve: curve.estimates.map((e, k) => ({ horizon: o.horizons[k]!, ...summary(e) })),
      });
      headline ??= { effect: last, unit: null, pair: null, spell: { referenceDays, horizon: o.horizons[o.horizons.length - 1]! } };
    } else {
      const time = getNumeric(table, o.time, 'survival time');
      const event = getNumeric(table, o.event, 'event');
      const maxT = Math.max(...o.times);
      const d = survivalDifference(time, event, match, {
        times: o.times,
        se: o.se,
        reps: o.reps,
        rng: createRng(study.seed),
        level: study.level,
        bandTimes: curveGridTimes(maxT),
      });
      warnings.push(...d.warnings);
      const lastPoint = d.points[d.points.length - 1]!;
      outcomes.push({
        type: 'survival',
        label: o.label ?? `survival (${o.time})`,
        effect: {
          estimate: lastPoint.difference,
          se: lastPoint.se,
          ciLower: lastPoint.ciLower,
          ciUpper: lastPoint.ciUpper,
          pValue: null,
          meanTreated: lastPoint.survivalTreated,
          meanControl: lastPoint.survivalControl,
          naive: null,
          nTreated: d.nTreated,
          nControls: d.nControls,
          method: `Kaplan–Meier difference at ${maxT}, SE ${d.seLabel}`,
        },
        survival: {
          points: d.points.map((p) => ({ ...p })),
          se: d.seLabel,
          bandSe: d.bandSeLabel,
          treated: curveGrid(d.bands.treated),
          control: curveGrid(d.bands.control),
          logRank: { chisq: d.logRank.chisq, pValue: d.logRank.pValue },
          medianTreated: d.medianTreated,
          medianControl: d.medianControl,
        },
      });
    }
  }
  progress({ stage: 'subgroups', fraction: 0.6 });
  const subgroups: { by: string; label: string; outcome: string; rows: Record<string, unknown>[] }[] = [];
  for (const sg of study.subgroups) {
    const by = typeof sg === 'string' ? sg : sg.by;
    const treatedOnly = typeof sg === 'string' ? false : sg.treatedOnly;
    const first = study.outcomes[0]!;
    const r = estimateBySubgroup(
      table,
      { ...spec, outcome: first.type === 'binary' ? first.column : undefined },
      {
        by,
        treatedOnly,
        minCellCount: study.minCellCount,
        spellOutcome:
          first.type === 'spells' && headline?.spell
            ? { spells: spells!, referenceDays: headline.spell.referenceDays, horizon: headline.spell.horizon }
            : undefined,
      },
    );
    subgroups.push({ by, label: typeof sg === 'string' ? sg : (sg.label ?? sg.by), outcome: r.outcome, rows: r.rows.map((x) => ({ ...x })) });
  }
  progress({ stage: 'arms', fraction: 0.7 });
  const arms: StudyResults['arms'][number][] = [];
  if (study.arms && armLabels) {
    const control = String(study.arms.control);
    const levels = [...new Set(armLabels.filter((l): l is string => l !== null && l !== control))].sort();
    const first = study.outcomes[0]!;
    for (const arm of levels) {
      const idx: number[] = [];
      armLabels.forEach((l, i) => (l === arm || l === control) && idx.push(i));
      const sub = takeRows(table, idx);
      const d = evaluateDesign(sub, spec);
      let e: { estimate: number; se: number | null; ciLower: number | null; ciUpper: number | null; nTreated: number; nControls: number };
      if (first.type === 'binary')
        e = estimateATT(sub, d.match, { outcome: first.column, se: se, varMatches: study.varMatches, level: study.level, propensity: d.propensity });
      else if (first.type === 'spells') {
        const subIds = columnLabels(getColumn(sub, study.id, 'id'));
        const sp = prepareSpells(data.spells!, { id: first.spellColumns.id ?? study.id, start: first.spellColumns.start, end: first.spellColumns.end }, subIds);
        const c = estimateATTCurve(sub, d.match, {
          spells: sp,
          referenceDays: referenceDaysOf(sub, first.referenceDate, 'referenceDate column'),
          horizons: [first.horizons[first.horizons.length - 1]!],
          se: curveSe(se),
          varMatches: study.varMatches,
          level: study.level,
        });
        e = c.estimates[0]!;
      } else {
        const sd = survivalDifference(getNumeric(sub, first.time, 'time'), getNumeric(sub, first.event, 'event'), d.match, {
          times: [Math.max(...first.times)],
          level: study.level,
        });
        const pt = sd.points[0]!;
        e = { estimate: pt.difference, se: pt.se, ciLower: pt.ciLower, ciUpper: pt.ciUpper, nTreated: sd.nTreated, nControls: sd.nControls };
      }
      const suppressed = e.nTreated < study.minCellCount || e.nControls < study.minCellCount;
      arms.push(
        suppressed
          ? { arm, suppressed, nTreated: null, nControls: null, estimate: null, se: null, ciLower: null, ciUpper: null, balanced: null }
          : {
              arm,
              suppressed,
              nTreated: e.nTreated,
              nControls: e.nControls,
              estimate: num(e.estimate),
              se: num(e.se),
              ciLower: num(e.ciLower),
              ciUpper: num(e.ciUpper),
              balanced: d.balance.summary.balanced,
            },
      );
    }
  }
  progress({ stage: 'costs and sensitivity', fraction: 0.8 });
  let costs: StudyResults['costs'] = null;
  if (study.costs && headline) {
    let total = study.costs.total ?? 0;
    if (study.costs.column) {
      const v = getNumeric(table, study.costs.column, 'cost', true);
      total = 0;
      for (let i = 0; i < v.length; i++) if (match.treatment[i] && Number.isFinite(v[i]!)) total += v[i]!;
    }
    const c = costPerExtra(total, headline.effect, { unit: study.costs.unit });
    costs = {
      unit: c.unit,
      totalCost: c.totalCost,
      costPerTreated: c.costPerTreated,
      extra: num(c.extra.estimate),
      extraLower: num(c.extra.lower),
      extraUpper: num(c.extra.upper),
      costPerExtra: num(c.costPerExtra),
      lower: num(c.lower),
      upper: num(c.upper),
      note: c.note,
    };
  }
  const notes: string[] = [];
  let rosenbaum: StudyResults['sensitivity']['rosenbaum'] = null;
  let evalue: StudyResults['sensitivity']['evalue'] = null;
  if (study.sensitivity.rosenbaum) {
    if (headline?.unit && study.matching.ratio === 1 && !study.matching.ties) {
      const r = rosenbaumFromMatch(match, headline.unit);
      rosenbaum = {
        gammaCritical: r.gammaCritical,
        rows: r.rows.map((x) => ({ gamma: x.gamma, pUpper: x.pUpper })),
        discordantTreated: r.discordantTreated,
        discordantControl: r.discordantControl,
      };
    } else notes.push('Rosenbaum bounds need a binary outcome column and 1:1 matching without ties: not computed');
  }
  let confounder: StudyResults['sensitivity']['confounder'] = null;
  const conf = study.sensitivity.confounder;
  if (conf) {
    const first = study.outcomes[0]!;
    if (first.type === 'binary') {
      const r = simulatedConfounder(table, { ...spec, outcome: first.column }, 'mimic' in conf ? { mimic: conf.mimic } : { probabilities: conf }, {
        reps: conf.reps,
        seed: study.seed,
      });
      confounder = {
        att: r.att,
        se: r.se,
        baseline: r.baseline,
        outcomeOddsRatio: r.outcomeOddsRatio,
        selectionOddsRatio: r.selectionOddsRatio,
        reps: r.reps,
        seed: r.seed,
        probabilities: { ...r.probabilities },
      };
    } else notes.push('The simulated-confounder analysis needs a binary outcome column as the first outcome: not computed');
  }
  if (study.sensitivity.evalue) {
    const first = study.outcomes[0]!;
    const why = sensitivityNotApplicable(
      'evalue',
      first.type === 'survival'
        ? { type: 'survival' }
        : headline
          ? { type: headline.spell ? 'spells' : 'binary', meanControl: headline.effect.meanControl }
          : null,
    );
    if (why) notes.push(why);
    else {
      const e = eValueForATT(headline!.effect);
      evalue = { riskRatio: e.riskRatio, eValue: e.eValue, eValueCi: e.eValueCi };
    }
  }
  progress({ stage: 'done', fraction: 1 });
  const p = design.propensity;
  const raw: Omit<StudyResults, 'suppression'> = {
    kind: 'StudyResults',
    title: study.title,
    library: { name: 'counterfact', version: LIBRARY_VERSION },
    seed: study.seed,
    minCellCount: study.minCellCount,
    inputs: options.inputs ?? [],
    counts: design.counts,
    propensity: {
      link: p.link,
      converged: p.converged,
      iterations: p.iterations,
      coefficients: p.coefficients.map((c) => ({ name: c.name, estimate: num(c.estimate), se: num(c.se) })),
      dropped: p.diagnostics.dropped.map((d) => d.column),
    },
    overlap: overlapBins(match, p.scores),
    balance: {
      threshold: design.balance.threshold,
      balanced: design.balance.summary.balanced,
      flaggedAfter: design.balance.summary.flaggedAfter,
      maxAbsSmdAfter: design.balance.summary.maxAbsSmdAfter,
      rows: design.balance.rows,
    },
    outcomes,
    subgroups,
    arms,
    costs,
    sensitivity: { rosenbaum, evalue, confounder, notes },
    settings: { ...study, se, data: undefined, matchSettings: match.settings, ...(historySettings ? { historyApplied: historySettings } : {}) },
    warnings,
  };
  // Small-cell suppression, once, over everything that leaves the program (src/privacy).
  const results: StudyResults = suppressStudyResults(raw, study.minCellCount);
  return { results, match };
}

/** Spells curves take 'ai', 'pairs' or 'none'; the study schema already refuses 'ai-ps' with spells outcomes. */
function curveSe(se: NonNullable<Study['se']>): 'ai' | 'pairs' | 'none' {
  if (se === 'ai-ps') throw new CounterfactError({ code: 'bad_study', path: ['se'], message: "se: 'ai-ps' is not available for spells outcomes; use se: ai" });
  return se;
}
