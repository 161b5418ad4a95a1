/**
 * Problems are data (as in zod): collected in one pass, each naming the column or argument
 * and the fix, and turned into text separately. Every entry point that validates offers a
 * throwing form (throws {@link CounterfactError}) and, where useful, a non-throwing form
 * returning `{ ok, problems }`.
 */

/** Machine-readable problem codes. Stable: tools may switch on them. */
export type ProblemCode =
  | 'unknown_column'
  | 'missing_values'
  | 'non_numeric'
  | 'non_finite'
  | 'constant_column'
  | 'collinear_column'
  | 'bad_treatment'
  | 'no_treated'
  | 'no_controls'
  | 'duplicate_ids'
  | 'duplicate_column'
  | 'bad_argument'
  | 'bad_file'
  | 'empty_data'
  | 'ragged_row'
  | 'separation'
  | 'not_converged'
  | 'too_few_controls'
  | 'bad_date'
  | 'bad_spell'
  | 'unknown_person'
  | 'no_overlap'
  | 'bad_study';

export interface Problem {
  readonly code: ProblemCode;
  /** Human-readable sentence; includes the fix. */
  readonly message: string;
  /** Column or argument the problem is about. */
  readonly column?: string;
  /** Zero-based row indices (the first few) where it occurs. */
  readonly rows?: readonly number[];
  /** Total count of offending rows/values, when more than `rows` lists. */
  readonly count?: number;
  readonly expected?: string;
  readonly received?: string;
  /** Path inside a study file, for study validation. */
  readonly path?: readonly (string | number)[];
}

/** Thrown for bad input: the CLI turns it into exit code 2 and a message, never a stack trace. */
export class CounterfactError extends Error {
  readonly problems: readonly Problem[];
  constructor(problems: readonly Problem[] | Problem) {
    const list = Array.isArray(problems) ? (problems as readonly Problem[]) : [problems as Problem];
    super(formatProblems(list));
    this.name = 'CounterfactError';
    this.problems = list;
  }
}

/**
 * Data rows (0-based indices) as the line numbers a spreadsheet or text editor shows for them,
 * the header being line 1: row 0 is "line 2" — "lines 5, 10, 13, … (12 in all)". The problem's
 * `rows` field keeps the 0-based indices.
 */
export function describeRows(rows: readonly number[], count = rows.length, max = 5): string {
  const shown = rows.slice(0, max).map((r) => String(r + 2));
  const more = count > shown.length ? `, … (${count} in all)` : '';
  return `${count === 1 ? 'line' : 'lines'} ${shown.join(', ')}${more}`;
}

/** One problem a line, prefixed by a dash when there are several. */
export function formatProblems(problems: readonly Problem[]): string {
  if (problems.length === 1) return problems[0]!.message;
  return problems.map((p) => `- ${p.message}`).join('\n');
}

/** Throw a {@link CounterfactError} for a bad argument. */
export function badArgument(argument: string, message: string, extra: Partial<Problem> = {}): never {
  throw new CounterfactError({ code: 'bad_argument', column: argument, message, ...extra });
}

/** Throw if the list is non-empty. */
export function throwIfAny(problems: readonly Problem[]): void {
  if (problems.length > 0) throw new CounterfactError(problems);
}
