/** The page's column list: each column's detected type, missing count and distinct values. */
import { parseDate } from '../data/dates.js';
import type { Table } from '../data/table.js';
import type { ColumnInfo } from './protocol.js';

/** Type, missing count and distinct values of each column, for the page's column list. */
export function describeColumns(t: Table): ColumnInfo[] {
  return t.names.map((name) => {
    const c = t.columns[name]!;
    if (c.kind === 'numeric') {
      let missing = 0;
      const seen = new Set<number>();
      for (const v of c.values) {
        if (Number.isNaN(v)) missing++;
        else if (seen.size <= 1000) seen.add(v);
      }
      const binary = seen.size > 0 && [...seen].every((v) => v === 0 || v === 1);
      return { name, type: binary ? '0/1' : 'number', missing, distinct: seen.size };
    }
    let missing = 0;
    for (const v of c.codes) if (v < 0) missing++;
    const sample = c.levels.slice(0, 50);
    const date = sample.length > 0 && sample.every((l) => !Number.isNaN(parseDate(l)));
    return {
      name,
      type: date ? 'date' : 'text',
      missing,
      distinct: c.levels.length,
      ...(c.levels.length <= 2 ? { values: [...c.levels] } : {}),
    };
  });
}
