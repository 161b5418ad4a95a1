/**
 * The DuckDB engine gives exactly the in-memory result. These tests FAIL (never skip) when
 * @duckdb/node-api is missing: it is an optional dependency, and `npm ci` installs optional
 * dependencies on this platform (linux-x64 has a prebuilt binding), so a missing binding here
 * means a broken install, not a platform without DuckDB.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parseDate } from '../../src/data/dates.js';
import { columnLabels, fromColumns, type Column, type Table } from '../../src/data/table.js';
import { duckdbAvailable, statusAtDuckDB, workHistoryDuckDB } from '../../src/history/duckdb.js';
import { workHistory } from '../../src/history/index.js';
import { writeTableFile } from '../../src/io/write.js';
import { prepareSpells, referenceDaysOf, statusAt, type SpellColumns } from '../../src/outcomes/index.js';
import { createRng } from '../../src/random.js';
import { trainingCohort, voucherCohort } from '../../src/synth/studies.js';
import { HAND_ANSWERS, HAND_COLUMNS, HAND_DID, HAND_PEOPLE, HAND_REFERENCE, HAND_SPELLS, plain } from './handCase.js';

const dir = mkdtempSync(join(tmpdir(), 'cf-history-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function parquet(name: string, t: Table): Promise<string> {
  const p = join(dir, `${name}.parquet`);
  await writeTableFile(t, p);
  return p;
}

/** Same names, same levels, same values (NaN = NaN, codes compared as labels and as codes). */
function expectSame(a: Record<string, Column>, b: Record<string, Column>): void {
  expect(Object.keys(b)).toEqual(Object.keys(a));
  for (const k of Object.keys(a)) {
    const x = a[k]!;
    const y = b[k]!;
    expect(y.kind, k).toBe(x.kind);
    if (x.kind === 'categorical' && y.kind === 'categorical') {
      expect(y.levels, k).toEqual(x.levels);
      expect(Array.from(y.codes), k).toEqual(Array.from(x.codes));
    } else expect(plain(y), k).toEqual(plain(x));
  }
}

