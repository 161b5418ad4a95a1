/**
 * The work-history step as the CLI and the study file run it: date every unit, build the
 * history columns from the spells (in memory, or in DuckDB over a Parquet file) and add them
 * to the people table, where the propensity model can name them as covariates.
 *
 * Controls have no programme date. Their history is measured at a date fixed before matching
 * (docs/work-history.md, "When controls are measured"): either one cohort date for every undated
 * unit, or a pseudo-date drawn with a seeded generator from the dated units' dates. Measuring a
 * control at the date of the treated unit it is matched to is circular here: the match depends
 * on the history, which would depend on the match.
 */
import { parseDate } from '../data/dates.js';
import { columnLabels, getColumn, withColumn, type Table } from '../data/table.js';
import { prepareSpells, referenceDaysOf, type SpellColumns } from '../outcomes/spells.js';
import { CounterfactError } from '../problems.js';
import { createRng } from '../random.js';
import { workHistory, workHistoryColumnNames } from './workHistory.js';

/** How units without a date (the controls) are dated for their work history. */
export type ControlDating = { readonly kind: 'pseudo'; readonly seed: number } | { readonly kind: 'cohort'; readonly date: string };

export interface HistoryStepOptions {
  /** The people's id column (links them to the spells). */
  readonly id: string;
  /** Date column the history is measured at (programme start); empty for controls. */
  readonly date: string;
  /** DID date column (declaration of immediate availability), optional. */
  readonly did?: string;
  readonly months?: number;
  readonly qualificationOrder?: readonly string[];
  readonly controls: ControlDating;
  readonly spellColumns: SpellColumns;
}

export interface HistoryStepResult {
  readonly table: Table;
  /** The columns added, in order. */
  readonly added: readonly string[];
  /** What was done, for results' settings. */
  readonly settings: Record<string, unknown>;
  readonly warnings: readonly string[];
}

/** Parse the study file / CLI wording: "pseudo" or a date (yyyy-mm-dd …). */
export function parseControlDating(text: string, seed: number, where: string): ControlDating {
  if (text === 'pseudo') return { kind: 'pseudo', seed };
  if (Number.isFinite(parseDate(text))) return { kind: 'cohort', date: text };
  throw new CounterfactError({
    code: 'bad_argument',
    column: where,
    message: `${where} must be "pseudo" (seeded pseudo-dates drawn from the dated units' dates) or a cohort date such as 2015-01-01; received ${JSON.stringify(text)}`,
  });
}

/**
 * The date every unit's history is measured at: the date column where given; for the others,
 * the cohort date or a seeded pseudo-date drawn (uniformly, with replacement) from the dated units.
 * @throws CounterfactError when no unit has a date to draw from.
 */
export function historyDates(table: Table, column: string, controls: ControlDating): { days: Float64Array; undated: number; description: string } {
  const given = referenceDaysOf(table, column, 'history date column');
  const days = Float64Array.from(given);
  const pool: number[] = [];
  for (const d of given) if (Number.isFinite(d)) pool.push(d);
  const undated = given.length - pool.length;
  if (controls.kind === 'cohort') {
    const c = parseDate(controls.date);
    for (let i = 0; i < days.length; i++) if (!Number.isFinite(days[i]!)) days[i] = c;
    return { days, undated, description: `units without \`${column}\` (${undated}) measured at the cohort date ${controls.date}` };
  }
  if (pool.length === 0) {
    throw new CounterfactError({
      code: 'bad_date',
      column,
      message: `no unit has a date in \`${column}\` to draw the controls' pseudo-dates from: fill it for the treated, or give a cohort date`,
    });
  }
  const rng = createRng(controls.seed);
  for (let i = 0; i < days.length; i++) if (!Number.isFinite(days[i]!)) days[i] = pool[rng.int(pool.length)]!;
  return {
    days,
    undated,
    description: `units without \`${column}\` (${undated}) measured at pseudo-dates drawn from the ${pool.length} dated units' dates (seed ${controls.seed})`,
  };
}

function checkFree(table: Table, months: number): string[] {
  const names = workHistoryColumnNames(months);
  const taken = names.filter((n) => table.names.includes(n));
  if (taken.length) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: taken[0],
      message: `the data already have column(s) ${taken.map((t) => `\`${t}\``).join(', ')}, which the work-history step adds: rename them in the data, or drop the history step`,
    });
  }
  return names;
}

function finish(
  table: Table,
  cols: Record<string, import('../data/table.js').Column>,
  names: string[],
  settings: Record<string, unknown>,
  warnings: string[],
): HistoryStepResult {
  let out = table;
  for (const n of names) out = withColumn(out, n, cols[n]!);
  return { table: out, added: names, settings, warnings };
}

/**
 * Add the work-history columns to `table`, from a spells table in memory.
 * Cost: that of `prepareSpells` plus `workHistory`.
 * @throws CounterfactError for unknown columns, dates, or columns the data already have.
 */
export function withWorkHistory(table: Table, spellsTable: Table, options: HistoryStepOptions): HistoryStepResult {
  const months = options.months ?? 18;
  const names = checkFree(table, months);
  const dates = historyDates(table, options.date, options.controls);
  const did = options.did ? referenceDaysOf(table, options.did, 'DID date column') : undefined;
  const ids = columnLabels(getColumn(table, options.id, 'id'));
  const spells = prepareSpells(spellsTable, options.spellColumns, ids);
  const cols = workHistory(spells, dates.days, { months, qualificationOrder: options.qualificationOrder, didDays: did });
  const warnings = spells.exclusions.map((x) => `work history: ${x.count} contract spell(s) excluded: ${x.reason}`);
  return finish(table, cols, names, settings(options, months, dates.description, 'memory', { read: spells.spellsRead, used: spells.spellsUsed }), warnings);
}

/**
 * As {@link withWorkHistory}, in DuckDB over a Parquet spells file (Node only; needs
 * `@duckdb/node-api`).
 * @throws CounterfactError as withWorkHistory, and when DuckDB is not installed (with the install command).
 */
export async function withWorkHistoryDuckDB(
  table: Table,
  spellsParquet: string,
  options: HistoryStepOptions & { memoryLimit?: string },
): Promise<HistoryStepResult> {
  const months = options.months ?? 18;
  const names = checkFree(table, months);
  const dates = historyDates(table, options.date, options.controls);
  const did = options.did ? referenceDaysOf(table, options.did, 'DID date column') : undefined;
  const idCol = getColumn(table, options.id, 'id');
  const ids = idCol.kind === 'numeric' ? idCol.values : columnLabels(idCol);
  const { workHistoryDuckDB } = await import('./duckdb.js');
  const cols = await workHistoryDuckDB(
    spellsParquet,
    { ids, referenceDays: dates.days, didDays: did },
    { months, qualificationOrder: options.qualificationOrder, columns: options.spellColumns, memoryLimit: options.memoryLimit },
  );
  return finish(table, cols, names, settings(options, months, dates.description, 'duckdb', null), []);
}

function settings(
  options: HistoryStepOptions,
  months: number,
  controls: string,
  engine: string,
  spells: Record<string, number> | null,
): Record<string, unknown> {
  return {
    engine,
    date: options.date,
    did: options.did ?? null,
    months,
    controls,
    controlDating: options.controls.kind === 'cohort' ? { cohortDate: options.controls.date } : { pseudo: true, seed: options.controls.seed },
    qualificationOrder: options.qualificationOrder ?? null,
    spellColumns: options.spellColumns,
    columns: workHistoryColumnNames(months),
    ...(spells ? { spells } : {}),
  };
}
