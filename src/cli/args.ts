/**
 * Small argument helpers shared by the CLI commands: every bad argument becomes a
 * CounterfactError naming the flag and the fix (exit code 2), never a stack trace.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CounterfactError } from '../problems.js';

export type Flags = Record<string, string | boolean | undefined>;

/** Parse argv with node's parseArgs, turning its errors into CounterfactError. */
export function parseFlags(
  argv: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
  allowPositionals = false,
): { flags: Flags; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals, strict: true });
    return { flags: values as Flags, positionals };
  } catch (e) {
    const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new CounterfactError({ code: 'bad_argument', message: `${msg} (see --help)` });
  }
}

/** A required string flag. */
export function required(flags: Flags, name: string, what: string): string {
  const v = flags[name];
  if (typeof v !== 'string' || v.trim() === '') {
    throw new CounterfactError({ code: 'bad_argument', column: `--${name}`, message: `--${name} is required: ${what}` });
  }
  return v;
}

/** A comma-separated list flag ("a,b,c"); empty list when absent. */
export function list(flags: Flags, name: string): string[] {
  const v = flags[name];
  if (typeof v !== 'string') return [];
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** A numeric flag with bounds; undefined when absent. */
export function num(flags: Flags, name: string, check: { integer?: boolean; min?: number; max?: number; exclusiveMin?: boolean } = {}): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const x = typeof v === 'string' ? Number(v) : NaN;
  const problems: string[] = [];
  if (!Number.isFinite(x)) problems.push('a number');
  if (check.integer && !Number.isInteger(x)) problems.push('a whole number');
  if (check.min !== undefined && (check.exclusiveMin ? !(x > check.min) : !(x >= check.min))) {
    problems.push(`${check.exclusiveMin ? 'greater than' : 'at least'} ${check.min}`);
  }
  if (check.max !== undefined && !(x <= check.max)) problems.push(`at most ${check.max}`);
  if (problems.length > 0) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: `--${name}`,
      message: `--${name} must be ${[...new Set(problems)].join(' and ')}, received ${JSON.stringify(v)}`,
    });
  }
  return x;
}

/** A flag restricted to a set of values; `fallback` when absent. */
export function oneOf<T extends string>(flags: Flags, name: string, allowed: readonly T[], fallback: T): T {
  const v = flags[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: `--${name}`,
      message: `--${name} must be one of ${allowed.join(', ')}, received ${JSON.stringify(v)}`,
    });
  }
  return v as T;
}
