/**
 * `counterfact estimate --history …`: the flags of the work-history step, read and checked here
 * so estimate.ts only calls one function. Node only (reads files; may load DuckDB).
 */
import { extname } from 'node:path';
import type { Table } from '../data/table.js';
import type { ReadOptions } from '../io/readTable.js';
import { readTableFile } from '../io/readTable.js';
import type { SpellColumns } from '../outcomes/spells.js';
import { CounterfactError } from '../problems.js';
import { parseControlDating, withWorkHistory, withWorkHistoryDuckDB, type HistoryStepResult } from './prepare.js';

type Flags = Readonly<Record<string, string | boolean | undefined>>;

const str = (flags: Flags, k: string): string | undefined => (typeof flags[k] === 'string' ? (flags[k] as string) : undefined);

/**
 * Run the history step the flags describe on `table`.
 * @throws CounterfactError naming the flag and the fix (exit 2).
 */
export async function historyFromFlags(
  table: Table,
  flags: Flags,
  id: string | undefined,
  encoding: ReadOptions['encoding'],
  seed: number,
): Promise<HistoryStepResult> {
  const spellsPath = str(flags, 'spells');
  if (!spellsPath)
    throw new CounterfactError({
      code: 'bad_argument',
      column: '--history',
      message: '--history needs --spells FILE: the contract spells the history is built from',
    });
  if (!id)
    throw new CounterfactError({ code: 'bad_argument', column: '--id', message: '--history needs --id: the column that links people to their contracts' });
  const date = str(flags, 'history-date') ?? str(flags, 'reference-date');
  if (!date)
    throw new CounterfactError({
      code: 'bad_argument',
      column: '--history-date',
      message: "--history needs --history-date COL (or --reference-date COL): the date each person's history is measured at, e.g. the course start",
    });
  const monthsText = str(flags, 'history-months');
  const months = monthsText === undefined ? 18 : Number(monthsText);
  if (!Number.isInteger(months) || months < 1 || months > 120)
    throw new CounterfactError({
      code: 'bad_argument',
      column: '--history-months',
      message: `--history-months must be a whole number from 1 to 120, received ${JSON.stringify(monthsText)}`,
    });
  const engine = str(flags, 'engine') ?? 'memory';
  if (engine !== 'memory' && engine !== 'duckdb')
    throw new CounterfactError({ code: 'bad_argument', column: '--engine', message: `--engine must be memory or duckdb, received ${JSON.stringify(engine)}` });
  const controls = parseControlDating(str(flags, 'controls-dated') ?? 'pseudo', seed, '--controls-dated');
  const order = str(flags, 'qualification-order')
    ?.split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  const spellId = str(flags, 'spell-id') ?? id;
  const base = { id: spellId, start: str(flags, 'spell-start') ?? 'start', end: str(flags, 'spell-end') ?? 'end' };
  const options = (names: readonly string[]) => {
    // type, sector, qualification: the flag's column, or the default name when the spells file has it.
    const pick = (flag: string, dflt: string) => str(flags, flag) ?? (names.includes(dflt) ? dflt : undefined);
    const columns: SpellColumns = {
      ...base,
      ...(pick('spell-type', 'type') ? { type: pick('spell-type', 'type') } : {}),
      ...(pick('spell-sector', 'sector') ? { sector: pick('spell-sector', 'sector') } : {}),
      ...(pick('spell-qualification', 'qualification') ? { qualification: pick('spell-qualification', 'qualification') } : {}),
    };
    return { id, date, did: str(flags, 'did'), months, qualificationOrder: order, controls, spellColumns: columns };
  };
  if (engine === 'duckdb') {
    if (extname(spellsPath).toLowerCase() !== '.parquet')
      throw new CounterfactError({
        code: 'bad_argument',
        column: '--spells',
        message: `--engine duckdb reads the spells from a Parquet file; ${JSON.stringify(spellsPath)} is not .parquet: convert it, or use --engine memory`,
      });
    const { loadDuckDB } = await import('./duckdb.js');
    const duck = await loadDuckDB();
    const inst = await duck.DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    const names =
      (await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${spellsPath.replaceAll("'", "''")}')`).catch(() => null))
        ?.getRowObjectsJS()
        .map((r) => String(r.column_name)) ?? [];
    con.closeSync();
    inst.closeSync();
    return withWorkHistoryDuckDB(table, spellsPath, options(names));
  }
  const { table: spells } = await readTableFile(spellsPath, { encoding, text: flags['id-text'] ? [spellId] : undefined });
  return withWorkHistory(table, spells, options(spells.names));
}
