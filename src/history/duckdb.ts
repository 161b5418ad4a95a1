/**
 * The work-history preparation (and employment status at horizons) as SQL in DuckDB over a
 * Parquet file of contract spells, out of core: for national registers of tens of millions of
 * contracts that do not fit in memory as JS arrays. Node only; needs the optional dependency
 * `@duckdb/node-api` (installed by `npm install`/`npm ci` where the platform has a binary).
 *
 * The rules are those of `workHistory` (./workHistory.ts, docs/work-history.md) and `statusAt`
 * (src/outcomes/spells.ts), spell validation that of `prepareSpells`: a spell is used when its
 * person is known, its start is a date, its end is empty (open-ended) or a date not before the
 * start. The tests check equality with the in-memory result, value for value.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Column } from '../data/table.js';
import type { SpellColumns } from '../outcomes/spells.js';
import { CounterfactError } from '../problems.js';
import { checkMonths, historyArrays, historyColumns, markUndated, outputLevels, qualificationRanks, type WorkHistoryOptions } from './workHistory.js';

type DuckModule = typeof import('@duckdb/node-api');
type Connection = Awaited<ReturnType<Awaited<ReturnType<DuckModule['DuckDBInstance']['create']>>['connect']>>;

/** The message and fix when the DuckDB binding is not installed. */
export const DUCKDB_MISSING =
  'the DuckDB engine needs the optional package @duckdb/node-api, which is not installed: run `npm install @duckdb/node-api` (or use the in-memory engine)';

/**
 * Load `@duckdb/node-api`, or throw a CounterfactError (exit 2 in the CLI) saying how to install it.
 * @throws CounterfactError `bad_argument` on `engine`.
 */
export async function loadDuckDB(): Promise<DuckModule> {
  try {
    const name = '@duckdb/node-api';
    return (await import(/* @vite-ignore */ name)) as DuckModule;
  } catch {
    throw new CounterfactError({ code: 'bad_argument', column: 'engine', message: DUCKDB_MISSING });
  }
}

/** True when `@duckdb/node-api` can be loaded. */
export async function duckdbAvailable(): Promise<boolean> {
  try {
    await loadDuckDB();
    return true;
  } catch {
    return false;
  }
}

export interface DuckDBPeople {
  /** Person identifiers (matched to the spells' id column as `prepareSpells` does: by their text). */
  readonly ids: ArrayLike<string | number | null>;
  /** Reference date per person, days since 1970-01-01 (NaN = none). */
  readonly referenceDays: Float64Array;
  /** DID date per person, days since 1970-01-01 (NaN = none). */
  readonly didDays?: Float64Array;
}

export interface DuckDBEngineOptions {
  /** Spell column names in the Parquet file [id, start, end]. */
  readonly columns?: Partial<SpellColumns>;
  /** DuckDB memory_limit, e.g. '4GB' [DuckDB's default: 80% of RAM]. */
  readonly memoryLimit?: string;
  /** DuckDB threads [DuckDB's default: all cores]. */
  readonly threads?: number;
  /** Where DuckDB spills [a new folder under the system temporary folder, removed after]. */
  readonly tempDirectory?: string;
}

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;
const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;
const DAY0 = "DATE '1970-01-01'";

interface Session {
  con: Connection;
  close: () => void;
}

async function open(options: DuckDBEngineOptions): Promise<Session> {
  const duck = await loadDuckDB();
  const own = options.tempDirectory ? null : mkdtempSync(join(tmpdir(), 'counterfact-duckdb-'));
  const instance = await duck.DuckDBInstance.create(':memory:', {
    temp_directory: options.tempDirectory ?? own!,
    ...(options.memoryLimit ? { memory_limit: options.memoryLimit } : {}),
    ...(options.threads ? { threads: String(options.threads) } : {}),
    preserve_insertion_order: 'false',
  });
  const con = await instance.connect();
  return {
    con,
    close: () => {
      con.closeSync();
      instance.closeSync();
      if (own) rmSync(own, { recursive: true, force: true });
    },
  };
}

