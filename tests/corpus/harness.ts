/**
 * The hostile-input corpus: shared harness. Each area keeps its cases in its own
 * `tests/corpus/<area>.test.ts` and runs them through `runCase`, so the corpus is one
 * collection (see `tests/corpus/README.md`) that several files extend without colliding.
 *
 * A case names the files it writes into a fresh folder, the CLI arguments (with `{dir}`
 * standing for that folder) and what must come out: the exit code, a fragment of stderr or
 * stdout, and optionally a check on the folder afterwards (no file lost, right answer).
 */
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIO } from '../../src/cli/io.js';

export interface CorpusCase {
  /** What the case is, in a user's words. */
  name: string;
  /** Files to create in a fresh folder: relative path → contents. */
  files?: Record<string, string | Uint8Array>;
  /** CLI arguments; `{dir}` is replaced by the folder. */
  args: string[];
  /** Expected exit code: 0 right answer, 2 bad input, never 1 for an input problem. */
  code: 0 | 2 | 3;
  /** A fragment (or pattern) stderr must contain. */
  err?: RegExp;
  /** A fragment (or pattern) stdout must contain. */
  out?: RegExp;
  /** Further checks on the outcome (files on disk, parsed JSON, …). */
  check?: (r: CorpusRun) => void | Promise<void>;
}

export interface CorpusRun {
  code: number;
  stdout: string;
  stderr: string;
  dir: string;
}

const root = mkdtempSync(join(tmpdir(), 'counterfact-corpus-'));
let n = 0;

/** Write the case's files, run the CLI in-process, return what came out. */
export async function runCli(c: Pick<CorpusCase, 'files' | 'args'>): Promise<CorpusRun> {
  const dir = join(root, `c${n++}`);
  mkdirSync(dir, { recursive: true });
  for (const [rel, body] of Object.entries(c.files ?? {})) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, body);
  }
  const io = memoryIO();
  const code = await main(
    c.args.map((a) => a.replaceAll('{dir}', dir)),
    io,
  );
  return { code, stdout: io.stdout, stderr: io.stderr, dir };
}

/** Run one case and assert its contract: exit code, message, no stack trace. */
export async function runCase(c: CorpusCase): Promise<CorpusRun> {
  const r = await runCli(c);
  const where = `\n--- stderr ---\n${r.stderr.slice(0, 2000)}`;
  expect(r.code, `exit code${where}`).toBe(c.code);
  expect(r.stderr, 'no stack trace').not.toMatch(/\n\s+at /);
  expect(r.stderr, 'no internal error for a bad input').not.toMatch(/internal error/);
  if (c.err) expect(r.stderr).toMatch(c.err);
  if (c.out) expect(r.stdout).toMatch(c.out);
  if (c.check) await c.check(r);
  return r;
}

/** A small well-formed register: treatment t, covariate x, outcome y. */
export const GOOD_CSV = 't,x,y\n1,1.5,3\n0,1.2,2\n1,2.5,4\n0,2.1,3\n0,0.5,1\n1,0.9,2\n';

/** `estimate` arguments on `{dir}/<file>` with the usual columns. */
export function estimateArgs(file = 'data.csv', extra: string[] = [], covariates = 'x'): string[] {
  return ['estimate', '--data', `{dir}/${file}`, '--treatment', 't', '--outcome', 'y', '--covariates', covariates, '--se', 'none', '--replace', ...extra];
}
