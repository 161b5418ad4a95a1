/**
 * Hostile-input corpus: `counterfact reproduce` arguments. Every case is refused (or answered)
 * before the long run, so the file stays fast; the run itself is tested in tests/reproduce/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CorpusCase, runCase } from './harness.js';

const cases: CorpusCase[] = [
  {
    name: 'reproduce --report over a report.html counterfact did not write: refused before the long run',
    files: { 'out/report.html': '<p>mine</p>\n' },
    args: ['reproduce', '--report', '{dir}/out'],
    code: 2,
    err: /refusing to replace the existing file .*report\.html \(--report\)/,
    check: (r) => expect(readFileSync(join(r.dir, 'out', 'report.html'), 'utf8')).toBe('<p>mine</p>\n'),
  },
  {
    name: 'reproduce --report names a file, not a folder',
    files: { out: 'a file' },
    args: ['reproduce', '--report', '{dir}/out'],
    code: 2,
    err: /--report: .*out is a file, not a folder/,
    check: (r) => expect(readFileSync(join(r.dir, 'out'), 'utf8')).toBe('a file'),
  },
  { name: 'reproduce --report without a folder', args: ['reproduce', '--report'], code: 2, err: /--report <value>' argument missing/ },
  { name: 'reproduce --reprot: did you mean --report', args: ['reproduce', '--reprot', 'x'], code: 2, err: /unknown option --reprot; did you mean --report\?/ },
  { name: 'reproduce with a stray positional argument', args: ['reproduce', 'training'], code: 2, err: /does not take positional arguments/ },
  {
    name: 'reproduce --report and --write-fixtures: a foreign fixture file is refused before the report is written',
    files: { 'fx/vouchers-spells.csv': 'mine\n' },
    args: ['reproduce', '--report', '{dir}/out', '--write-fixtures', '{dir}/fx'],
    code: 2,
    err: /vouchers-spells\.csv \(--write-fixtures\)/,
    check: (r) => {
      expect(readFileSync(join(r.dir, 'fx', 'vouchers-spells.csv'), 'utf8')).toBe('mine\n');
      expect(() => readFileSync(join(r.dir, 'out', 'report.html'))).toThrow();
    },
  },
  {
    name: 'reproduce --help lists --report and the exit codes',
    args: ['reproduce', '--help'],
    code: 0,
    out: /--report DIR[\s\S]*--strict +exit 3 when a counted figure does not pass/,
  },
];

describe('corpus: reproduce arguments', () => {
  for (const c of cases) it(c.name, () => runCase(c), 30_000);
});