/** Column name → DuckDB type name of the Parquet file. */
async function describe(con: Connection, path: string): Promise<Map<string, string>> {
  const r = await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlString(path)})`);
  const rows = r.getRowObjectsJS() as { column_name: string; column_type: string }[];
  return new Map(rows.map((x) => [x.column_name, x.column_type]));
}

const INTEGER_TYPES = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/;
const FLOAT_TYPES = /^(FLOAT|DOUBLE|DECIMAL.*)$/;

/** SQL for a column's text label, as `columnLabels` gives it (numbers as JS prints them). */
function labelSql(col: string, type: string): string {
  const c = ident(col);
  if (INTEGER_TYPES.test(type)) return `CAST(${c} AS VARCHAR)`;
  if (FLOAT_TYPES.test(type))
    return `CASE WHEN isnan(CAST(${c} AS DOUBLE)) THEN NULL WHEN CAST(${c} AS DOUBLE) = trunc(CAST(${c} AS DOUBLE)) AND abs(CAST(${c} AS DOUBLE)) < 1e21 THEN CAST(CAST(${c} AS HUGEINT) AS VARCHAR) ELSE CAST(CAST(${c} AS DOUBLE) AS VARCHAR) END`;
  if (type === 'BOOLEAN') return `CASE WHEN ${c} THEN '1' ELSE '0' END`;
  return `CASE WHEN trim(CAST(${c} AS VARCHAR)) IN ('', 'NA', 'NaN', 'nan', 'null', 'NULL', '.') THEN NULL ELSE CAST(${c} AS VARCHAR) END`;
}

/** SQL rewriting text to yyyy-m-d (from dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy; time of day dropped), as `parseDate` reads it. */
function normalizedDateText(t: string): string {
  return `regexp_replace(regexp_replace(${t}, '^(\\d{4}-\\d{1,2}-\\d{1,2})[T ].*$', '\\1'), '^(\\d{1,2})[/.-](\\d{1,2})[/.-](\\d{4})$', '\\3-\\2-\\1')`;
}

/**
 * A spell date column in two steps: `inner` (computed once per row, as column `alias`) and
 * `date` (an SQL DATE from it, NULL when it is not a valid date); `given` = a non-missing value
 * was written. Numbers are dates only as yyyymmdd (checked by the caller: `prepareSpells`
 * refuses other numbers).
 */
function dateSql(col: string, type: string, alias: string): { inner: string; date: string; given: string; numeric: boolean } {
  const c = ident(col);
  const given = `${alias} IS NOT NULL`;
  if (type === 'DATE') return { inner: `${c} AS ${alias}`, date: alias, given, numeric: false };
  if (type.startsWith('TIMESTAMP')) return { inner: `CAST(${c} AS DATE) AS ${alias}`, date: alias, given, numeric: false };
  if (INTEGER_TYPES.test(type) || FLOAT_TYPES.test(type)) {
    const x = alias;
    return {
      inner: `CASE WHEN isnan(CAST(${c} AS DOUBLE)) THEN NULL ELSE CAST(${c} AS DOUBLE) END AS ${alias}`,
      date: `CASE WHEN ${x} = trunc(${x}) AND ${x} BETWEEN 10000101 AND 99991231 THEN try(make_date(CAST(${x} // 10000 AS INTEGER), CAST((${x} // 100) % 100 AS INTEGER), CAST(${x} % 100 AS INTEGER))) END`,
      given,
      numeric: true,
    };
  }
  return {
    inner: `${normalizedDateText(`trim(${labelSql(col, type)})`)} AS ${alias}`,
    date: `CASE WHEN regexp_full_match(${alias}, '\\d{4}-\\d{1,2}-\\d{1,2}') THEN CAST(try_strptime(${alias}, '%Y-%m-%d') AS DATE) WHEN regexp_full_match(${alias}, '\\d{8}') THEN CAST(try_strptime(${alias}, '%Y%m%d') AS DATE) END`,
    given,
    numeric: false,
  };
}

