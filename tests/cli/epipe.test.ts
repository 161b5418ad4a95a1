/**
 * `counterfact … | head`: the reader closes the pipe early, the next write fails with EPIPE,
 * and the command ends quietly (exit 0, nothing on stderr about it). Run as a real process
 * with a shell pipe into `true`, which exits without reading, so the write always hits EPIPE.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOOD_CSV } from '../corpus/harness.js';

const repo = resolve(__dirname, '..', '..');
const cli = `${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(join(repo, 'src', 'cli', 'main.ts'))}`;

/** Run `counterfact ARGS | CONSUMER` in bash; the CLI's exit status and its stderr. */
function piped(args: string, consumer: string): { code: number; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'counterfact-epipe-'));
  const errFile = join(dir, 'stderr.txt');
  const r = spawnSync(
    'bash',
    ['-c', `sleep 0.2 | true; ${cli} ${args} 2>${JSON.stringify(errFile)} | ${consumer}; echo "status=\${PIPESTATUS[0]}"; cat ${JSON.stringify(errFile)}`],
    {
      cwd: repo,
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  const m = /status=(\d+)\n([\s\S]*)$/.exec(r.stdout);
  if (!m) throw new Error(`no status: ${r.stdout} ${r.stderr}`);
  return { code: Number(m[1]), stderr: m[2]! };
}

describe('EPIPE: a closed stdout ends the command quietly', () => {
  it('estimate … | true: exit 0, no EPIPE message, no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'counterfact-epipe-data-'));
    writeFileSync(join(dir, 'd.csv'), GOOD_CSV);
    const r = piped(`estimate --data ${JSON.stringify(join(dir, 'd.csv'))} --treatment t --outcome y --covariates x --se none --replace --json`, 'true');
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/EPIPE|Error|internal error|\n\s+at /);
  }, 60_000);

  it('estimate --help | true: exit 0, quiet', () => {
    const r = piped('estimate --help', 'true');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  }, 60_000);
});
