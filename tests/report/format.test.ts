import { describe, expect, it } from 'vitest';
import { cleanText, count, decimalsFor, fixed, percent, plotLabel, pp, pValue, significant, userHtml } from '../../src/report/format.js';
import { effectSentence } from '../../src/report/render.js';
import type { OutcomeResult } from '../../src/study/run.js';

describe('one number formatter', () => {
  it('fixed decimals with thousands separators and a true minus', () => {
    expect(fixed(738.14, 0)).toBe('738');
    expect(fixed(4051.2, 0)).toBe('4,051');
    expect(fixed(-1234.5678, 2)).toBe('−1,234.57');
    expect(fixed(-0.0004, 3)).toBe('0.000');
    expect(fixed(null, 2)).toBe('—');
    expect(fixed(Number.NaN, 2)).toBe('—');
  });
  it('one decimal count per quantity, from its largest magnitude', () => {
    expect(decimalsFor([738.14, 4051.2, 1500])).toBe(0); // not "738.140 to 4,051"
    expect(decimalsFor([0.12, 0.3])).toBe(3);
    expect(decimalsFor([12.3, -4])).toBe(1);
    expect(decimalsFor([0.000363])).toBe(6);
  });
  it('never exponent notation', () => {
    expect(significant(1.34e-9)).toBe('0.00000000134');
    expect(significant(3.63e-6, 3)).toBe('0.00000363');
    expect(significant(123456789)).toBe('123,456,789');
    for (const x of [1e-12, 1e21, -3e-8]) expect(significant(x)).not.toMatch(/e/i);
  });
  it('p-values: "< 0.001" or three significant digits', () => {
    expect(pValue(1.34e-9)).toBe('< 0.001');
    expect(pValue(0.000999)).toBe('< 0.001');
    expect(pValue(0.001)).toBe('0.00100');
    expect(pValue(0.0123456)).toBe('0.0123');
    expect(pValue(0.5)).toBe('0.500');
    expect(pValue(1)).toBe('1.00');
    expect(pValue(null)).toBe('—');
  });
  it('percentage points for differences, % for levels', () => {
    expect(pp(0.1234)).toBe('12.3');
    expect(pp(-0.05)).toBe('−5.0');
    expect(percent(0.642)).toBe('64.2%');
  });
  it('counts: thousands separators; hidden as "<N" or "suppressed"', () => {
    expect(count(1497)).toBe('1,497');
    expect(count(null, 'small', 10)).toBe('<10');
    expect(count(null, 'complementary', 10)).toBe('suppressed');
  });
});

describe('user text', () => {
  it('bidi controls are shown, not obeyed; control characters replaced', () => {
    expect(cleanText('a\u202Eb\u2066c')).toBe('a⟨U+202E⟩b⟨U+2066⟩c');
    expect(cleanText('a\u0000b\u001b')).toBe('a\ufffdb\ufffd');
    // Right-to-left text itself is kept as it is.
    expect(cleanText('שלום مرحبا')).toBe('שלום مرحبا');
    expect(userHtml('<b>\u202E')).toBe('<bdi>&lt;b&gt;⟨U+202E⟩</bdi>');
  });
  it('plot labels wrap at spaces, break long words, are cut to 4 lines and isolated', () => {
    const lines = plotLabel('a short label', 28).split('\n');
    expect(lines).toEqual(['\u2068a short label\u2069']);
    const long = plotLabel('x'.repeat(200), 28).split('\n');
    expect(long).toHaveLength(4);
    expect(long[3]!.endsWith('…\u2069')).toBe(true);
    const words = plotLabel('employed twenty four months after the end of the course', 20).split('\n');
    for (const l of words) expect(l.length).toBeLessThanOrEqual(22);
    expect(words.join(' ').replace(/[\u2068\u2069]/g, '')).toBe('employed twenty four months after the end of the course');
  });
});

describe('the summary sentence', () => {
  const outcome = (e: Partial<OutcomeResult['effect']>): OutcomeResult => ({
    type: 'binary',
    label: 'in work',
    effect: {
      estimate: 0.05,
      se: 0.03,
      ciLower: -0.01,
      ciUpper: 0.11,
      pValue: 0.1,
      meanTreated: 0.55,
      meanControl: 0.5,
      naive: 0.1,
      nTreated: 1234,
      nControls: 1234,
      method: 'ai',
      ...e,
    },
  });
  it('"No significant effect" when the CI includes 0, never "raised"', () => {
    const s = effectSentence(outcome({}));
    expect(s).toMatch(/^No significant effect on <strong><bdi>in work<\/bdi><\/strong>/);
    expect(s).not.toMatch(/raised|lowered/);
    expect(s).toContain('5.0 percentage points');
    expect(s).toContain('95% CI −1.0 to 11.0 percentage points; p = 0.100');
    expect(s).toContain('1,234 matched treated units');
  });
  it('"raised"/"lowered" when the CI excludes 0', () => {
    expect(effectSentence(outcome({ ciLower: 0.01 }))).toMatch(/The programme raised/);
    expect(effectSentence(outcome({ estimate: -0.05, ciLower: -0.09, ciUpper: -0.01 }))).toMatch(/The programme lowered .* by <strong>5\.0 percentage points/);
  });
  it('no CI: no claim of significance', () => {
    expect(effectSentence(outcome({ ciLower: null, ciUpper: null, se: null }))).toMatch(/no confidence interval was computed/);
  });
  it('a suppressed treated count is said in words, not as a number', () => {
    expect(effectSentence(outcome({ nTreated: null }))).toMatch(/their number is suppressed/);
  });
  it('outcomes that are not proportions use their own units with one decimal count', () => {
    const s = effectSentence(outcome({ estimate: 1794.3, ciLower: 738.14, ciUpper: 2850.5, meanTreated: 6349.1, meanControl: 4554.8 }));
    expect(s).toContain('1,794');
    expect(s).toContain('95% CI 738 to 2,851');
    expect(s).not.toContain('percentage points');
  });
});
