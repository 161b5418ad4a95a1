import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIO } from '../../src/cli/io.js';
import { writeTableFile } from '../../src/io/write.js';
import { trainingCohort } from '../../src/synth/index.js';
import { spellsStudy } from '../../src/reproduce/index.js';
import { evaluateArms } from '../../src/heterogeneity/index.js';
import { fromColumns } from '../../src/data/table.js';

const dir = mkdtempSync(join(tmpdir(), 'counterfact-spells-'));
const cohort = trainingCohort(2015, { scale: 0.1 });
const COVS = 'female,age,foreign,education,province,months_unemployed,inoccupato,prior_training,months_employed_18';

describe('counterfact estimate --spells --reference-date --horizons', () => {
  it('prints a curve whose values equal the library curve on the same data', async () => {
    await writeTableFile(cohort.people, join(dir, 'people.csv'));
    await writeTableFile(cohort.spells, join(dir, 'spells.csv'));
    const io = memoryIO();
    const code = await main(
      [
        'estimate',
        '--data',
        join(dir, 'people.csv'),
        '--id',
        'id',
        '--treatment',
        'treat',
        '--covariates',
        COVS,
        '--replace',
        '--ratio',
        '5',
        '--spells',
        join(dir, 'spells.csv'),
        '--reference-date',
        'reference_date',
        '--horizons',
        '6,12,18,24',
        '--json',
      ],
      io,
    );
    expect(io.stderr).not.toMatch(/internal error/);
    expect(code).toBe(0);
    const j = JSON.parse(io.stdout);
    expect(j.curve.map((p: { horizon: number }) => p.horizon)).toEqual([6, 12, 18, 24]);
    for (const k of ['estimate', 'se', 'ciLower', 'ciUpper', 'meanTreated', 'meanControl']) expect(j.curve[0]).toHaveProperty(k);
    const lib = spellsStudy(cohort.people, cohort.spells, 'treat', [6, 12, 18, 24]);
    j.curve.forEach((p: { estimate: number; se: number }, k: number) => {
      expect(p.estimate).toBeCloseTo(lib.curve.points[k]!.estimate, 12);
      expect(p.se).toBeCloseTo(lib.curve.points[k]!.se!, 12);
    });
    // The headline without --outcome is the last horizon; effects grow with time since course end.
    expect(j.estimate).toBeCloseTo(j.curve[3].estimate, 12);
    expect(j.curve[3].estimate).toBeGreaterThan(j.curve[0].estimate);
    expect(j.spells.read).toBe(cohort.spells.nRows);
  });

  it('needs --id and a valid --horizons list', async () => {
    const io = memoryIO();
    expect(
      await main(
        [
          'estimate',
          '--data',
          join(dir, 'people.csv'),
          '--treatment',
          'treat',
          '--covariates',
          'age',
          '--spells',
          join(dir, 'spells.csv'),
          '--reference-date',
          'reference_date',
          '--horizons',
          '6',
        ],
        io,
      ),
    ).toBe(2);
    expect(io.stderr).toMatch(/--spells needs --id/);
    const io2 = memoryIO();
    expect(
      await main(
        [
          'estimate',
          '--data',
          join(dir, 'people.csv'),
          '--id',
          'id',
          '--treatment',
          'treat',
          '--covariates',
          'age',
          '--spells',
          join(dir, 'spells.csv'),
          '--reference-date',
          'reference_date',
          '--horizons',
          'six',
        ],
        io2,
      ),
    ).toBe(2);
    expect(io2.stderr).toMatch(/--horizons must be whole numbers of months/);
  });
});

describe('evaluateArms: one match per arm against the common control pool', () => {
  it('reports each arm and the overall effect, arms compared with the same controls', () => {
    const n = 3000;
    let s = 11;
    const r = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
    const x: number[] = [],
      arm: string[] = [],
      y: number[] = [];
    const effect: Record<string, number> = { none: 0, a: 1, b: 3 };
    for (let i = 0; i < n; i++) {
      const xi = r() * 2 - 1;
      const u = r();
      const p = 1 / (1 + Math.exp(-(xi - 1)));
      const a = u < p * 0.5 ? 'a' : u < p ? 'b' : 'none';
      x.push(xi);
      arm.push(a);
      y.push(2 * xi + effect[a]! + (r() - 0.5) * 0.2);
    }
    const res = evaluateArms(
      fromColumns({ x, arm, y }),
      { outcome: 'y', covariates: ['x'], matching: { replace: true } },
      { arm: 'arm', controlValue: 'none' },
    );
    const by = Object.fromEntries(res.arms.map((a) => [a.arm, a]));
    expect(by.a!.effect.estimate).toBeCloseTo(1, 1);
    expect(by.b!.effect.estimate).toBeCloseTo(3, 1);
    expect(by.a!.counts.controls).toBe(by.b!.counts.controls);
    const na = by.a!.effect.nTreated;
    const nb = by.b!.effect.nTreated;
    expect(res.overall.effect.estimate).toBeCloseTo((na * 1 + nb * 3) / (na + nb), 1);
    expect(() => evaluateArms(fromColumns({ x, arm, y }), { outcome: 'y', covariates: ['x'] }, { arm: 'arm', controlValue: 'control' })).toThrow(
      /control value "control" does not occur/,
    );
  });
});
