import { describe, expect, it } from 'vitest';
import { createStageProgress } from '../../src/cli/progress.js';
import { memoryIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { referencePath } from '../helpers/lalonde.js';

describe('counterfact estimate progress', () => {
  it('on a terminal, past the quiet period: stage, rows, rows/s and ETA on one rewritten line', () => {
    const rec = memoryIO();
    const p = createStageProgress({ out: rec.out, err: rec.err, isTTY: true }, 0);
    p.rows(1_100_000);
    p.stage('fit');
    p.stage('match');
    p.done();
    expect(rec.stderr).toMatch(/\restimate: fit \(1,100,000 rows\) — \d+\.\d s/);
    expect(rec.stderr).toMatch(/\restimate: match .*ETA \d+\.\d s/);
    expect(rec.stderr).toMatch(/estimate: done in/);
  });
  it('is silent on a pipe and for short runs, so --json stays clean', async () => {
    const io = memoryIO();
    const code = await main(
      ['estimate', '--data', referencePath('lalonde.csv'), '--treatment', 'treat', '--outcome', 're78', '--covariates', 'age,educ,re74', '--json'],
      io,
    );
    expect(code).toBe(0);
    expect(io.stderr).not.toMatch(/estimate: /);
    const tty = memoryIO();
    const p = createStageProgress({ out: tty.out, err: tty.err, isTTY: true }, 60_000);
    p.stage('fit');
    p.done();
    expect(tty.stderr).toBe('');
  });
});
