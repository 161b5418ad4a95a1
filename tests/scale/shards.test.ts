import { describe, expect, it } from 'vitest';
import { combineShards, summarizeShard } from '../../src/scale/index.js';
import { fitPropensity } from '../../src/propensity/index.js';
import { matchNearest } from '../../src/matching/index.js';
import { estimateATT } from '../../src/effects/index.js';
import { assessBalance } from '../../src/balance/index.js';
import { columnLabels, takeRows } from '../../src/data/table.js';
import { generateRegister } from '../../src/synth/index.js';

describe('sharded runs combine exactly (exact strata as shards)', () => {
  const reg = generateRegister({ rows: 60_000, covariates: 10, seed: 21 });
  const table = reg.table;
  const covariates = reg.truth.covariates.filter((c) => c !== 'province');
  const province = columnLabels(table.columns.province!) as string[];
  const strata = [...new Set(province)].sort();

  for (const replace of [false, true]) {
    it(`per-province jobs give the numbers of one run matched exactly on province (replace = ${replace})`, () => {
      // Sharded: each province is its own job (own propensity model, own match).
      const summaries = strata.map((s) => {
        const idx = province.flatMap((p, i) => (p === s ? [i] : []));
        const sub = takeRows(table, idx);
        const fit = fitPropensity(sub, { treatment: 'treat', covariates });
        const m = matchNearest(fit, { replace, ratio: replace ? 2 : 1 });
        return summarizeShard(s, sub, m, { outcome: 'outcome', covariates });
      });
      const combined = combineShards(summaries);

      // Unsharded: the same per-province scores, one match with exact = province, on all rows.
      const scores = new Float64Array(table.nRows);
      for (const s of strata) {
        const idx = province.flatMap((p, i) => (p === s ? [i] : []));
        const fit = fitPropensity(takeRows(table, idx), { treatment: 'treat', covariates });
        idx.forEach((row, k) => (scores[row] = fit.scores[k]!));
      }
      const treatment = Uint8Array.from((table.columns.treat as { values: Float64Array }).values);
      const m = matchNearest({ scores, treatment }, { replace, ratio: replace ? 2 : 1, exact: ['province'], data: table });
      const e = estimateATT(table, m, { outcome: 'outcome', se: 'ai' });
      const b = assessBalance(table, m, covariates);

      const rel = (a: number, c: number) => Math.abs(a - c) / Math.max(1e-12, Math.abs(c));
      expect(combined.counts.matchedTreated).toBe(m.counts.matchedTreated);
      expect(combined.counts.matchedControls).toBe(m.counts.matchedControls);
      expect(rel(combined.estimate, e.estimate)).toBeLessThan(1e-12);
      expect(rel(combined.se, e.se!)).toBeLessThan(1e-10);
      expect(rel(combined.meanControl, e.meanControl)).toBeLessThan(1e-12);
      for (const row of b.rows) {
        const c = combined.balance.find((x) => x.covariate === row.covariate)!;
        expect(Math.abs(c.smdBefore - row.smdBefore)).toBeLessThan(1e-10);
        expect(Math.abs(c.smdAfter - row.smdAfter)).toBeLessThan(1e-10);
        if (row.varianceRatioAfter === null) expect(c.varianceRatioAfter).toBeNull();
        else expect(rel(c.varianceRatioAfter!, row.varianceRatioAfter)).toBeLessThan(1e-9);
      }
    });
  }
});
