/**
 * Writing Tables to files (Node only): CSV streamed in blocks, Arrow IPC via apache-arrow.
 */
import { closeSync, openSync, writeSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Table } from '../data/table.js';
import { CounterfactError } from '../problems.js';

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Write a table as .csv (default) or .arrow. Missing values are empty CSV fields. Numbers are
 * written with full precision (JavaScript's shortest round-trip form). Cost: O(cells).
 */
export async function writeTableFile(table: Table, path: string): Promise<void> {
  const ext = extname(path).toLowerCase();
  if (ext === '.arrow' || ext === '.ipc' || ext === '.feather') {
    const arrow = await import('apache-arrow');
    const cols: Record<string, unknown> = {};
    for (const name of table.names) {
      const c = table.columns[name]!;
      cols[name] =
        c.kind === 'numeric'
          ? arrow.vectorFromArray(
              Array.from(c.values, (v) => (Number.isNaN(v) ? null : v)),
              new arrow.Float64(),
            )
          : arrow.vectorFromArray(
              Array.from(c.codes, (k) => (k < 0 ? null : c.levels[k]!)),
              new arrow.Utf8(),
            );
    }
    writeFileSync(path, arrow.tableToIPC(new arrow.Table(cols as never), 'file'));
    return;
  }
  if (ext === '.parquet') {
    const { parquetWriteFile } = await import('hyparquet-writer');
    parquetWriteFile({
      filename: path,
      columnData: table.names.map((name) => {
        const c = table.columns[name]!;
        return c.kind === 'numeric'
          ? { name, data: Array.from(c.values, (v) => (Number.isNaN(v) ? null : v)), type: 'DOUBLE' as const }
          : { name, data: Array.from(c.codes, (k) => (k < 0 ? null : c.levels[k]!)), type: 'STRING' as const };
      }),
    });
    return;
  }
  if (ext !== '.csv' && ext !== '.txt') {
    throw new CounterfactError({
      code: 'bad_argument',
      column: path,
      message: `cannot write ${ext || 'files without an extension'}: use .csv, .arrow or .parquet`,
    });
  }
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, table.names.map(csvCell).join(',') + '\n');
    const cols = table.names.map((n) => table.columns[n]!);
    const levels = cols.map((c) => (c.kind === 'categorical' ? c.levels.map(csvCell) : null));
    const BLOCK = 20_000;
    for (let start = 0; start < table.nRows; start += BLOCK) {
      const end = Math.min(table.nRows, start + BLOCK);
      const lines: string[] = new Array(end - start);
      for (let i = start; i < end; i++) {
        const cells: string[] = new Array(cols.length);
        for (let j = 0; j < cols.length; j++) {
          const c = cols[j]!;
          if (c.kind === 'numeric') {
            const v = c.values[i]!;
            cells[j] = Number.isNaN(v) ? '' : String(v);
          } else {
            const k = c.codes[i]!;
            cells[j] = k < 0 ? '' : levels[j]![k]!;
          }
        }
        lines[i - start] = cells.join(',');
      }
      writeSync(fd, lines.join('\n') + '\n');
    }
  } finally {
    closeSync(fd);
  }
}
