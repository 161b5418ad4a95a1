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
    const unknown = /^Unknown option '(-{1,2})([^']*)'/.exec(msg);
    if (unknown) {
      const given = unknown[2]!.replace(/=.*$/, '');
      const names = Object.keys(options);
      const guess = didYouMean(given, names);
      throw new CounterfactError({
        code: 'bad_argument',
        column: `${unknown[1]}${given}`,
        message: `unknown option ${unknown[1]}${given}${guess ? `; did you mean --${guess}?` : ''} (see --help for the options)`,
      });
    }
    throw new CounterfactError({ code: 'bad_argument', message: `${msg} (see --help)` });
  }
}

/** Levenshtein edit distance (insertions, deletions, substitutions; a swap of neighbours counts 1). */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev2: number[] = [];
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur.push(d);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[n]!;
}

/**
 * The candidate closest to `given` (case-insensitive edit distance at most a third of its
 * length, at least 1 and at most 3; or the only candidate it is a prefix of), or null.
 */
export function didYouMean(given: string, candidates: readonly string[]): string | null {
  const g = given.toLowerCase();
  if (g.length === 0 || g.length > 100) return null;
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(g, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best !== null && bestD <= Math.min(3, Math.max(1, Math.floor(g.length / 3)))) return best;
  const prefixed = candidates.filter((c) => c.toLowerCase().startsWith(g));
  return prefixed.length === 1 ? prefixed[0]! : null;
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

/**
 * Library messages name library options (`tieTolerance`, `psNeighbours`, …). On the command
 * line they are reworded to name the real flag (`estimate`) or study-file key (`run`), and a
 * fix that neither offers is replaced by one that exists.
 */
const WORDING: readonly { re: RegExp; flags: string; study: string }[] = [
  { re: /raise psNeighbours or use se 'ai'/g, flags: 'use --se ai', study: 'use se: ai' },
  { re: /raise varNeighbours or use a larger sample/g, flags: 'use a larger sample', study: 'use a larger sample' },
  { re: /use varMatches 0/g, flags: 'use --var-matches 0', study: 'use varMatches: 0' },
  {
    re: /[Uu]se tieTolerance: 0 \(exact ties only\) or ties: false/g,
    flags: 'use --tie-tolerance 0 (exact ties only) or drop --ties',
    study: 'use matching.tieTolerance: 0 (exact ties only) or matching.ties: false',
  },
  { re: /use tieTolerance: 0/g, flags: 'use --tie-tolerance 0', study: 'use matching.tieTolerance: 0' },
  { re: /(?<![.\w-])tieTolerance\b/g, flags: '--tie-tolerance', study: 'matching.tieTolerance' },
  {
    re: /drop replace: false \(CLI: add --replace\) or use reuseMax 1/g,
    flags: 'add --replace or use --reuse-max 1',
    study: 'set matching.replace: true or matching.reuseMax: 1',
  },
  {
    re: /raise maxIterations or simplify the model/g,
    flags: 'simplify the model (fewer covariates, or merge rare categories)',
    study: 'simplify the model (fewer covariates, or merge rare categories)',
  },
  {
    re: /set controlValue to the label of untreated units/g,
    flags: 'give the label of untreated units',
    study: 'set arms.control to the label of untreated units',
  },
];

/** Reword a library message for the command line: `flags` for `estimate`, `study` for `run`. */
export function cliWording(text: string, context: 'flags' | 'study'): string {
  let out = text;
  for (const w of WORDING) out = out.replace(w.re, context === 'flags' ? w.flags : w.study);
  return out;
}
