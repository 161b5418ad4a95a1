import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MatchResult } from '../../src/contracts.js';
import { fromColumns, type Table } from '../../src/data/table.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Path of a file under tests/reference. */
export function referencePath(name: string): string {
  return `${here}../reference/${name}`;
}

/** Read a JSON file under tests/reference. */
export function readReference<T = any>(name: string): T {
  return JSON.parse(readFileSync(referencePath(name), 'utf8')) as T;
}

/**
 * MatchIt's lalonde (614 rows) as a Table. The file is simple (no embedded commas), so a
 * split-based reader suffices here; the library's own CSV reader is tested separately.
 */
export function loadLalonde(): Table {
  const text = readFileSync(referencePath('lalonde.csv'), 'utf8').trim();
  const [header, ...lines] = text.split(/\r?\n/);
  const names = header!.split(',').map((s) => s.replace(/"/g, ''));
  const cols: Record<string, (string | number)[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const line of lines) {
    line.split(',').forEach((cell, j) => {
      const quoted = cell.startsWith('"');
      cols[names[j]!]!.push(quoted ? cell.slice(1, -1) : Number(cell));
    });
  }
  return fromColumns(cols);
}

export const LALONDE_COVARIATES = ['age', 'educ', 'race', 'married', 'nodegree', 're74', 're75'] as const;

/** MatchIt's weighted ATT: mean of matched treated y − Σ w_c y_c / Σ w_c, with MatchResult.weights. */
export function weightedDifference(m: MatchResult, y: Float64Array): number {
  let st = 0,
    nt = 0,
    sc = 0,
    wc = 0;
  for (let i = 0; i < y.length; i++) {
    const w = m.weights[i]!;
    if (w === 0) continue;
    if (m.treatment[i]) {
      st += w * y[i]!;
      nt += w;
    } else {
      sc += w * y[i]!;
      wc += w;
    }
  }
  return st / nt - sc / wc;
}
