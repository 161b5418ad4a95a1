import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIO } from '../../src/cli/io.js';
import { safeParseStudy, runStudy, parseStudy } from '../../src/study/index.js';
import { parse as parseYaml } from 'yaml';
import { EXAMPLE_STUDY } from '../../src/cli/run.js';
import { trainingCohort } from '../../src/synth/index.js';

const dir = mkdtempSync(join(tmpdir(), 'counterfact-study-'));

async function run(args: string[]) {
  const io = memoryIO();
  return { code: await main(args, io), ...io };
}

describe('study file validation', () => {
  it('the example study is valid and fills defaults', () => {
    const s = parseStudy(parseYaml(EXAMPLE_STUDY));
    expect(s.matching.ratio).toBe(5);
    expect(s.matching.caliperScale).toBe('sd');
    expect(s.minCellCount).toBe(10);
  });
  it('reports every problem at once, with its path and the fix', () => {
    const r = safeParseStudy({
      titel: 'x',
      data: { persons: 'p.csv' },
      id: 'id',
      treatment: 't',
      covariates: [],
      outcomes: [{ type: 'spells', horizons: ['a'] }],
      matching: { ratio: 0, order: 'big' },
    });
    expect(r.ok).toBe(false);
    const msgs = (r as { problems: { message: string; path?: unknown[] }[] }).problems.map((p) => p.message);
    expect(msgs).toContain('(top level): unknown key "titel": did you mean "title"?');
    expect(msgs.some((m) => m.startsWith('covariates:'))).toBe(true);
    expect(msgs.some((m) => m.startsWith('matching.ratio:'))).toBe(true);
    expect(msgs.some((m) => /^matching\.order: must be one of/.test(m))).toBe(true);
    expect(msgs.some((m) => m.startsWith('outcomes[0].referenceDate:'))).toBe(true);
    expect(msgs.some((m) => m.startsWith('outcomes[0].horizons[0]:'))).toBe(true);
  });
  it('`counterfact run` on a bad study exits 2 listing the problems, no stack trace', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'bad.yaml'), 'data: {persons: x.csv}\nid: id\ntreatment: t\ncovariates: [a]\noutcomes: []\nmatchng: {}\n');
    const r = await run(['run', join(dir, 'bad.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/outcomes: /);
    expect(r.stderr).toMatch(/unknown key "matchng": did you mean "matching"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('runStudy and counterfact run on the example study', () => {
  it('results.json is byte-identical across runs and matches the snapshot', async () => {
    expect((await run(['init', join(dir, 'ex')])).code).toBe(0);
    const a = await run(['run', join(dir, 'ex', 'study.yaml'), '--out', join(dir, 'out1')]);
    const b = await run(['run', join(dir, 'ex', 'study.yaml'), '--out', join(dir, 'out2')]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const r1 = readFileSync(join(dir, 'out1', 'results.json'), 'utf8');
    expect(readFileSync(join(dir, 'out2', 'results.json'), 'utf8')).toBe(r1);
    expect(readFileSync(join(dir, 'out2', 'report.html'), 'utf8')).toBe(readFileSync(join(dir, 'out1', 'report.html'), 'utf8'));
    const results = JSON.parse(r1);
    expect(results.inputs.map((i: { role: string }) => i.role)).toEqual(['persons', 'spells']);
    expect(results.inputs[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    await expect(r1).toMatchFileSnapshot('__snapshots__/example-results.json');
  });
  it('aggregates only: no unit ids in results; small cells suppressed', () => {
    const c = trainingCohort(2015, { scale: 0.05 });
    const study = parseStudy({ ...parseYaml(EXAMPLE_STUDY), minCellCount: 200, costs: undefined });
    const r = runStudy(study, { persons: c.people, spells: c.spells });
    const sg = r.subgroups.find((s) => s.by === 'course_sector')!;
    expect(sg.rows.every((x) => (x.nTreated as number | null) === null || (x.nTreated as number) >= 200)).toBe(true);
    expect(sg.rows.some((x) => x.suppressed)).toBe(true);
    expect(r.overlap.every((b) => [b.treatedBefore, b.controlBefore, b.treatedAfter, b.controlAfter].every((v) => v === null || v === 0 || v >= 200))).toBe(
      true,
    );
    expect(JSON.stringify(r)).not.toMatch(/"ids?":\s*\[/);
  });
  it('--matches writes matches.csv only when asked', async () => {
    const r = await run(['run', join(dir, 'ex', 'study.yaml'), '--out', join(dir, 'out3'), '--matches']);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'out3', 'matches.csv'), 'utf8').split('\n')[0]).toBe('treated_id,control_id,weight');
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(dir, 'out1', 'matches.csv'))).toBe(false);
  });
});

describe('studies with several treatment arms', () => {
  it('reports each arm against the common control pool, plus the overall effect', async () => {
    const { voucherCohort } = await import('../../src/synth/index.js');
    const v = voucherCohort({ scale: 0.04 });
    const study = parseStudy({
      data: { persons: 'p.csv', spells: 's.csv' },
      id: 'id',
      arms: { column: 'pathway', control: 'none' },
      covariates: ['female', 'age', 'foreign', 'education', 'months_unemployed', 'inoccupato', 'months_employed_18'],
      matching: { replace: true, ratio: 3 },
      outcomes: [{ type: 'spells', referenceDate: 'reference_date', horizons: [12, 24] }],
      minCellCount: 10,
    });
    const r = runStudy(study, { persons: v.people, spells: v.spells });
    expect(r.arms.map((a) => a.arm)).toEqual(['contract', 'internship', 'orientation']);
    const orient = r.arms.find((a) => a.arm === 'orientation')!;
    const contract = r.arms.find((a) => a.arm === 'contract')!;
    expect(orient.suppressed).toBe(false);
    expect(contract.estimate!).toBeGreaterThan(orient.estimate!);
    expect(r.outcomes[0]!.effect.nTreated).toBe(r.counts.matchedTreated);
    const { renderReport } = await import('../../src/report/index.js');
    expect(await renderReport(r)).toContain('Effects by treatment arm');
    expect(safeParseStudy({ data: { persons: 'p.csv' }, id: 'id', covariates: ['a'], outcomes: [{ type: 'binary', column: 'y' }] }).ok).toBe(false);
  });
});

describe('sensitivity in the study file', () => {
  it('runs Rosenbaum bounds, the E-value and the simulated confounder for a binary outcome', async () => {
    const c = trainingCohort(2017, { scale: 0.05 });
    const { withColumn } = await import('../../src/data/table.js');
    const y = Array.from((c.people.columns.months_employed_18 as { values: Float64Array }).values, (v) => (v > 6 ? 1 : 0));
    const study = parseStudy({
      data: { persons: 'p.csv' },
      id: 'id',
      treatment: 'treat',
      covariates: ['age', 'female', 'education'],
      outcomes: [{ type: 'binary', column: 'y' }],
      sensitivity: { rosenbaum: true, evalue: true, confounder: { mimic: 'foreign', reps: 4 } },
    });
    const r = runStudy(study, { persons: withColumn(c.people, 'y', y) });
    expect(r.sensitivity.rosenbaum!.rows[0]!.gamma).toBe(1);
    expect(r.sensitivity.evalue!.eValue).toBeGreaterThanOrEqual(1);
    expect(r.sensitivity.confounder!.reps).toBe(4);
    const { renderReport } = await import('../../src/report/index.js');
    expect(await renderReport(r)).toContain('Simulated confounder');
  });
});

describe("study file: se 'ai-ps'", () => {
  it('is refused, with the reason, where the Abadie–Imbens (2016) theory does not apply', () => {
    const doc = parseYaml(EXAMPLE_STUDY) as Record<string, any>;
    const r = safeParseStudy({ ...doc, se: 'ai-ps' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems.some((p) => p.path?.[0] === 'se' && /not available here/.test(p.message))).toBe(true);
    }
  });
});
