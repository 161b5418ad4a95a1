/**
 * Cost-effectiveness: extra jobs (or surviving businesses) attributable to a programme and
 * the cost of each, with intervals carried over from the effect's confidence interval.
 * Effects on binary outcomes are proportions (0.13 = 13 percentage points).
 */
import type { EffectEstimate } from '../contracts.js';
import { CounterfactError } from '../problems.js';

export interface ExtraOutcomes {
  /** ATT × number of treated. */
  readonly estimate: number;
  /** From the ATT's confidence interval (null when the effect has no interval). */
  readonly lower: number | null;
  readonly upper: number | null;
  readonly nTreated: number;
}

export interface CostPerExtra {
  readonly kind: 'CostEffectiveness';
  /** What one unit of effect is: 'job', 'surviving business', … */
  readonly unit: string;
  readonly totalCost: number;
  readonly nTreated: number;
  readonly costPerTreated: number;
  readonly extra: ExtraOutcomes;
  /** Total cost / extra outcomes; null when undefined (effect ≤ 0). */
  readonly costPerExtra: number | null;
  /** Interval: cost / upper extra … cost / lower extra; null bounds when undefined. */
  readonly lower: number | null;
  readonly upper: number | null;
  /** True when the point value is defined; the interval may still be open-ended. */
  readonly defined: boolean;
  /** Plain words for reports, e.g. why the interval is undefined. */
  readonly note: string;
}

function checkCost(totalCost: number, name = 'totalCost'): void {
  if (!Number.isFinite(totalCost) || totalCost < 0) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: name,
      message: `${name} must be a finite, non-negative amount, received ${totalCost}`,
    });
  }
}

/**
 * Extra outcomes attributable to the programme: ATT × number of treated, with the interval
 * from the ATT's confidence interval.
 * Cost: O(1).
 * @example
 * extraOutcomes({ estimate: 0.13, ciLower: 0.10, ciUpper: 0.16, nTreated: 1000 } as EffectEstimate)
 * // { estimate: 130, lower: 100, upper: 160, nTreated: 1000 }
 */
export function extraOutcomes(effect: Pick<EffectEstimate, 'estimate' | 'ciLower' | 'ciUpper' | 'nTreated'>, nTreated = effect.nTreated): ExtraOutcomes {
  if (!(Number.isInteger(nTreated) && nTreated > 0)) {
    throw new CounterfactError({ code: 'bad_argument', column: 'nTreated', message: `nTreated must be a positive whole number, received ${nTreated}` });
  }
  return {
    estimate: effect.estimate * nTreated,
    lower: effect.ciLower === null ? null : effect.ciLower * nTreated,
    upper: effect.ciUpper === null ? null : effect.ciUpper * nTreated,
    nTreated,
  };
}

/**
 * Cost of one extra outcome (job, surviving business): total programme cost / (ATT × treated).
 *
 * Definition (docs/studies.md §1.4, vocational training): cost of one extra job existing at the horizon
 * = course costs / (ATT × number of treated). The interval divides the cost by the extra
 * outcomes at the ATT's upper and lower confidence limits. When the ATT is not positive the
 * cost per extra outcome is undefined (said in words, never printed as infinity); when only
 * the lower limit is ≤ 0 the point value is defined but the interval has no upper bound.
 * Cost: O(1).
 * @throws CounterfactError when the cost is negative or not finite, or nTreated is not positive.
 * @example
 * costPerExtra(5_200_000, { estimate: 0.13, ciLower: 0.10, ciUpper: 0.16, nTreated: 1000 })
 * // costPerExtra 40000, lower 32500, upper 52000
 */