interface Prepared {
  /** Sorted levels per categorical column (all values in the file, as `prepareSpells` keeps them). */
  levels: Record<'type' | 'sector' | 'qualification', string[] | null>;
  /** Build the table `sp` of used spells: p, ref, rn (file row), s, e (NULL = open), t, sec, q (output codes), qrank. */
  materialize: (codes: {
    type: ArrayLike<number>;
    sector: ArrayLike<number>;
    qualification: ArrayLike<number>;
    qualificationRank: ArrayLike<number>;
  }) => Promise<void>;
}

/**
 * Load the people (index, join id, reference date), define the view `raw` over the Parquet file
 * and read the categorical levels; `materialize` then builds the used spells.
 */
async function prepare(con: Connection, duck: DuckModule, path: string, people: DuckDBPeople, columns: Partial<SpellColumns>): Promise<Prepared> {
  const types = await describe(con, path).catch((e: unknown) => {
    throw new CounterfactError({
      code: 'bad_argument',
      column: 'spells',
      message: `the spells file ${JSON.stringify(path)} could not be read as Parquet (${e instanceof Error ? e.message.split('\n')[0] : String(e)}): give a Parquet file of contract spells`,
    });
  });
  const cols = {
    id: columns.id ?? 'id',
    start: columns.start ?? 'start',
    end: columns.end ?? 'end',
    type: columns.type,
    sector: columns.sector,
    qualification: columns.qualification,
  };
  for (const [role, name] of Object.entries(cols)) {
    if (name !== undefined && !types.has(name)) {
      throw new CounterfactError({
        code: 'unknown_column',
        column: name,
        message: `the spells file has no column \`${name}\` (the ${role} column); it has ${[...types.keys()].map((k) => `\`${k}\``).join(', ')}`,
      });
    }
  }
  // People: the numeric join when every id is a whole number and the spells id is numeric.
  const n = people.referenceDays.length;
  if (people.ids.length !== n) {
    throw new CounterfactError({ code: 'bad_argument', column: 'ids', message: `people.ids has ${people.ids.length} values but referenceDays has ${n}` });
  }
  const idType = types.get(cols.id)!;
  let numericIds = INTEGER_TYPES.test(idType) || FLOAT_TYPES.test(idType);
  for (let i = 0; i < n && numericIds; i++) {
    const v = people.ids[i];
    if (v !== null && v !== undefined && !(typeof v === 'number' && Number.isSafeInteger(v))) numericIds = false;
  }
  // A repeated id links its spells to its last occurrence (as prepareSpells' index does).
  const last = new Map<string | number, number>();
  for (let i = 0; i < n; i++) {
    const v = people.ids[i];
    if (v !== null && v !== undefined && !(typeof v === 'number' && Number.isNaN(v))) last.set(numericIds ? (v as number) : String(v), i);
  }
  await con.run(`CREATE TABLE people (p INTEGER, id ${numericIds ? 'DOUBLE' : 'VARCHAR'}, ref DATE)`);
  const appender = await con.createAppender('people');
  const T = duck;
  const CHUNK = 2048;
  const chunk = T.DuckDBDataChunk.create([T.INTEGER, numericIds ? T.DOUBLE : T.VARCHAR, T.DATE]);
  for (let a = 0; a < n; a += CHUNK) {
    const b = Math.min(n, a + CHUNK);
    chunk.rowCount = b - a;
    const pv = chunk.getColumnVector(0);
    const iv = chunk.getColumnVector(1);
    const rv = chunk.getColumnVector(2);
    for (let i = a; i < b; i++) {
      pv.setItem(i - a, i);
      const v = people.ids[i];
      const key = v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)) ? null : numericIds ? (v as number) : String(v);
      iv.setItem(i - a, key !== null && last.get(key) === i ? key : null);
      const r = people.referenceDays[i]!;
      rv.setItem(i - a, Number.isFinite(r) ? new T.DuckDBDateValue(r) : null);
    }
    pv.flush();
    iv.flush();
    rv.flush();
    appender.appendDataChunk(chunk);
    chunk.reset();
  }
  appender.closeSync();
  last.clear();

  const start = dateSql(cols.start, types.get(cols.start)!, 'sx');
  const end = dateSql(cols.end, types.get(cols.end)!, 'ex');
  // prepareSpells refuses a numeric date column holding anything but yyyymmdd dates.
  for (const [role, d, name] of [['start', start, cols.start] as const, ['end', end, cols.end] as const]) {
    if (!d.numeric) continue;
    const r = await con.runAndReadAll(
      `SELECT ${role === 'start' ? 'sx' : 'ex'} AS v, rn FROM (SELECT file_row_number AS rn, ${d.inner} FROM read_parquet(${sqlString(path)}, file_row_number = true)) WHERE ${d.given} AND (${d.date}) IS NULL ORDER BY rn LIMIT 1`,
    );
    const bad = r.getRowObjectsJS()[0] as { v: number; rn: bigint } | undefined;
    if (bad) {
      throw new CounterfactError({
        code: 'bad_date',
        column: name,
        rows: [Number(bad.rn)],
        message: `spell date column \`${name}\` (${role}) holds numbers (e.g. ${bad.v} on data row ${Number(bad.rn) + 1}), not dates: give it as text dates in yyyy-mm-dd, dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy or yyyymmdd, or as a Parquet DATE`,
      });
    }
  }
  const idSql = numericIds ? `CAST(${ident(cols.id)} AS DOUBLE)` : labelSql(cols.id, idType);
  const cat = (name: string | undefined) => (name ? labelSql(name, types.get(name)!) : 'CAST(NULL AS VARCHAR)');
  await con.run(`CREATE TEMP VIEW raw AS SELECT rn, id, ${start.date} AS s, ${start.given} AS s_given, ${end.date} AS e, ${end.given} AS e_given, t, sec, q
    FROM (SELECT file_row_number AS rn, ${idSql} AS id, ${start.inner}, ${end.inner}, ${cat(cols.type)} AS t, ${cat(cols.sector)} AS sec, ${cat(cols.qualification)} AS q
      FROM read_parquet(${sqlString(path)}, file_row_number = true))`);
  const levels: Prepared['levels'] = { type: null, sector: null, qualification: null };
  const r = await con.runAndReadAll(`SELECT list(DISTINCT t) AS t, list(DISTINCT sec) AS sec, list(DISTINCT q) AS q FROM raw`);
  const lists = r.getRowObjectsJS()[0] as Record<'t' | 'sec' | 'q', (string | null)[] | null>;
  const sorted = (x: (string | null)[] | null) => (x ?? []).filter((v): v is string => v !== null).sort();
  if (cols.type) levels.type = sorted(lists.t);
  if (cols.sector) levels.sector = sorted(lists.sec);
  if (cols.qualification) levels.qualification = sorted(lists.q);
  return {
    levels,
    materialize: async (codes) => {
      await codeTable(con, 'tcodes', levels.type ?? [], codes.type);
      await codeTable(con, 'scodes', levels.sector ?? [], codes.sector);
      await codeTable(con, 'qcodes', levels.qualification ?? [], codes.qualification, codes.qualificationRank);
      // Used spells joined to their person, categorical labels as output codes (NULL = missing).
      await con.run(`CREATE TABLE sp AS SELECT pp.p, pp.ref, r.rn, r.s, r.e, tc.code AS t, sc.code AS sec, qc.code AS q, qc.rank AS qrank
        FROM raw r JOIN people pp ON r.id = pp.id
        LEFT JOIN tcodes tc ON r.t = tc.label LEFT JOIN scodes sc ON r.sec = sc.label LEFT JOIN qcodes qc ON r.q = qc.label
        WHERE r.s IS NOT NULL AND NOT (r.e_given AND r.e IS NULL) AND (r.e IS NULL OR r.e >= r.s)`);
    },
  };
}

