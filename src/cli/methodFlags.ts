/**
 * Command-line flags of the matching methods, built from the method table's option
 * declarations: `--method NAME` picks the method, and each option `fooBar` is the flag
 * `--foo-bar`. Nothing here names a method or an option by hand.
 */
import { flagName, MATCHING_METHODS, matchingMethod, type MatchingMethod, type OptionSpec } from '../matching/methods.js';
import { CounterfactError } from '../problems.js';
import { list, num, oneOf, type Flags } from './args.js';

/** parseArgs declarations for `--method` and every method option. */
export function methodFlagOptions(): Record<string, { type: 'string' | 'boolean' }> {
  const out: Record<string, { type: 'string' | 'boolean' }> = { method: { type: 'string' } };
  for (const m of Object.values(MATCHING_METHODS)) {
    for (const [key, spec] of Object.entries(m.options)) out[flagName(key)] = { type: spec.kind === 'boolean' ? 'boolean' : 'string' };
  }
  return out;
}

function readOption(flags: Flags, flag: string, spec: OptionSpec): unknown {
  switch (spec.kind) {
    case 'integer':
      return num(flags, flag, { integer: true, min: spec.min, max: spec.max });
    case 'number':
      return num(flags, flag, { min: spec.min, exclusiveMin: spec.exclusiveMin, max: spec.max });
    case 'boolean':
      return flags[flag] === true ? true : undefined;
    case 'enum':
      return flags[flag] === undefined ? undefined : oneOf(flags, flag, spec.values, spec.values[0]!);
    case 'column':
      return typeof flags[flag] === 'string' ? flags[flag] : undefined;
    case 'columns': {
      const l = list(flags, flag);
      return l.length ? l : undefined;
    }
    case 'calipers': {
      const out: Record<string, number> = {};
      for (const item of list(flags, flag)) {
        const m = /^(.+?)=(.+)$/.exec(item);
        const v = m ? Number(m[2]) : NaN;
        if (!m || !(v > 0 && Number.isFinite(v))) {
          throw new CounterfactError({
            code: 'bad_argument',
            column: `--${flag}`,
            message: `--${flag} takes column=width pairs with positive widths, e.g. age=0.5,re74=0.2; received ${JSON.stringify(item)}`,
          });
        }
        out[m[1]!.trim()] = v;
      }
      return Object.keys(out).length ? out : undefined;
    }
  }
}

/**
 * The method named by `--method` (default nearest) and its options from the flags.
 * @throws CounterfactError for an unknown method, a bad value, or a flag that belongs to other
 *   methods only (naming them).
 */
export function methodFromFlags(flags: Flags): { method: string; options: Record<string, unknown> } {
  const name = typeof flags.method === 'string' ? flags.method : 'nearest';
  let method: MatchingMethod;
  try {
    method = matchingMethod(name);
  } catch {
    throw new CounterfactError({
      code: 'bad_argument',
      column: '--method',
      message: `--method must be one of ${Object.keys(MATCHING_METHODS).join(', ')}, received ${JSON.stringify(name)}`,
    });
  }
  const options: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(method.options)) {
    const v = readOption(flags, flagName(key), spec);
    if (v !== undefined) options[key] = v;
  }
  const mine = new Set(Object.keys(method.options).map(flagName));
  for (const m of Object.values(MATCHING_METHODS)) {
    if (m === method) continue;
    for (const key of Object.keys(m.options)) {
      const flag = flagName(key);
      if (mine.has(flag) || flags[flag] === undefined) continue;
      const owners = Object.values(MATCHING_METHODS)
        .filter((x) => Object.keys(x.options).some((k) => flagName(k) === flag))
        .map((x) => x.name);
      throw new CounterfactError({
        code: 'bad_argument',
        column: `--${flag}`,
        message: `--${flag} is an option of --method ${owners.join(' or ')}, not of ${method.name}: drop it or choose that method`,
      });
    }
  }
  // A fractional ratio is an average, which only variable-ratio matching has.
  if (typeof options.ratio === 'number' && !Number.isInteger(options.ratio) && options.maxControls === undefined) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: '--ratio',
      message: `--ratio must be a whole number unless --max-controls is given (variable ratio), received ${JSON.stringify(flags.ratio)}`,
    });
  }
  for (const r of method.required ?? []) {
    if (options[r] === undefined)
      throw new CounterfactError({
        code: 'bad_argument',
        column: `--${flagName(r)}`,
        message: `--method ${method.name} needs --${flagName(r)}: ${method.options[r]!.help}`,
      });
  }
  return { method: method.name, options };
}

function valueHint(spec: OptionSpec): string {
  switch (spec.kind) {
    case 'integer':
      return 'N';
    case 'number':
      return 'X';
    case 'boolean':
      return '';
    case 'enum':
      return spec.values.join('|');
    case 'column':
      return 'COL';
    case 'columns':
      return 'A,B';
    case 'calipers':
      return 'COL=X,…';
  }
}

/** The per-method option sections of `estimate --help`. */
export function methodHelp(): string {
  const out: string[] = [];
  for (const m of Object.values(MATCHING_METHODS)) {
    out.push(`--method ${m.name}: ${m.summary}`);
    for (const [key, spec] of Object.entries(m.options)) {
      const head = `  --${flagName(key)}${valueHint(spec) ? ' ' + valueHint(spec) : ''}`;
      const def = 'default' in spec && spec.default !== undefined ? ` [${spec.default}]` : '';
      const text = `${spec.help}${def}`;
      out.push(head.length < 25 ? head.padEnd(25) + text : `${head}\n${' '.repeat(25)}${text}`);
    }
    out.push('');
  }
  return out.join('\n');
}