export function costPerExtra(
  totalCost: number,
  effect: Pick<EffectEstimate, 'estimate' | 'ciLower' | 'ciUpper' | 'nTreated' | 'level'> & { level?: number },
  options: { nTreated?: number; unit?: string } = {},
): CostPerExtra {
  checkCost(totalCost);
  const unit = options.unit ?? 'job';
  const extra = extraOutcomes(effect, options.nTreated ?? effect.nTreated);
  const pct = Math.round((effect.level ?? 0.95) * 100);
  const defined = extra.estimate > 0;
  const costPer = defined ? totalCost / extra.estimate : null;
  let lower: number | null = null;
  let upper: number | null = null;
  let note: string;
  if (!defined) {
    note = `the estimated effect is not positive, so there are no extra ${unit}s to cost: the cost per extra ${unit} is undefined`;
  } else if (extra.lower === null || extra.upper === null) {
    note = `no confidence interval for the effect, so no interval for the cost per extra ${unit}`;
  } else if (extra.lower <= 0) {
    lower = totalCost / extra.upper;
    note = `the effect's ${pct}% CI includes zero, so the number of extra ${unit}s could be zero: the cost per extra ${unit} has no upper bound (at least ${Math.round(lower).toLocaleString('en')})`;
  } else {
    lower = totalCost / extra.upper;
    upper = totalCost / extra.lower;
    note = `${pct}% interval from the effect's confidence interval`;
  }
  return {
    kind: 'CostEffectiveness',
    unit,
    totalCost,
    nTreated: extra.nTreated,
    costPerTreated: totalCost / extra.nTreated,
    extra,
    costPerExtra: costPer,
    lower,
    upper,
    defined,
    note,
  };
}

/** Cost per extra job: {@link costPerExtra} with unit 'job'. */
export function costPerExtraJob(
  totalCost: number,
  effect: Pick<EffectEstimate, 'estimate' | 'ciLower' | 'ciUpper' | 'nTreated' | 'level'>,
  nTreated?: number,
): CostPerExtra {
  return costPerExtra(totalCost, effect, { nTreated, unit: 'job' });
}

/**
 * Cost per extra surviving business at a horizon, from a survival difference
 * (S_T(t) − S_C(t) with its CI) and the number of supported businesses.
 * @example costPerExtraSurvivingBusiness(1_000_000, { estimate: 0.11, ciLower: 0.05, ciUpper: 0.17, nTreated: 500 })
 * // costPerExtra ≈ 18182
 */
export function costPerExtraSurvivingBusiness(
  totalCost: number,
  difference: { estimate: number; ciLower: number | null; ciUpper: number | null; nTreated: number; level?: number },
): CostPerExtra {
  return costPerExtra(totalCost, { ...difference, level: difference.level ?? 0.95 }, { unit: 'surviving business' });
}

export interface SpendingRow {
  readonly label: string;
  readonly spent: number;
  readonly recipients: number;
}

export interface SpendingSummaryRow extends SpendingRow {
  /** spent / recipients; null when there are no recipients. */
  readonly perRecipient: number | null;
}

/**
 * Cost per recipient from a spending table (as the voucher report's Table 3.1, docs/studies.md §2.2), with a total row.
 * Cost: O(rows).
 * @throws CounterfactError for a negative or non-finite amount or count, naming the row.
 * @example
 * costPerRecipient([{ label: 'unemployed < 6 months', spent: 228748.5, recipients: 4004 }])
 * // rows[0].perRecipient ≈ 57.13; total.perRecipient ≈ 57.13
 */
export function costPerRecipient(rows: readonly SpendingRow[]): { rows: SpendingSummaryRow[]; total: SpendingSummaryRow } {
  const out: SpendingSummaryRow[] = [];
  let spent = 0;
  let recipients = 0;
  rows.forEach((r, i) => {
    checkCost(r.spent, `rows[${i}].spent (${r.label})`);
    if (!(Number.isInteger(r.recipients) && r.recipients >= 0)) {
      throw new CounterfactError({
        code: 'bad_argument',
        column: `rows[${i}].recipients`,
        message: `recipients for "${r.label}" must be a non-negative whole number, received ${r.recipients}`,
      });
    }
    spent += r.spent;
    recipients += r.recipients;
    out.push({ ...r, perRecipient: r.recipients > 0 ? r.spent / r.recipients : null });
  });
  return { rows: out, total: { label: 'total', spent, recipients, perRecipient: recipients > 0 ? spent / recipients : null } };
}
