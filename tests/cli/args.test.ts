import { describe, expect, it } from 'vitest';
import { cliWording, didYouMean, editDistance } from '../../src/cli/args.js';

describe('did-you-mean', () => {
  it('edit distance: insertions, deletions, substitutions, and a swap of neighbours as one edit', () => {
    expect(editDistance('treatment', 'treatment')).toBe(0);
    expect(editDistance('treatmnet', 'treatment')).toBe(1);
    expect(editDistance('covariate', 'covariates')).toBe(1);
    expect(editDistance('data', 'dta')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
  it('suggests the closest name when it is close enough, else nothing', () => {
    const names = ['data', 'treatment', 'outcome', 'covariates', 'id', 'pairs', 'matched-data'];
    expect(didYouMean('treatmnet', names)).toBe('treatment');
    expect(didYouMean('Outcome', names)).toBe('outcome');
    expect(didYouMean('matched', names)).toBe('matched-data');
    expect(didYouMean('zzzzzz', names)).toBeNull();
    expect(didYouMean('', names)).toBeNull();
  });
});

describe('library wording on the command line', () => {
  it('names the real flag (estimate) or study key (run)', () => {
    expect(cliWording("raise psNeighbours or use se 'ai'", 'flags')).toBe('use --se ai');
    expect(cliWording("raise psNeighbours or use se 'ai'", 'study')).toBe('use se: ai');
    expect(cliWording('with tieTolerance 1e-5 every', 'flags')).toBe('with --tie-tolerance 1e-5 every');
    expect(cliWording('with tieTolerance 1e-5 every', 'study')).toBe('with matching.tieTolerance 1e-5 every');
    expect(cliWording('Use tieTolerance: 0 (exact ties only) or ties: false', 'flags')).toBe('use --tie-tolerance 0 (exact ties only) or drop --ties');
    expect(cliWording('drop replace: false (CLI: add --replace) or use reuseMax 1', 'flags')).toBe('add --replace or use --reuse-max 1');
  });
  it('leaves text that already names a study key or a flag alone', () => {
    expect(cliWording('matching.tieTolerance: must be ≥ 0', 'study')).toBe('matching.tieTolerance: must be ≥ 0');
    expect(cliWording('--tie-tolerance must be at least 0', 'flags')).toBe('--tie-tolerance must be at least 0');
  });
});
