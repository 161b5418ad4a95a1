/**
 * The browser build's stand-in for src/io/parallelCsv.ts (aliased in tsup.config.ts): the same
 * byte parser `parseCsv` runs on the calling thread (here: the app's Web Worker) over the bytes
 * the analyst opened. Worker threads are a Node feature; in the page the whole run is already
 * off the main thread.
 */
import { parseCsv, type CsvOptions, type IngestReport } from '../data/csv.js';
import type { Table } from '../data/table.js';
import { readFileSync } from './fsShim.js';

export const PARALLEL_CSV_MIN_BYTES = Number.POSITIVE_INFINITY;

export async function readCsvFile(path: string, _size: number, options: CsvOptions = {}): Promise<{ table: Table; report: IngestReport }> {
  return parseCsv(readFileSync(path), options);
}
