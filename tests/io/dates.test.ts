/**
 * Date columns of Parquet (DATE/TIMESTAMP) and Arrow (Date32<DAY>, Date64<MILLISECOND>) files read
 * as dates — text yyyy-mm-dd, as a CSV gives them — with nulls missing, so spells and reference
 * dates from these formats are accepted where a day count would be refused as "a number, not a
 * date".
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateDay, DateMillisecond, Float64, Table as ArrowTable, tableToIPC, vectorFromArray } from 'apache-arrow';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { readTableFile } from '../../src/io/readTable.js';
import { referenceDaysOf } from '../../src/outcomes/spells.js';
import { parseDate } from '../../src/data/dates.js';
import type { Table } from '../../src/data/table.js';

const dir = mkdtempSync(join(tmpdir(), 'cf-dates-'));
const when = [new Date('2016-03-31T00:00:00Z'), null, new Date('2017-01-02T00:00:00Z')];
const text = (t: Table, name: string) => {
  const c = t.columns[name]!;
  if (c.kind !== 'categorical') throw new Error(`${name} should be text dates, is ${c.kind}`);
  return Array.from(c.codes, (k) => (k < 0 ? null : c.levels[k]));
};

describe('date columns from Parquet and Arrow', () => {
  it('Arrow Date32<DAY> and Date64<MILLISECOND> read as yyyy-mm-dd, nulls missing', async () => {
    const t = new ArrowTable({
      day: vectorFromArray(when, new DateDay()),
      ms: vectorFromArray(when, new DateMillisecond()),
      x: vectorFromArray([1, 2, 3], new Float64()),
    });
    const p = join(dir, 'dates.arrow');
    writeFileSync(p, tableToIPC(t, 'file'));
    const { table } = await readTableFile(p, {});
    expect(text(table, 'day')).toEqual(['2016-03-31', null, '2017-01-02']);
    expect(text(table, 'ms')).toEqual(['2016-03-31', null, '2017-01-02']);
    expect(Array.from(referenceDaysOf(table, 'day'))).toEqual([parseDate('2016-03-31'), NaN, parseDate('2017-01-02')]);
  });
  it('Parquet timestamps read as dates and are accepted as reference dates', async () => {
    const p = join(dir, 'dates.parquet');
    writeFileSync(p, new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'when', data: when, type: 'TIMESTAMP' }] } as never)));
    const { table } = await readTableFile(p, {});
    expect(text(table, 'when')).toEqual(['2016-03-31', null, '2017-01-02']);
    expect(referenceDaysOf(table, 'when')[2]).toBe(parseDate('2017-01-02'));
  });
});