describe('DuckDB engine', () => {
  it('the binding is installed (npm ci installs optional dependencies on this platform)', async () => {
    expect(await duckdbAvailable()).toBe(true);
  });

  it('the hand-built case: the answers written out by hand, and the in-memory result', async () => {
    const path = await parquet('hand', HAND_SPELLS);
    const options = { months: 3, qualificationOrder: ['1', '2', '3'] };
    const h = await workHistoryDuckDB(path, { ids: HAND_PEOPLE, referenceDays: HAND_REFERENCE, didDays: HAND_DID }, { ...options, columns: HAND_COLUMNS });
    for (const [name, want] of Object.entries(HAND_ANSWERS)) expect(plain(h[name]!), name).toEqual(want);
    const mem = workHistory(prepareSpells(HAND_SPELLS, HAND_COLUMNS, HAND_PEOPLE), HAND_REFERENCE, { ...options, didDays: HAND_DID });
    expectSame(mem, h);
    const horizons = [0, 1, 2, 6, 12];
    const s = await statusAtDuckDB(path, { ids: HAND_PEOPLE, referenceDays: HAND_REFERENCE }, horizons, { columns: HAND_COLUMNS });
    expect(s.map((x) => Array.from(x))).toEqual(
      statusAt(prepareSpells(HAND_SPELLS, HAND_COLUMNS, HAND_PEOPLE), HAND_REFERENCE, horizons).map((x) => Array.from(x)),
    );
  });

  const fixtures = [
    ['training 2015', () => trainingCohort(2015, { scale: 0.15 })],
    ['vouchers', () => voucherCohort({ scale: 0.05 })],
  ] as const;
  for (const [name, make] of fixtures) {
    it(`the ${name} fixture: work history and status at 6/12/18/24 months equal the in-memory result`, async () => {
      const c = make();
      const cols: SpellColumns = {
        id: 'id',
        start: 'start',
        end: 'end',
        ...(c.spells.names.includes('type') ? { type: 'type' } : {}),
        ...(c.spells.names.includes('sector') ? { sector: 'sector' } : {}),
        ...(c.spells.names.includes('qualification') ? { qualification: 'qualification' } : {}),
      };
      const q = c.spells.columns.qualification;
      const order = q && q.kind === 'categorical' ? [...q.levels] : undefined;
      const ids = columnLabels(c.people.columns.id!);
      // Treated at their reference date, controls at the cohort date (as the fixtures measure them).
      const ref = referenceDaysOf(c.people, 'reference_date');
      const cohort = 'cohortDate' in c ? parseDate(String((c as { cohortDate: string }).cohortDate)) : NaN;
      for (let i = 0; i < ref.length; i++) if (!Number.isFinite(ref[i]!) && i % 7 !== 0) ref[i] = cohort;
      const did = c.people.names.includes('did_date') ? referenceDaysOf(c.people, 'did_date') : undefined;
      const path = await parquet(name.replace(' ', '-'), c.spells);
      const mem = workHistory(prepareSpells(c.spells, cols, ids), ref, { qualificationOrder: order, didDays: did });
      const duck = await workHistoryDuckDB(path, { ids, referenceDays: ref, didDays: did }, { qualificationOrder: order, columns: cols });
      expectSame(mem, duck);
      const H = [6, 12, 18, 24];
      const s = await statusAtDuckDB(path, { ids, referenceDays: ref }, H, { columns: cols });
      expect(s.map((x) => Array.from(x))).toEqual(statusAt(prepareSpells(c.spells, cols, ids), ref, H).map((x) => Array.from(x)));
    }, 60_000);
  }

  it('random spells with month ends, open ends, ties, bad rows and unknown people: equal to in-memory', async () => {
    const rng = createRng(7);
    const n = 3000;
    const people = Array.from({ length: n }, (_, i) => i + 1);
    const id: (number | null)[] = [];
    const start: (string | null)[] = [];
    const end: (string | null)[] = [];
    const type: (string | null)[] = [];
    const sector: (string | null)[] = [];
    const qual: (string | null)[] = [];
    const day = (d: number) => new Date(d * 86_400_000).toISOString().slice(0, 10);
    const base = parseDate('2014-01-31');
    for (let i = 0; i < n * 4; i++) {
      id.push(rng.next() < 0.02 ? n + 5 + i : 1 + rng.int(n));
      // Month ends and a few lengths repeat, so ties in length and start happen.
      const s = rng.next() < 0.3 ? parseDate(`${2014 + rng.int(3)}-0${1 + rng.int(9)}-28`) + rng.int(4) : base + rng.int(1500);
      start.push(rng.next() < 0.01 ? 'not a date' : rng.next() < 0.01 ? null : day(s));
      const len = [0, 29, 30, 31, 90, 365][rng.int(6)]! + (rng.next() < 0.3 ? rng.int(200) : 0);
      end.push(rng.next() < 0.1 ? null : rng.next() < 0.01 ? '2015-02-30' : rng.next() < 0.01 ? day(s - 3) : day(s + len));
      type.push(rng.next() < 0.05 ? null : ['fixed_term', 'open_ended', 'temp_agency'][rng.int(3)]!);
      sector.push(rng.next() < 0.05 ? null : ['retail', 'tourism', 'construction', 'services'][rng.int(4)]!);
      qual.push(rng.next() < 0.1 ? null : String(1 + rng.int(5)));
    }
    const t = fromColumns({ id, start, end, type, sector, qual });
    const ref = Float64Array.from(people, (_, i) => (i % 11 === 0 ? NaN : i % 5 === 0 ? parseDate('2016-03-31') + 0 : base + 365 + ((i * 37) % 900)));
    const did = Float64Array.from(people, (_, i) => (i % 3 === 0 ? NaN : ref[i]! - ((i * 13) % 400)));
    const cols = HAND_COLUMNS;
    const mem = workHistory(prepareSpells(t, cols, people), ref, { didDays: did });
    const path = await parquet('random', t);
    const duck = await workHistoryDuckDB(path, { ids: people, referenceDays: ref, didDays: did }, { columns: cols });
    expectSame(mem, duck);
    // Text ids on the people side and as many months as 40 (two masks).
    const mem40 = workHistory(prepareSpells(t, cols, people.map(String)), ref, { months: 40 });
    const duck40 = await workHistoryDuckDB(path, { ids: people.map(String), referenceDays: ref }, { months: 40, columns: cols });
    expectSame(mem40, duck40);
  }, 60_000);

  it('numeric yyyymmdd dates are read as dates; other numbers are refused naming the column', async () => {
    const t = fromColumns({ id: [1, 1, 2], start: [20150131, 20160229, 20151001], end: [20150630, Number.NaN, 20151031] });
    const path = await parquet('compact', t);
    const ref = Float64Array.from([parseDate('2016-03-31'), parseDate('2016-01-15')]);
    const cols = { id: 'id', start: 'start', end: 'end' };
    expectSame(
      workHistory(prepareSpells(t, cols, [1, 2]), ref, { months: 4 }),
      await workHistoryDuckDB(path, { ids: [1, 2], referenceDays: ref }, { months: 4, columns: cols }),
    );
    const bad = await parquet('days', fromColumns({ id: [1], start: [16800], end: [16900] }));
    await expect(workHistoryDuckDB(bad, { ids: [1], referenceDays: ref.slice(0, 1) }, { columns: cols })).rejects.toThrow(/`start`.*holds numbers.*16800/);
  });

  it('names a missing spells column and a file that is not Parquet', async () => {
    const path = await parquet('hand2', HAND_SPELLS);
    await expect(
      workHistoryDuckDB(path, { ids: HAND_PEOPLE, referenceDays: HAND_REFERENCE }, { columns: { ...HAND_COLUMNS, sector: 'branch' } }),
    ).rejects.toThrow(/no column `branch`/);
    await expect(workHistoryDuckDB(join(dir, 'none.parquet'), { ids: HAND_PEOPLE, referenceDays: HAND_REFERENCE })).rejects.toThrow(
      /could not be read as Parquet/,
    );
  });

  it('without the binding: a CounterfactError with the install command', async () => {
    vi.resetModules();
    vi.doMock('@duckdb/node-api', () => {
      throw new Error('Cannot find module');
    });
    const m = await import('../../src/history/duckdb.js');
    await expect(m.loadDuckDB()).rejects.toThrow(/npm install @duckdb\/node-api/);
    vi.doUnmock('@duckdb/node-api');
    vi.resetModules();
  });
});
