/**
 * The app's Web Worker: reads the opened files with the library's own reader and runs the study
 * through `runStudy` and `renderReport` — the pipeline `counterfact run` uses — posting progress
 * as it goes. The page can stop it at any time (`Worker.terminate`). No request leaves it.
 */
import { readTableFile } from '../io/readTable.js';
import { parseStudy, runStudy, type Study } from '../study/index.js';
import { renderReport } from '../report/index.js';
import { CounterfactError } from '../problems.js';
import type { Table } from '../data/table.js';
import { putFile } from './fsShim.js';
import type { FromWorker, ReadSettings, ToWorker } from './protocol.js';
import { describeColumns } from './columns.js';

/**
 * The file reader allocates some columns on a SharedArrayBuffer (so that Node's worker threads can
 * read them without a copy). A page has SharedArrayBuffer only when cross-origin isolated, which
 * a plain static server does not give; here everything runs on this one thread, so an ordinary
 * ArrayBuffer is the same thing.
 */
const g = globalThis as { SharedArrayBuffer?: unknown };
if (typeof g.SharedArrayBuffer === 'undefined') g.SharedArrayBuffer = ArrayBuffer;

interface Opened {
  name: string;
  bytes: Uint8Array;
  /** The table read with `key`'s options. */
  cache: { key: string; table: Table } | null;
}
const opened: { persons?: Opened; spells?: Opened } = {};

const post = (m: FromWorker) => (self as unknown as { postMessage(m: FromWorker): void }).postMessage(m);

async function read(o: Opened, settings: ReadSettings): Promise<Table> {
  const key = JSON.stringify(settings);
  if (o.cache?.key === key) return o.cache.table;
  putFile(o.name, o.bytes);
  const clean = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined && v !== 'auto' && !(Array.isArray(v) && v.length === 0)));
  const { table } = await readTableFile(o.name, clean);
  o.cache = { key, table };
  return table;
}

function messagesOf(e: unknown): string[] {
  if (e instanceof CounterfactError) return e.problems.map((p) => p.message);
  return [`internal error: ${(e as Error)?.message ?? String(e)} — please report this`];
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function run(doc: unknown): Promise<void> {
  const t0 = performance.now();
  const study: Study = parseStudy(doc);
  const persons = opened.persons;
  if (!persons) throw new CounterfactError({ code: 'bad_argument', column: 'data.persons', message: 'open the data file first (one row per unit)' });
  const d = study.data;
  const base = { delimiter: d.delimiter, decimal: d.decimal, thousands: d.thousands, encoding: d.encoding };
  post({ type: 'progress', stage: 'reading data', fraction: 0.02 });
  const table = await read(persons, { ...base, text: d.idType === 'text' ? [study.id] : undefined });
  const inputs = [{ role: 'persons', file: d.persons, sha256: await sha256(persons.bytes), rows: table.nRows }];
  let spells: Table | undefined;
  if (d.spells) {
    const s = opened.spells;
    if (!s)
      throw new CounterfactError({ code: 'bad_argument', column: 'data.spells', message: 'this outcome needs the contract spells: open the spells file' });
    const spellIds = [study.id, ...study.outcomes.flatMap((o) => (o.type === 'spells' && o.spellColumns.id ? [o.spellColumns.id] : []))];
    spells = await read(s, { ...base, text: d.idType === 'text' ? spellIds : undefined });
    inputs.push({ role: 'spells', file: d.spells, sha256: await sha256(s.bytes), rows: spells.nRows });
  }
  post({ type: 'progress', stage: 'propensity model and matching', fraction: 0.1 });
  const results = runStudy(
    study,
    { persons: table, spells },
    { inputs, onProgress: (p) => post({ type: 'progress', stage: p.stage, fraction: 0.1 + 0.8 * p.fraction }) },
  );
  post({ type: 'progress', stage: 'writing the report', fraction: 0.92 });
  const report = await renderReport(results);
  // The same bytes `counterfact run` writes to results.json.
  const resultsJson = JSON.stringify(results, null, 2) + '\n';
  post({ type: 'done', results, resultsJson, report, seconds: (performance.now() - t0) / 1000 });
}

self.onmessage = async (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  if (m.type === 'open') {
    try {
      const o: Opened = { name: m.name, bytes: new Uint8Array(m.bytes), cache: null };
      const table = await read(o, m.read);
      opened[m.role] = o;
      post({ type: 'columns', role: m.role, name: m.name, rows: table.nRows, columns: describeColumns(table) });
    } catch (e) {
      post({ type: 'error', role: m.role, messages: messagesOf(e) });
    }
  } else if (m.type === 'run') {
    try {
      await run(m.study);
    } catch (e) {
      post({ type: 'error', role: 'run', messages: messagesOf(e) });
    }
  }
};
