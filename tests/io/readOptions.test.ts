/**
 * Reader options on every path: one thread, worker threads and the string parser give the same
 * table for `text` columns, other encodings and the near-numeric mark; the checks run in the
 * per-column finishing step, so threads see them too.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/data/csv.js';
import type { Table } from '../../src/data/table.js';
import { readCsvFile } from '../../src/io/parallelCsv.js';

const dir = mkdtempSync(join(tmpdir(), 'counterfact-readopts-'));

function plain(t: Table) {
  return t.names.map((n) => {
    const c = t.columns[n]!;
    return c.kind === 'numeric' ? { n, v: Array.from(c.values) } : { n, codes: Array.from(c.codes), levels: c.levels, nn: c.nearNumeric ?? null };
  });
}

/** ~1.3 MB: ids with leading zeros, a city in Latin-1 or UTF-8, x with one stray token late in the file. */
function file(rows: number, city: (i: number) => string): string {
  const out = ['id,city,x,y'];
  for (let i = 0; i < rows; i++) out.push(`${String(i).padStart(7, '0')},${city(i)},${i === rows - 3 ? '"1,5"' : (i % 97) / 8},${i % 2}`);
  return out.join('\n') + '\n';
}

describe('reader options on one thread and on worker threads', () => {
  const rows = 40_000;
  const text = file(rows, (i) => (i % 3 ? 'Città' : 'Cittè'));
  const utf8Path = join(dir, 'utf8.csv');
  const latinPath = join(dir, 'latin1.csv');
  writeFileSync(utf8Path, text);
  writeFileSync(latinPath, Buffer.from(text, 'latin1'));
  const size = (s: string) => Buffer.byteLength(s);
  /** The header and the first k data rows. */
  const head = (k: number) =>
    `${text
      .split('\n')
      .slice(0, k + 1)
      .join('\n')}\n`;

  it('`text` columns: same table with 1 and 2 workers, ids exactly as written', async () => {
    const one = await readCsvFile(utf8Path, size(text), { text: ['id'], workers: 1 });
    const two = await readCsvFile(utf8Path, size(text), { text: ['id'], workers: 2, parallelMinBytes: 0, segmentBytes: 1 << 16 });
    expect(two.report.threads).toBe(2);
    expect(plain(two.table)).toEqual(plain(one.table));
    const id = one.table.columns.id!;
    expect(id.kind).toBe('categorical');
    if (id.kind === 'categorical') expect(id.levels.slice(0, 2)).toEqual(['0000000', '0000001']);
    // Without the option the same ids are numbers.
    expect(parseCsv(head(5)).table.columns.id!.kind).toBe('numeric');
  });

  it('the near-numeric mark is the same on every path (one stray "1,5" near the end)', async () => {
    const one = await readCsvFile(utf8Path, size(text), { workers: 1 });
    const two = await readCsvFile(utf8Path, size(text), { workers: 2, parallelMinBytes: 0, segmentBytes: 1 << 16 });
    const x = one.table.columns.x!;
    expect(x.kind === 'categorical' && x.nearNumeric).toEqual({
      numeric: rows,
      nonMissing: rows,
      offending: [{ value: '1,5', at: rows - 3 + 2 }],
      offendingCount: 1,
      unit: 'line',
      notations: ['decimal comma'],
    });
    expect(plain(two.table)).toEqual(plain(one.table));
    expect(plain(parseCsv(text).table)).toEqual(plain(one.table));
  });

  it('Latin-1: refused naming the column and line on every path; read as asked it equals the UTF-8 file', async () => {
    for (const workers of [1, 2]) {
      await expect(readCsvFile(latinPath, size(text) - rows, { workers, parallelMinBytes: 0 })).rejects.toThrow(
        /column `city` holds bytes that are not UTF-8 \(line 2: "Citt\uFFFD"\).*--encoding latin1/,
      );
    }
    const asked = await readCsvFile(latinPath, size(text) - rows, { encoding: 'latin1', workers: 2, parallelMinBytes: 0 });
    const ref = await readCsvFile(utf8Path, size(text), { workers: 1 });
    expect(asked.report.threads).toBe(1); // decoded on this thread
    expect(plain(asked.table)).toEqual(plain(ref.table));
  });

  it('gzip and UTF-16 are recognised on the worker path too', async () => {
    const { gzipSync } = await import('node:zlib');
    const gz = join(dir, 'x.csv');
    writeFileSync(gz, gzipSync(text));
    await expect(readCsvFile(gz, 1 << 20, { workers: 2, parallelMinBytes: 0 })).rejects.toThrow(/gzip-compressed/);
    const u16 = join(dir, 'u16.csv');
    const body = Buffer.from(`\ufeff${head(300)}`, 'utf16le');
    writeFileSync(u16, body);
    await expect(readCsvFile(u16, body.length, { workers: 2, parallelMinBytes: 0 })).rejects.toThrow(/UTF-16 text/);
    const read = await readCsvFile(u16, body.length, { workers: 2, parallelMinBytes: 0, encoding: 'utf-16le' });
    expect(read.table.names).toEqual(['id', 'city', 'x', 'y']);
  });
});

describe('reader options on the string parser (text with lone surrogates)', () => {
  it('`text` columns and the near-numeric mark as on the byte parser', () => {
    const body = 'id,x,note\n007,1,a\n7,"1,5",b\n8,2,c\n';
    const viaBytes = parseCsv(body, { text: ['id'] });
    const viaString = parseCsv(body.replace(',c\n', ',\ud800\n'), { text: ['id'] });
    expect(plain(viaString.table).slice(0, 2)).toEqual(plain(viaBytes.table).slice(0, 2));
    const id = viaString.table.columns.id!;
    expect(id.kind === 'categorical' && id.levels).toEqual(['007', '7', '8']);
    const x = viaString.table.columns.x!;
    expect(x.kind === 'categorical' && x.nearNumeric?.offending).toEqual([{ value: '1,5', at: 3 }]);
  });
});
