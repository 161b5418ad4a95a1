/**
 * Which sensitivity analysis applies to which headline outcome, and why not when it does not:
 * the reason is returned as a note for the results, the report and the CLI, never dropped.
 */

export type SensitivityAnalysis = 'evalue' | 'rosenbaum' | 'confounder';

export interface HeadlineOutcome {
  readonly type: 'binary' | 'spells' | 'survival';
  /** Matched control mean of the headline (binary, spells); the E-value needs it positive. */
  readonly meanControl?: number | null;
}

/**
 * null when `analysis` applies to the headline outcome, else the reason in a sentence (ending
 * with "not computed").
 * @example sensitivityNotApplicable('evalue', { type: 'survival' }) // 'The E-value needs a risk ratio …'
 */
export function sensitivityNotApplicable(analysis: SensitivityAnalysis, headline: HeadlineOutcome | null): string | null {
  if (analysis === 'evalue') {
    if (!headline) return 'The E-value needs a headline effect on a binary or spells outcome; there is none: not computed';
    if (headline.type === 'survival')
      return 'The E-value needs a risk ratio of a 0/1 outcome (binary or spells); the headline here is a difference of Kaplan–Meier survival probabilities, which has no risk ratio: not computed';
    if (headline.meanControl !== undefined && !(headline.meanControl !== null && headline.meanControl > 0))
      return 'The E-value needs a positive matched control mean (it is the denominator of the risk ratio); here it is 0 or missing: not computed';
    return null;
  }
  if (analysis === 'rosenbaum') {
    if (!headline || headline.type !== 'binary')
      return 'Rosenbaum bounds need a binary outcome column (one 0/1 value per unit) as the headline; spells and survival outcomes have none: not computed';
    return null;
  }
  if (!headline || headline.type !== 'binary') return 'The simulated-confounder analysis needs a binary outcome column as the first outcome: not computed';
  return null;
}
