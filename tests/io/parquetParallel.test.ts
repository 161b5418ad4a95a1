/**
 * Parquet row groups decoded on worker threads (src/io/parallelParquet.ts): the table is the one
 * the serial reader builds — same names, kinds, double bits, codes and levels (in the same
 * order) — and anything the workers leave alone gives null, so the serial reader (and its
 * errors) runs instead.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer, parquetWriteFile } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import type { Column, Table } from '../../src/data/table.js';
import { readParquetParallel, splitRowGroups } from '../../src/io/parallelParquet.js';
import { readTableFile, type ReadOptions } from '../../src/io/readTable.js';
import { writeTableFile } from '../../src/io/write.js';

const dir = mkdtempSync(join(tmpdir(), 'counterfact-pqpar-'));

/** The bytes of a typed array. */
const bytesOf = (a: Float64Array | Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** The two tables are the same: names, kinds, every double's bits, codes, levels, markings. */
function expectSameTable(par: Table, ser: Table): void {
  expect(par.nRows).toBe(ser.nRows);
  expect(par.names).toEqual(ser.names);
  expect(Object.keys(par.columns)).toEqual(Object.keys(ser.columns));
  for (const name of ser.names) {
    const a = par.columns[name]! as Column;
    const b = ser.columns[name]! as Column;
    expect(a.kind, name).toBe(b.kind);
    expect(Object.keys(a).sort(), name).toEqual(Object.keys(b).sort());
    if (a.kind === 'numeric' && b.kind === 'numeric') {
      expect(a.values.length).toBe(b.values.length);
      expect(a.values.buffer instanceof SharedArrayBuffer, name).toBe(b.values.buffer instanceof SharedArrayBuffer);
      expect(Buffer.compare(bytesOf(a.values), bytesOf(b.values)), name).toBe(0);
    } else if (a.kind === 'categorical' && b.kind === 'categorical') {
      expect(a.levels, name).toEqual(b.levels);
      expect(a.codes.buffer instanceof SharedArrayBuffer, name).toBe(b.codes.buffer instanceof SharedArrayBuffer);
      expect(Buffer.compare(bytesOf(a.codes), bytesOf(b.codes)), name).toBe(0);
      expect(a.nearNumeric, name).toEqual(b.nearNumeric);
    }
  }
}

/** The serial reader's table (one thread). */
async function serial(path: string, options: ReadOptions = {}): Promise<Table> {
  return (await readTableFile(path, { ...options, workers: 1 })).table;
}

/** The worker reader's table, which must not fall back. */
async function parallel(path: string, options: { columns?: string[]; text?: string[]; workers?: number } = {}): Promise<Table> {
  const t = await readParquetParallel(path, { workers: 2, minBytes: 0, ...options });
  expect(t).not.toBeNull();
  return t!;
}

const n = 5000;
const LATE = ['zeta', 'éclair', 'Ünïcode ✓', 'b'];
/** Several types, nulls, missing strings, levels first seen in late row groups. */
function mixedColumns() {
  return [
    { name: 'x', data: Array.from({ length: n }, (_, i) => (i % 11 === 0 ? null : i % 97 === 5 ? -0 : Math.sin(i) * 1e3)), type: 'DOUBLE' },
    { name: 'dense', data: Array.from({ length: n }, (_, i) => i * 0.125 - 7), type: 'DOUBLE' },
    { name: 'f', data: Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : i / 3)), type: 'FLOAT' },
    { name: 'i32', data: Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : ((i * 7919) % 1000) - 500)), type: 'INT32' },
    { name: 'i32dense', data: Array.from({ length: n }, (_, i) => (i * 31) % 17), type: 'INT32' },
    { name: 'i64', data: Array.from({ length: n }, (_, i) => (i % 9 === 0 ? null : BigInt(i) * 1000000007n - 2500000000000n)), type: 'INT64' },
    {
      name: 'g',
      // Levels first seen in late row groups; NA / " NA " / "" missing; nulls.
      data: Array.from({ length: n }, (_, i) => (i % 13 === 0 ? null : i > 4200 && i % 3 === 0 ? LATE[i % 4]! : ['m', 'a', 'NA', ' NA ', '', 'k'][i % 6]!)),
      type: 'STRING',
    },
    { name: 'numtext', data: Array.from({ length: n }, (_, i) => (i % 17 === 0 ? null : String((i % 50) * 0.5))), type: 'STRING' },
    // Mostly numbers, with decimal commas late in the file: marked near-numeric.
    { name: 'comma', data: Array.from({ length: n }, (_, i) => (i > 3000 && i % 10 === 0 ? `${i % 7},5` : String(i % 40))), type: 'STRING' },
    { name: 'id', data: Array.from({ length: n }, (_, i) => `P${(n - i) * 37}`), type: 'STRING' },
    { name: 'zip', data: Array.from({ length: n }, (_, i) => String(10000 + ((i * 7) % 300)).padStart(6, '0')), type: 'STRING' },
    { name: 'nothing', data: Array.from({ length: n }, () => null), type: 'STRING' },
    { name: 'onlyNA', data: Array.from({ length: n }, (_, i) => (i % 2 ? 'NA' : null)), type: 'STRING' },
  ];
}