/** A small table label → code (and rank) for the SQL to break ties as the in-memory code does. */
async function codeTable(con: Connection, name: string, labels: readonly string[], codes: ArrayLike<number>, ranks?: ArrayLike<number>): Promise<void> {
  await con.run(`CREATE TEMP TABLE ${name} (label VARCHAR, code INTEGER, rank INTEGER)`);
  if (labels.length === 0 || codes.length === 0) return;
  const values = labels.map((l, k) => `(${sqlString(l)}, ${codes[k]}, ${ranks ? ranks[k] : 0})`).join(', ');
  await con.run(`INSERT INTO ${name} VALUES ${values}`);
}

/** Bit masks of `count` day tests, 30 to an INTEGER column: `mask0`, `mask1`, … */
function maskSql(count: number, test: (k: number) => string): string[] {
  const out: string[] = [];
  for (let j = 0; j * 30 < count; j++) {
    const terms: string[] = [];
    for (let k = j * 30; k < Math.min(count, j * 30 + 30); k++) terms.push(`(CASE WHEN ${test(k)} THEN ${2 ** (k - j * 30)} ELSE 0 END)`);
    out.push(`bit_or(${terms.join(' | ')})::INTEGER AS mask${j}`);
  }
  return out;
}

/** Stream a query's rows: each chunk's vectors to `row`. */
async function forEachRow(con: Connection, sql: string, row: (get: (c: number) => unknown) => void): Promise<void> {
  const result = await con.stream(sql);
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const vectors = Array.from({ length: chunk.columnCount }, (_, c) => chunk.getColumnVector(c));
    for (let i = 0; i < chunk.rowCount; i++) row((c) => vectors[c]!.getItem(i));
  }
}

