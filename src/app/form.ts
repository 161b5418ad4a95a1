/**
 * The app's form, without the DOM: the option controls generated from the method table
 * (MATCHING_METHODS' OptionSpec declarations — no method or option is named here by hand), the
 * study document built from the form, and the form filled from a study document. The study is
 * what the worker runs and what the "study.yaml" download holds, so the page, the download and
 * `counterfact run` all run the same analysis.
 */
import { stringify } from 'yaml';
import { MATCHING_METHODS, type MatchingMethod, type OptionSpec } from '../matching/methods.js';

/** A control's raw value: text of an input or select, a checkbox, or the ticked columns. */
export type RawValue = string | boolean | readonly string[];

/** One generated control of a method option. */
export interface OptionControl {
  readonly key: string;
  readonly spec: OptionSpec;
  /** 'number' input, 'checkbox', 'select' of fixed values, 'column' select, 'columns' checkboxes, 'text'. */
  readonly control: 'number' | 'checkbox' | 'select' | 'column' | 'columns' | 'text';
  /** Values of a select; '' stands for "not given" (the method's own rule). */
  readonly choices?: readonly { readonly value: string; readonly label: string }[];
  readonly min?: number;
  readonly max?: number;
  readonly step?: string;
  readonly placeholder?: string;
  readonly help: string;
}

/** The controls of one method, in the table's declaration order. */
export function optionControls(method: MatchingMethod): OptionControl[] {
  return Object.entries(method.options).map(([key, spec]) => {
    const req = method.required?.includes(key) ? ' (required)' : '';
    // The table's help names CLI flags (--max-controls); the form shows option names (maxControls).
    const text = spec.help.replace(/--([a-z][a-z-]*)/g, (_, f: string) => f.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase()));
    const help = text.includes('(required)') ? text : text + req;
    switch (spec.kind) {
      case 'integer':
      case 'number':
        return {
          key,
          spec,
          control: 'number',
          min: spec.min,
          max: spec.max,
          step: spec.kind === 'integer' ? '1' : 'any',
          placeholder: spec.default !== undefined ? `default ${spec.default}` : 'not set',
          help,
        };
      case 'boolean':
        return { key, spec, control: 'checkbox', help };
      case 'enum':
        return {
          key,
          spec,
          control: 'select',
          choices: [
            ...(spec.default === undefined ? [{ value: '', label: '(method default)' }] : []),
            ...spec.values.map((v) => ({ value: v, label: v === spec.default ? `${v} (default)` : v })),
          ],
          help,
        };
      case 'column':
        return { key, spec, control: 'column', help };
      case 'columns':
        return { key, spec, control: 'columns', help };
      case 'calipers':
        return { key, spec, control: 'text', placeholder: 'column=width, e.g. age=0.5', help };
    }
  });
}

/** A problem with a value typed in the form, named by its study-file path. */
export class FormProblem extends Error {}

/**
 * The option's value for the study file, or undefined when not given (the method's default).
 * Bounds are checked by the study schema in the worker (its messages name `matching.<key>`).
 */
export function optionValue(key: string, spec: OptionSpec, raw: RawValue | undefined): unknown {
  if (raw === undefined) return undefined;
  switch (spec.kind) {
    case 'integer':
    case 'number': {
      const s = String(raw).trim();
      if (s === '') return undefined;
      const x = Number(s);
      if (!Number.isFinite(x)) throw new FormProblem(`matching.${key}: ${JSON.stringify(s)} is not a number`);
      return x;
    }
    case 'boolean': {
      const on = raw === true;
      // Written only when it differs from the default, so the study file stays short.
      return on === (spec.default ?? false) ? undefined : on;
    }
    case 'enum':
    case 'column':
      return typeof raw === 'string' && raw !== '' ? raw : undefined;
    case 'columns':
      return Array.isArray(raw) && raw.length ? [...raw] : undefined;
    case 'calipers': {
      const s = String(raw).trim();
      if (s === '') return undefined;
      const out: Record<string, number> = {};
      for (const item of s.split(',')) {
        const m = /^(.+?)=(.+)$/.exec(item.trim());
        const v = m ? Number(m[2]) : NaN;
        if (!m || !(v > 0 && Number.isFinite(v)))
          throw new FormProblem(
            `matching.${key}: give column=width pairs with positive widths, e.g. age=0.5,re74=0.2; received ${JSON.stringify(item.trim())}`,
          );
        out[m[1]!.trim()] = v;
      }
      return out;
    }
  }
}

/** The control's raw value for an option value from a study file (the reverse of {@link optionValue}). */
export function rawOf(spec: OptionSpec, v: unknown): RawValue | undefined {
  if (v === undefined || v === null) return undefined;
  switch (spec.kind) {
    case 'integer':
    case 'number':
      return String(v);
    case 'boolean':
      return v === true;
    case 'enum':
    case 'column':
      return String(v);
    case 'columns':
      return Array.isArray(v) ? v.map(String) : undefined;
    case 'calipers':
      return typeof v === 'object'
        ? Object.entries(v as Record<string, unknown>)
            .map(([k, x]) => `${k}=${String(x)}`)
            .join(',')
        : undefined;
  }
}

