/**
 * `counterfact run STUDY`: read a study file, run it, write the report and the result files.
 * `counterfact init [DIR]`: write an example study next to a small example data set.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { columnLabels, getColumn } from '../data/table.js';
import { readTableFile } from '../io/readTable.js';
import { checkInputFile, checkOutputFolder, checkOutputs, type InputRef, type OutputFile, OutputSession, writeOutputs, writeText } from '../io/outputs.js';
import { writeTableFile } from '../io/write.js';
import { CounterfactError } from '../problems.js';
import { renderReport } from '../report/index.js';
import { parseStudy, runStudyWithMatch, type StudyResults } from '../study/index.js';
import { trainingCohort } from '../synth/index.js';
import { parseFlags } from './args.js';
import type { CliIO } from './io.js';
import { createProgress } from './progress.js';

export const RUN_HELP = `Usage: counterfact run STUDY.yaml [--out DIR] [--matches] [--force]

Runs the evaluation a study file describes (see docs/study-file.md) and writes to the output
folder: report.html, results.json, balance.csv, effects.csv, and matches.csv only when asked
(--matches or writeMatches: true; it holds unit ids). Exit codes: 0 ok, 2 bad input, 1 error.

The files are written all at once (a failed run leaves the previous set). An output never
replaces an input; an existing file is replaced only when counterfact wrote it and it is
unchanged (listed in the folder's .counterfact-output), or with --force. A second run into
the same folder while one is writing is refused (.counterfact-lock). See docs/cli.md.
`;

export const INIT_HELP = `Usage: counterfact init [DIR] [--force]

Writes DIR/study.yaml (commented) and a small synthetic example data set (people.csv,
spells.csv) so that "counterfact run DIR/study.yaml" works at once. DIR defaults to
counterfact-example. Refuses, naming it, when any of the three files exists (--force
replaces them).
`;

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function csv(header: string[], rows: (string | number | null)[][]): string {
  const cell = (v: string | number | null) => {
    if (v === null || (typeof v === 'number' && !Number.isFinite(v))) return '';
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header.join(','), ...rows.map((r) => r.map(cell).join(','))].join('\n') + '\n';
}

export function balanceCsv(r: StudyResults): string {
  return csv(
    [
      'covariate',
      'type',
      'mean_treated_before',
      'mean_control_before',
      'smd_before',
      'mean_treated_after',
      'mean_control_after',
      'smd_after',
      'cobalt_after',
      'variance_ratio_after',
      'ecdf_mean_after',
      'ecdf_max_after',
      'flagged',
    ],
    r.balance.rows.map((b) => [
      b.covariate,
      b.type,
      b.meanTreatedBefore,
      b.meanControlBefore,
      b.smdBefore,
      b.meanTreatedAfter,
      b.meanControlAfter,
      b.smdAfter,
      b.cobaltAfter,
      b.varianceRatioAfter,
      b.ecdfMeanAfter,
      b.ecdfMaxAfter,
      b.flagged ? 1 : 0,
    ]),
  );
}

export function effectsCsv(r: StudyResults): string {
  const rows: (string | number | null)[][] = [];
  for (const o of r.outcomes) {
    const e = o.effect;
    rows.push([o.label, 'headline', '', e.estimate, e.se, e.ciLower, e.ciUpper, e.pValue, e.meanTreated, e.meanControl, e.nTreated, e.nControls]);
    for (const p of o.curve ?? [])
      rows.push([o.label, 'horizon', p.horizon, p.estimate, p.se, p.ciLower, p.ciUpper, p.pValue, p.meanTreated, p.meanControl, p.nTreated, p.nControls]);
    for (const p of o.survival?.points ?? [])
      rows.push([
        o.label,
        'survival difference',
        p.time,
        p.difference,
        p.se,
        p.ciLower,
        p.ciUpper,
        null,
        p.survivalTreated,
        p.survivalControl,
        e.nTreated,
        e.nControls,
      ]);
  }
  for (const sg of r.subgroups) {
    for (const x of sg.rows as Record<string, number | string | null | boolean>[]) {
      rows.push([
        `${sg.outcome} by ${sg.label}`,
        `subgroup ${x.subgroup}${x.suppressed ? ' (suppressed)' : ''}`,
        '',
        x.estimate as number,
        x.se as number,
        x.ciLower as number,
        x.ciUpper as number,
        x.pValue as number,
        x.meanTreated as number,
        x.meanControl as number,
        x.nTreated as number,
        x.nControls as number,
      ]);
    }
  }
  return csv(['outcome', 'row', 'time', 'estimate', 'se', 'ci_lower', 'ci_upper', 'p_value', 'mean_treated', 'mean_control', 'n_treated', 'n_controls'], rows);
}

/** Read and validate a study file (YAML or JSON). */
export function readStudyFile(path: string) {
  if (!existsSync(path)) throw new CounterfactError({ code: 'bad_file', column: path, message: `study file not found: ${path}` });
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CounterfactError({ code: 'bad_study', message: `${path} is not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}` });
  }
  return parseStudy(doc);
}

