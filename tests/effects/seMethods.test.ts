import { describe, expect, it } from 'vitest';
import { estimateATT, matchFacts, SE_METHOD_NAMES, SE_METHODS, seMethodProblem, type SeFacts } from '../../src/effects/index.js';
import { matchNearest } from '../../src/matching/index.js';
import { fitPropensity } from '../../src/propensity/index.js';
import { LALONDE_COVARIATES, loadLalonde } from '../helpers/lalonde.js';

const lalonde = loadLalonde();
const fit = fitPropensity(lalonde, { treatment: 'treat', covariates: [...LALONDE_COVARIATES] });
const base: SeFacts = {
  method: 'nearest',
  replace: true,
  ratio: 1,
  ties: false,
  caliper: null,
  exact: [],
  hasDistance: true,
  hasPairs: true,
  droppedTreated: 0,
  pairOutcome: false,
  adjust: false,
  propensity: true,
};

describe('SE methods declared once (src/effects/seMethods.ts)', () => {
  it('lists each method once, with its CLI value and a description', () => {
    expect(SE_METHODS.map((m) => m.name)).toEqual([...SE_METHOD_NAMES]);
    for (const m of SE_METHODS) {
      expect(m.flag).toBe(`--se ${m.name}`);
      expect(m.summary.length).toBeGreaterThan(10);
      expect(m.description.length).toBeGreaterThan(m.summary.length);
    }
  });
  it('says why a method does not apply, in CLI terms', () => {
    for (const m of SE_METHODS) expect(m.appliesTo(base)).toBeNull();
    expect(seMethodProblem('ai-ps', { ...base, replace: false })).toMatch(/^--se ai-ps needs --replace/);
    expect(seMethodProblem('ai-ps', { ...base, exact: ['region'] })).toMatch(/--exact/);
    expect(seMethodProblem('ai-ps', { ...base, droppedTreated: 3, caliper: 0.1 })).toMatch(/--caliper/);
    expect(seMethodProblem('ai-ps', { ...base, pairOutcome: true })).toMatch(/--spells/);
    expect(seMethodProblem('ai-ps', { ...base, adjust: true })).toMatch(/--adjust/);
    expect(seMethodProblem('ai-ps', { ...base, method: 'mahalanobis' })).toMatch(/mahalanobis/);
    expect(seMethodProblem('ai', { ...base, method: 'ipw', hasPairs: false })).toMatch(/--se pairs/);
    expect(seMethodProblem('bootstrap', base)).toMatch(/one of ai, ai-ps, pairs, none/);
  });
  it('reads an actual match through matchFacts, and estimateATT refuses with the same reason', () => {
    const m = matchNearest(fit, { ratio: 2, caliper: 0.05 });
    const f = matchFacts(m);
    expect(f).toMatchObject({ method: 'nearest', replace: false, ratio: 2, ties: false, caliper: 0.05, exact: [], hasDistance: true, hasPairs: true });
    expect(f.droppedTreated).toBe(m.counts.unmatchedTreated);
    const why = seMethodProblem('ai-ps', { ...f, pairOutcome: false, adjust: false, propensity: true })!;
    expect(() => estimateATT(lalonde, m, { outcome: 're78', se: 'ai-ps', propensity: fit })).toThrow(why);
  });
});