export type OutcomeForm =
  | { readonly type: 'binary'; readonly column: string; readonly label?: string }
  | {
      readonly type: 'spells';
      readonly referenceDate: string;
      readonly horizons: string;
      readonly label?: string;
      readonly spellColumns: { readonly id?: string; readonly start: string; readonly end: string };
    };

/** Everything the form holds (text as typed; numbers parsed here). */
export interface FormState {
  readonly title: string;
  readonly persons: string;
  readonly spells?: string;
  readonly read: { readonly delimiter: string; readonly decimal: string; readonly thousands: string; readonly encoding: string; readonly idText: boolean };
  readonly id: string;
  readonly treatment: string;
  readonly treatedValue: string;
  readonly covariates: readonly string[];
  readonly categorical: readonly string[];
  readonly link: string;
  readonly method: string;
  readonly options: Readonly<Record<string, RawValue>>;
  readonly se: string;
  readonly varMatches: string;
  readonly level: string;
  readonly outcome: OutcomeForm;
  readonly sensitivity: { readonly evalue: boolean; readonly rosenbaum: boolean };
  readonly seed: string;
  readonly minCellCount: string;
}

function numberField(path: string, s: string): number | undefined {
  const t = s.trim();
  if (t === '') return undefined;
  const x = Number(t);
  if (!Number.isFinite(x)) throw new FormProblem(`${path}: ${JSON.stringify(t)} is not a number`);
  return x;
}

/**
 * The study document of the form. Keys of an opened study file the form does not show
 * (subgroups, costs, arms, further outcomes, …) are kept from `base`, so the rerun is the same
 * analysis. @throws FormProblem for text that is not a number.
 */
export function studyFromForm(f: FormState, base: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  const method = Object.hasOwn(MATCHING_METHODS, f.method) ? MATCHING_METHODS[f.method]! : undefined;
  const matching: Record<string, unknown> = { method: f.method };
  if (method) {
    for (const [key, spec] of Object.entries(method.options)) {
      if (key === 'seed') continue; // the study's seed drives the method's
      const v = optionValue(key, spec, f.options[key]);
      if (v !== undefined) matching[key] = v;
    }
  }
  const baseData = (typeof base.data === 'object' && base.data !== null ? base.data : {}) as Record<string, unknown>;
  const data: Record<string, unknown> = { ...baseData, persons: f.persons };
  delete data.spells;
  if (f.outcome.type === 'spells' && f.spells) data.spells = f.spells;
  for (const k of ['delimiter', 'decimal'] as const) data[k] = f.read[k] || 'auto';
  for (const k of ['thousands', 'encoding'] as const) {
    if (f.read[k]) data[k] = f.read[k];
    else delete data[k];
  }
  data.idType = f.read.idText ? 'text' : 'auto';
  let outcome: Record<string, unknown>;
  if (f.outcome.type === 'binary') outcome = { type: 'binary', column: f.outcome.column, ...(f.outcome.label ? { label: f.outcome.label } : {}) };
  else {
    const horizons = f.outcome.horizons
      .split(/[,;\s]+/)
      .filter(Boolean)
      .map((h) => {
        const x = Number(h);
        if (!Number.isFinite(x)) throw new FormProblem(`outcomes[0].horizons: ${JSON.stringify(h)} is not a number of months`);
        return x;
      });
    const sc = f.outcome.spellColumns;
    outcome = {
      type: 'spells',
      referenceDate: f.outcome.referenceDate,
      horizons,
      ...(f.outcome.label ? { label: f.outcome.label } : {}),
      spellColumns: { ...(sc.id ? { id: sc.id } : {}), start: sc.start, end: sc.end },
    };
  }
  const baseOutcomes = Array.isArray(base.outcomes) ? base.outcomes.slice(1) : [];
  const study: Record<string, unknown> = {
    ...base,
    title: f.title.trim() || 'Counterfactual evaluation',
    data,
    id: f.id,
    treatment: f.treatment,
    covariates: [...f.covariates],
    categorical: [...f.categorical],
    link: f.link,
    matching,
    varMatches: numberField('varMatches', f.varMatches) ?? 0,
    level: numberField('level', f.level) ?? 0.95,
    outcomes: [outcome, ...baseOutcomes],
    sensitivity: { ...((base.sensitivity as object) ?? {}), rosenbaum: f.sensitivity.rosenbaum, evalue: f.sensitivity.evalue },
    seed: numberField('seed', f.seed) ?? 1,
    minCellCount: numberField('minCellCount', f.minCellCount) ?? 10,
  };
  delete study.arms;
  delete study.exact; // exact strata are the method's `exact` option
  if (Array.isArray(base.exact) && base.exact.length && method && 'exact' in method.options && matching.exact === undefined) matching.exact = base.exact;
  if (f.treatedValue !== '') study.treatedValue = /^-?\d+(\.\d+)?$/.test(f.treatedValue) ? Number(f.treatedValue) : f.treatedValue;
  else delete study.treatedValue;
  if (f.se) study.se = f.se;
  else delete study.se;
  return study;
}

/** The study file the page offers: the document as YAML, with a line on how to rerun it. */
export function studyYaml(study: Readonly<Record<string, unknown>>): string {
  return `# Written by counterfact app. Put this file next to the data files it names and run:\n#   npx counterfact run study.yaml\n${stringify(study)}`;
}