/**
 * `workHistory` in DuckDB over a Parquet spells file, out of core: the same columns, levels and
 * values as the in-memory function on the same spells (the tests check it).
 * Cost: a hash join of spells to people and two aggregations in DuckDB; JS holds only the
 * people's arrays and the output columns.
 * @throws CounterfactError when @duckdb/node-api is missing (with the install command), for
 * unknown columns, a file that is not Parquet, or what `workHistory` refuses.
 * @example
 * const h = await workHistoryDuckDB('contracts.parquet', { ids, referenceDays }, { columns: { sector: 'sector' } });
 */
export async function workHistoryDuckDB(
  spellsParquet: string,
  people: DuckDBPeople,
  options: WorkHistoryOptions & DuckDBEngineOptions = {},
): Promise<Record<string, Column>> {
  const months = checkMonths(options.months ?? 18);
  const n = people.referenceDays.length;
  const did = people.didDays ?? options.didDays;
  if (did && did.length !== n) {
    throw new CounterfactError({ code: 'bad_argument', column: 'didDays', message: `didDays has ${did.length} values but there are ${n} people` });
  }
  const duck = await loadDuckDB();
  const session = await open(options);
  const { con } = session;
  try {
    const prep = await prepare(con, duck, spellsParquet, people, options.columns ?? {});
    const { levels } = prep;
    const qualOut = outputLevels(levels.qualification ?? []);
    const ranks = levels.qualification ? qualificationRanks(levels.qualification, options.qualificationOrder) : new Int32Array(0);
    const sectorOut = outputLevels(levels.sector ?? []);
    const typeOut = outputLevels(levels.type ?? []);
    await prep.materialize({ type: typeOut.remap, sector: sectorOut.remap, qualification: qualOut.remap, qualificationRank: ranks });
    const dayK = (k: number) => `CAST(ref - INTERVAL (${k + 1}) MONTH AS DATE) AS d${k + 1}`;
    const masks = maskSql(months, (k) => `s <= d${k + 1} AND d${k + 1} <= ce`);
    const sql = `
      WITH c AS (
        SELECT p, rn, s, least(coalesce(e, ref - 1), ref - 1) AS ce, t, sec, q, qrank, ${Array.from({ length: months }, (_, k) => dayK(k)).join(', ')}
        FROM sp WHERE s < ref
      ), per AS (
        SELECT p, ${masks.join(', ')},
          arg_max(q, qrank) AS qcode,
          arg_max(sec, [CAST(ce - s AS BIGINT), -CAST(s - ${DAY0} AS BIGINT), -CAST(rn AS BIGINT)]) FILTER (WHERE sec IS NOT NULL) AS scode
        FROM c GROUP BY p
      ), tc AS (
        SELECT p, t AS code, count(*) AS k FROM c WHERE t IS NOT NULL GROUP BY p, t
      ), tm AS (
        SELECT p, arg_max(code, [k, -code]) AS tcode FROM tc GROUP BY p
      )
      SELECT per.*, tm.tcode FROM per LEFT JOIN tm ON per.p = tm.p`;
    const h = historyArrays(n, months);
    const { flags, total, never, sinceDid, highest, longest, mainType } = h;
    highest.fill(qualOut.none);
    longest.fill(sectorOut.none);
    mainType.fill(typeOut.none);
    const nMasks = masks.length;
    // Everyone with a reference date starts as never employed, zero months; rows found below change that.
    for (let p = 0; p < n; p++) never[p] = 1;
    await forEachRow(con, sql, (get) => {
      const p = get(0) as number;
      never[p] = 0;
      let sum = 0;
      for (let j = 0; j < nMasks; j++) {
        const m = get(1 + j) as number;
        for (let k = j * 30; k < Math.min(months, j * 30 + 30); k++) {
          const bit = (m >>> (k - j * 30)) & 1;
          flags[k]![p] = bit;
          sum += bit;
        }
      }
      total[p] = sum;
      const q = get(1 + nMasks) as number | null;
      const s = get(2 + nMasks) as number | null;
      const t = get(3 + nMasks) as number | null;
      if (q !== null) highest[p] = q;
      if (s !== null) longest[p] = s;
      if (t !== null) mainType[p] = t;
    });
    for (let p = 0; p < n; p++) {
      const r = people.referenceDays[p]!;
      if (!Number.isFinite(r)) markUndated(h, p);
      else sinceDid[p] = did && Number.isFinite(did[p]!) ? r - did[p]! : NaN;
    }
    return historyColumns(h, { qualification: qualOut.levels, sector: sectorOut.levels, type: typeOut.levels });
  } finally {
    session.close();
  }
}

