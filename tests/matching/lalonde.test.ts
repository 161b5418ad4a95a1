import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { matchNearest } from '../../src/matching/index.js';
import { readReference, referencePath, weightedDifference } from '../helpers/lalonde.js';

// R 4.2.2, Matching 4.10-8: tests/reference/r/matching_lalonde.R → matching_lalonde.json (R's
// glm scores, so matching is tested on exactly R's distance). Pair and ATT references for
// matching without ties are MatchIt 4.7.2 (R 4.2.2; the reference values and
// lalonde_pairs_matchit.csv): Debian's MatchIt 4.5.1 does not pick nearest controls on this build.
const ref = readReference('matching_lalonde.json');
const ids: string[] = ref.ids;
const scores = Float64Array.from(ref.ps as number[]);
const linearPredictor = Float64Array.from(ref.lp as number[]);
const lines = readFileSync(referencePath('lalonde.csv'), 'utf8').trim().split('\n').slice(1);
const treatment = Uint8Array.from(lines, (l) => Number(l.split(',')[1]));
const re78 = Float64Array.from(lines, (l) => Number(l.split(',')[9]));

describe('matchNearest on lalonde with R glm scores', () => {
  it('defaults: the 185 pairs of MatchIt 4.7.2 and ATT 894.3674802703', () => {
    const m = matchNearest({ scores, treatment });
    expect(m.method).toBe('nearest');
    const ours = Array.from(m.pairs.treated, (t, k) => `${ids[t]},${ids[m.pairs.control[k]!]}`).sort();
    const theirs = readFileSync(referencePath('lalonde_pairs_matchit.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.replace(/"/g, ''));
    expect(theirs).toHaveLength(185);
    expect(ours).toEqual([...theirs].sort());
    // MatchIt 4.7.2 (R 4.2.2): matchit(treat ~ age + educ + race + married + nodegree + re74 + re75) then
    // coef(lm(re78 ~ treat, weights = m$weights)) = 894.3674802703 (tests/reference/r/lalonde_att.R)
    expect(Math.abs(weightedDifference(m, re78) - 894.3674802703)).toBeLessThan(1e-6);
    expect(m.counts).toMatchObject({ treated: 185, controls: 429, matchedTreated: 185, matchedControls: 185, unmatchedTreated: 0 });
    expect(m.settings).toMatchObject({ ratio: 1, replace: false, caliper: null, distance: 'probability', order: 'largest', discard: 'none', ties: false });
  });

  it('replace: true, ratio: 2 gives MatchIt 4.7.2 ATT 1792.4097567027', () => {
    const m = matchNearest({ scores, treatment }, { replace: true, ratio: 2 });
    expect(m.pairs.treated.length).toBe(370);
    expect(Math.abs(weightedDifference(m, re78) - 1792.4097567027)).toBeLessThan(1e-6);
  });

  it('replace: true, ties: true reproduces Matching::Match(ties = TRUE) index.treated/index.control/weights', () => {
    const m = matchNearest({ scores, treatment }, { replace: true, ties: true });
    const mt = ref.matching_ties;
    const theirs = (mt.index_treated as number[]).map((t, k) => `${t - 1},${mt.index_control[k] - 1},${mt.weights[k]}`).sort();
    const ours = Array.from(m.pairs.treated, (t, k) => `${t},${m.pairs.control[k]!},${m.pairs.weight[k]!}`).sort();
    expect(theirs).toHaveLength(287);
    expect(ours).toEqual(theirs);
    // Matching 4.10-8 Match()$est: 1933.39187577477
    expect(Math.abs(weightedDifference(m, re78) - mt.est) / mt.est).toBeLessThan(1e-12);
    expect(Math.abs(weightedDifference(m, re78) - 1933.3918757748)).toBeLessThan(1e-6);
  });

  it("distance 'logit' uses the linear predictor when given, else qlogis(score): same matches", () => {
    const a = matchNearest({ scores, treatment, linearPredictor }, { distance: 'logit', caliper: 0.2 });
    const b = matchNearest({ scores, treatment }, { distance: 'logit', caliper: 0.2 });
    expect(Array.from(a.pairs.control)).toEqual(Array.from(b.pairs.control));
    expect(a.distance![0]).toBe(linearPredictor[0]);
    expect(Math.abs(b.distance![0]! - linearPredictor[0]!)).toBeLessThan(1e-12);
    expect(a.counts.matchedTreated).toBeLessThan(185);
  });
});