export async function runCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { flags, positionals } = parseFlags(
    argv,
    { out: { type: 'string' }, matches: { type: 'boolean' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    true,
  );
  if (flags.help) {
    io.out(RUN_HELP);
    return 0;
  }
  if (positionals.length !== 1)
    throw new CounterfactError({ code: 'bad_argument', message: 'give exactly one study file: counterfact run STUDY.yaml (see --help)' });
  const studyPath = resolve(positionals[0]!);
  if (existsSync(studyPath)) checkInputFile(studyPath, 'the study file');
  const study = readStudyFile(studyPath);
  const base = dirname(studyPath);
  const personsPath = resolve(base, study.data.persons);
  checkInputFile(personsPath, 'data.persons');
  const spellsPath = study.data.spells ? resolve(base, study.data.spells) : null;
  if (spellsPath) checkInputFile(spellsPath, 'data.spells');
  // The outputs are checked and the folder locked before any work.
  const outArg = typeof flags.out === 'string' ? '--out' : 'output';
  const out = typeof flags.out === 'string' ? resolve(flags.out) : resolve(base, study.output);
  checkOutputFolder(out, outArg);
  mkdirSync(out, { recursive: true });
  const withMatches = Boolean(flags.matches || study.writeMatches);
  const names = ['results.json', 'balance.csv', 'effects.csv', 'report.html', ...(withMatches ? ['matches.csv'] : [])];
  const inputRefs: InputRef[] = [
    { path: studyPath, argument: 'the study file' },
    { path: personsPath, argument: 'data.persons' },
    ...(spellsPath ? [{ path: spellsPath, argument: 'data.spells' }] : []),
  ];
  const session = new OutputSession(
    names.map((n) => ({ path: join(out, n), argument: `${outArg} ${n}` })),
    { command: 'run', inputs: inputRefs, force: Boolean(flags.force), wholeSet: true },
  );
  try {
    const progress = createProgress(io, 'run');
    progress.update('reading data', 0);
    const opts = { delimiter: study.data.delimiter, decimal: study.data.decimal, thousands: study.data.thousands, encoding: study.data.encoding } as const;
    const persons = await readTableFile(personsPath, { ...opts, text: study.data.idType === 'text' ? [study.id] : undefined });
    const inputs = [{ role: 'persons', file: study.data.persons, sha256: sha256(personsPath), rows: persons.table.nRows }];
    let spellsTable: Awaited<ReturnType<typeof readTableFile>>['table'] | undefined;
    if (study.data.spells && spellsPath) {
      const spellIds = [study.id, ...study.outcomes.flatMap((o) => (o.type === 'spells' && o.spellColumns.id ? [o.spellColumns.id] : []))];
      const s = await readTableFile(spellsPath, { ...opts, text: study.data.idType === 'text' ? spellIds : undefined });
      spellsTable = s.table;
      inputs.push({ role: 'spells', file: study.data.spells, sha256: sha256(spellsPath), rows: s.table.nRows });
    }
    const { results, match } = runStudyWithMatch(
      study,
      { persons: persons.table, spells: spellsTable },
      { inputs, onProgress: (p) => progress.update(p.stage, 0.1 + 0.8 * p.fraction) },
    );
    progress.update('writing the report', 0.92);
    const report = await renderReport(results);
    const files: OutputFile[] = [
      { path: join(out, 'results.json'), argument: `${outArg} results.json`, write: writeText(JSON.stringify(results, null, 2) + '\n') },
      { path: join(out, 'balance.csv'), argument: `${outArg} balance.csv`, write: writeText(balanceCsv(results)) },
      { path: join(out, 'effects.csv'), argument: `${outArg} effects.csv`, write: writeText(effectsCsv(results)) },
      { path: join(out, 'report.html'), argument: `${outArg} report.html`, write: writeText(report) },
    ];
    if (withMatches) {
      const ids = columnLabels(getColumn(persons.table, study.id, 'id'));
      const p = match.pairs;
      const rows: (string | number | null)[][] = [];
      for (let m = 0; m < p.treated.length; m++) rows.push([ids[p.treated[m]!]!, ids[p.control[m]!]!, p.weight[m]!]);
      files.push({ path: join(out, 'matches.csv'), argument: `${outArg} matches.csv`, write: writeText(csv(['treated_id', 'control_id', 'weight'], rows)) });
    }
    await session.commit(files);
    progress.done();
    for (const w of results.warnings) io.err(`warning: ${w}\n`);
    for (const n of results.sensitivity.notes) io.err(`note: ${n}\n`);
    io.out(`wrote ${join(out, 'report.html')}, results.json, balance.csv, effects.csv${withMatches ? ', matches.csv' : ''}\n`);
    return 0;
  } finally {
    session.close();
  }
}

export const EXAMPLE_STUDY = `# counterfact study file — an example you can run at once:
#   npx counterfact run study.yaml
# Every field is documented in docs/study-file.md. Paths are relative to this file.
# The data next to it are SYNTHETIC (a small seeded cohort shaped like a job-centre register).

title: "Vocational training for unemployed adults — example cohort"

data:
  persons: people.csv        # one row per person
  spells: spells.csv         # one row per employment contract (id, start, end)

id: id                       # person identifier (links people to spells)
treatment: treat             # 1 = obtained a qualification, 0 = registrant in the control pool
covariates: [female, age, foreign, education, province, months_unemployed, inoccupato, prior_training, months_employed_18]

link: logit                  # propensity model: logit or probit
matching:
  ratio: 5                   # controls per treated unit
  replace: true              # a control may serve several treated units
  order: largest             # largest | smallest | random | data
se: ai                       # Abadie–Imbens standard errors (ai | pairs | none)

outcomes:
  - type: spells             # employment from contract spells
    referenceDate: reference_date   # course end (empty for controls: they get their match's date)
    horizons: [6, 12, 18, 24]       # months after the reference date
    label: employed 24 months after course end   # the headline is the last horizon

subgroups:
  - inoccupato               # re-matched exactly within each subgroup
  - { by: course_sector, treatedOnly: true, label: course sector }

costs:
  column: course_cost        # cost per participant (euro); or: total: 1234567
  unit: job

sensitivity:
  evalue: true

seed: 1
minCellCount: 10             # cells with fewer units are suppressed everywhere
output: report               # output folder (relative to this file)
`;

export async function initCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { flags, positionals } = parseFlags(argv, { help: { type: 'boolean', short: 'h' }, force: { type: 'boolean' } }, true);
  if (flags.help) {
    io.out(INIT_HELP);
    return 0;
  }
  const dir = resolve(positionals[0] ?? 'counterfact-example');
  checkOutputFolder(dir, 'DIR');
  mkdirSync(dir, { recursive: true });
  // Checked before anything is written: init never replaces a file unless --force.
  checkOutputs(
    ['study.yaml', 'people.csv', 'spells.csv'].map((n) => ({ path: join(dir, n), argument: 'init DIR' })),
    [],
    { force: Boolean(flags.force), replace: 'never' },
  );
  const cohort = trainingCohort(2015, { scale: 0.05 });
  // Per-participant course cost: hours × 8.5 €/h (illustrative).
  const hours = (cohort.people.columns.course_hours as { values: Float64Array }).values;
  const people = {
    ...cohort.people,
    names: [...cohort.people.names, 'course_cost'],
    columns: { ...cohort.people.columns, course_cost: { kind: 'numeric' as const, values: hours.map((h) => (Number.isNaN(h) ? NaN : h * 8.5)) } },
  };
  await writeOutputs(
    [
      { path: join(dir, 'people.csv'), argument: 'init DIR', write: (p) => writeTableFile(people, p) },
      { path: join(dir, 'spells.csv'), argument: 'init DIR', write: (p) => writeTableFile(cohort.spells, p) },
      { path: join(dir, 'study.yaml'), argument: 'init DIR', write: writeText(EXAMPLE_STUDY) },
    ],
    { command: 'init', inputs: [], force: Boolean(flags.force), replace: 'never' },
  );
  io.out(
    `wrote ${join(dir, 'study.yaml')}, people.csv (${people.nRows} synthetic people) and spells.csv\nnext: npx counterfact run ${join(dir, 'study.yaml')}\n`,
  );
  return 0;
}