function writeMixed(name: string, rowGroupSize: number | number[]): string {
  const p = join(dir, name);
  parquetWriteFile({ filename: p, rowGroupSize, columnData: mixedColumns() } as never);
  return p;
}

describe('readParquetParallel: the serial table, bit for bit', () => {
  const p = writeMixed('mixed.parquet', 640);

  it('every column type, 2 and 3 workers, through readTableFile too', async () => {
    const ser = await serial(p);
    expect(ser.columns.g!.kind).toBe('categorical');
    expect((ser.columns.g as { levels: readonly string[] }).levels).toContain('Ünïcode ✓');
    expect(ser.columns.numtext!.kind).toBe('numeric');
    expect(ser.columns.nothing!.kind).toBe('numeric');
    expect((ser.columns.comma as { nearNumeric?: unknown }).nearNumeric).toBeDefined();
    expectSameTable(await parallel(p), ser);
    expectSameTable(await parallel(p, { workers: 3 }), ser);
    expectSameTable(await parallel(p, { workers: 8 }), ser);
    // readTableFile's own wiring (forced onto the workers for a small file).
    const viaRead = await readTableFile(p, { workers: 2, parallelMinBytes: 0 } as ReadOptions);
    const viaSerial = await readTableFile(p, { workers: 1 });
    expectSameTable(viaRead.table, ser);
    expect(viaRead.report).toEqual(viaSerial.report);
  });

  it('text columns (strings and numbers read as text exactly)', async () => {
    const text = ['zip', 'numtext', 'i32', 'x', 'f', 'i64', 'nothing', 'g'];
    const ser = await serial(p, { text });
    expect(ser.columns.zip!.kind).toBe('categorical');
    expect(ser.columns.i32!.kind).toBe('categorical');
    expect(ser.columns.nothing!.kind).toBe('categorical');
    expectSameTable(await parallel(p, { text }), ser);
    expectSameTable(await parallel(p, { text, workers: 3 }), ser);
  });

  it('a subset of the columns', async () => {
    const columns = ['g', 'x', 'i64', 'zip', 'not-there'];
    const ser = await serial(p, { columns, text: ['zip'] });
    expect(ser.names).toEqual(['x', 'i64', 'g', 'zip']);
    expectSameTable(await parallel(p, { columns, text: ['zip'] }), ser);
  });

  it('uneven row groups (1000 then 300 rows), the file written by writeTableFile', async () => {
    const q = writeMixed('uneven.parquet', [1000, 300]);
    expectSameTable(await parallel(q, { workers: 4 }), await serial(q));
    // The library's own writer (DOUBLE and STRING columns, one row group of 1000 then 100,000).
    const ser = await serial(q);
    const w = join(dir, 'written.parquet');
    await writeTableFile(ser, w);
    expectSameTable(await parallel(w, { workers: 2 }), await serial(w));
  });

  it('row groups split into contiguous runs of about equal size', () => {
    expect(splitRowGroups([1, 1, 1, 1], 2)).toEqual([0, 2, 4]);
    expect(splitRowGroups([10, 1, 1, 1, 1], 2)).toEqual([0, 1, 5]);
    expect(splitRowGroups([1, 1, 1, 100], 3)).toEqual([0, 2, 3, 4]);
    for (const [g, w] of [
      [2, 2],
      [7, 3],
      [12, 8],
      [111, 8],
    ] as const) {
      const cuts = splitRowGroups(
        Array.from({ length: g }, (_, i) => 100 + (i % 3)),
        w,
      );
      expect(cuts.length).toBe(w + 1);
      expect(cuts[0]).toBe(0);
      expect(cuts[w]).toBe(g);
      for (let k = 0; k < w; k++) expect(cuts[k + 1]!).toBeGreaterThan(cuts[k]!);
    }
  });
});