/**
 * `statusAt` in DuckDB: employment (any used contract active on the day) at each horizon,
 * months after each person's reference date; 1 / 0, NaN without a reference date.
 * @throws CounterfactError as {@link workHistoryDuckDB}, and for horizons that are not whole numbers.
 */
export async function statusAtDuckDB(
  spellsParquet: string,
  people: Omit<DuckDBPeople, 'didDays'>,
  horizonsMonths: readonly number[],
  options: DuckDBEngineOptions = {},
): Promise<Float64Array[]> {
  if (horizonsMonths.length === 0 || horizonsMonths.some((h) => !Number.isInteger(h))) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: 'horizons',
      message: `horizons must be a non-empty list of whole numbers of months, received ${JSON.stringify(horizonsMonths)}`,
    });
  }
  const duck = await loadDuckDB();
  const session = await open(options);
  const { con } = session;
  try {
    const prep = await prepare(con, duck, spellsParquet, people, options.columns ?? {});
    const none = new Int32Array(0);
    await prep.materialize({ type: none, sector: none, qualification: none, qualificationRank: none });
    const H = horizonsMonths.length;
    const day = (k: number) => `CAST(ref + INTERVAL (${horizonsMonths[k]}) MONTH AS DATE) AS h${k}`;
    const masks = maskSql(H, (k) => `s <= h${k} AND (e IS NULL OR h${k} <= e)`);
    const n = people.referenceDays.length;
    const out = horizonsMonths.map(() => new Float64Array(n));
    await forEachRow(
      con,
      `SELECT p, ${masks.join(', ')} FROM (SELECT p, s, e, ${horizonsMonths.map((_, k) => day(k)).join(', ')} FROM sp WHERE ref IS NOT NULL) GROUP BY p`,
      (get) => {
        const p = get(0) as number;
        for (let j = 0; j < masks.length; j++) {
          const m = get(1 + j) as number;
          for (let k = j * 30; k < Math.min(H, j * 30 + 30); k++) out[k]![p] = (m >>> (k - j * 30)) & 1;
        }
      },
    );
    for (let p = 0; p < n; p++) if (!Number.isFinite(people.referenceDays[p]!)) for (const o of out) o[p] = NaN;
    return out;
  } finally {
    session.close();
  }
}