describe('readParquetParallel: null where the serial reader decides', () => {
  const p = writeMixed('fallback.parquet', 640);

  it('one worker, a small file, one row group', async () => {
    expect(await readParquetParallel(p, { workers: 1, minBytes: 0 })).toBeNull();
    expect(await readParquetParallel(p, { workers: 2 })).toBeNull(); // under 32 MB
    const one = writeMixed('one-group.parquet', 10000);
    expect(await readParquetParallel(one, { workers: 2, minBytes: 0 })).toBeNull();
  });

  it('not a Parquet file, a missing file', async () => {
    const bad = join(dir, 'bad.parquet');
    writeFileSync(bad, 'x,y\n1,2\n'.repeat(100));
    expect(await readParquetParallel(bad, { workers: 2, minBytes: 0 })).toBeNull();
    expect(await readParquetParallel(join(dir, 'missing.parquet'), { workers: 2, minBytes: 0 })).toBeNull();
  });

  it('booleans, dates, int64 beyond 2^53: null, and readTableFile reads them on one thread', async () => {
    const rowGroupSize = 100;
    const m = 400;
    for (const [name, col] of [
      ['bool', { name: 'b', data: Array.from({ length: m }, (_, i) => i % 3 === 0), type: 'BOOLEAN' }],
      ['ts', { name: 't', data: Array.from({ length: m }, (_, i) => new Date(86_400_000 * i)), type: 'TIMESTAMP' }],
      ['long', { name: 'id', data: Array.from({ length: m }, (_, i) => 12345678901234567n + BigInt(i)), type: 'INT64' }],
    ] as const) {
      const q = join(dir, `${name}.parquet`);
      parquetWriteFile({ filename: q, rowGroupSize, columnData: [{ name: 'x', data: Array.from({ length: m }, (_, i) => i), type: 'DOUBLE' }, col] } as never);
      expect(await readParquetParallel(q, { workers: 2, minBytes: 0 }), name).toBeNull();
      const forced = await readTableFile(q, { workers: 2, parallelMinBytes: 0 } as ReadOptions);
      expectSameTable(forced.table, await serial(q));
      // Not the offending column: the workers read the rest.
      expectSameTable(await parallel(q, { columns: ['x'] }), await serial(q, { columns: ['x'] }));
    }
  });

  it('a nested column: null, and the same error as the serial reader, even when not selected', async () => {
    const q = join(dir, 'nested.parquet');
    const m = 300;
    writeFileSync(
      q,
      new Uint8Array(
        parquetWriteBuffer({
          rowGroupSize: 100,
          columnData: [
            { name: 'x', data: Array.from({ length: m }, (_, i) => i) },
            { name: 'l', data: Array.from({ length: m }, (_, i) => [i, i + 1]) },
          ],
          schema: [
            { name: 'root', num_children: 2 },
            { name: 'x', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
            { name: 'l', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
            { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
            { name: 'element', type: 'INT32', repetition_type: 'OPTIONAL' },
          ],
        } as never),
      ),
    );
    expect(await readParquetParallel(q, { workers: 2, minBytes: 0 })).toBeNull();
    expect(await readParquetParallel(q, { workers: 2, minBytes: 0, columns: ['x'] })).toBeNull();
    const error = async (o: ReadOptions) => {
      try {
        await readTableFile(q, o);
        return 'no error';
      } catch (e) {
        return (e as Error).message;
      }
    };
    const one = await error({ workers: 1 });
    expect(one).toMatch(/column `l` is a nested list column/);
    expect(await error({ workers: 2, parallelMinBytes: 0 } as ReadOptions)).toBe(one);
    expect(await error({ workers: 2, parallelMinBytes: 0, columns: ['x'] } as ReadOptions)).toBe(await error({ workers: 1, columns: ['x'] }));
  });

  it('a duplicated column name: null, same error', async () => {
    const q = join(dir, 'dup.parquet');
    const x = Array.from({ length: 300 }, (_, i) => i);
    parquetWriteFile({
      filename: q,
      rowGroupSize: 100,
      columnData: [
        { name: 'x', data: x, type: 'DOUBLE' },
        { name: 'x', data: x, type: 'DOUBLE' },
      ],
    } as never);
    expect(await readParquetParallel(q, { workers: 2, minBytes: 0 })).toBeNull();
    await expect(readTableFile(q, { workers: 2, parallelMinBytes: 0 } as ReadOptions)).rejects.toThrow(/column name `x` appears twice/);
  });
});

describe('readParquetParallel on files of another writer (DuckDB: version-1 data pages)', () => {
  it('nulls, dictionary and plain pages, text, several row groups: the serial table, bit for bit', async () => {
    const { loadDuckDB } = await import('../../src/history/duckdb.js');
    const duck = await loadDuckDB();
    const instance = await duck.DuckDBInstance.create(':memory:');
    const con = await instance.connect();
    const p = join(dir, 'duck.parquet');
    // 40,000 rows in row groups of 5,000: a double with nulls (plain), a low-cardinality double
    // (dictionary), integers with nulls, text with nulls and late levels, text that is all numbers.
    await con.run(`COPY (SELECT
        CASE WHEN i % 7 = 0 THEN NULL ELSE sin(i) * 1000 END AS x,
        CAST(i % 5 AS DOUBLE) / 4 AS lvl,
        CASE WHEN i % 11 = 0 THEN NULL ELSE CAST(i % 1000 AS INTEGER) END AS k,
        CAST(i AS BIGINT) * 3 AS big,
        CASE WHEN i % 13 = 0 THEN NULL WHEN i > 30000 THEN 'late' || (i % 3) ELSE 'r' || (i % 4) END AS region,
        CAST(i % 9 AS VARCHAR) AS digits
      FROM range(40000) t(i)) TO '${p}' (FORMAT parquet, ROW_GROUP_SIZE 5000)`);
    con.closeSync?.();
    const ser = await serial(p);
    expect(ser.nRows).toBe(40_000);
    expectSameTable(await parallel(p, { workers: 2 }), ser);
    expectSameTable(await parallel(p, { workers: 3, text: ['digits'] }), await serial(p, { text: ['digits'] }));
  });
});
