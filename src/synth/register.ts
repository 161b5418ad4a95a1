/**
 * Synthetic job-centre registers for benchmarks and accuracy checks: a seeded, documented
 * data-generating process shaped like the studies' registers (docs/studies.md), with a known true
 * ATT written alongside. Columns are generated straight into typed arrays.
 *
 * DGP (all draws from one seeded generator, in a fixed order):
 * - age ~ 18 + 47·Beta-like(U²-mixture) (18–65); female ~ Bern(0.5); foreign ~ Bern(0.15);
 *   education ∈ {none, lower_secondary, upper_secondary, tertiary} with shares .15/.35/.35/.15;
 *   province ∈ the 8 Piedmont provinces with Turin ≈ 50%; months_unemployed ~ Exp(mean 14);
 *   inoccupato ~ Bern(0.2); prior_training ~ Bern(0.1); months_employed_18 ∈ 0..18 (fewer
 *   for the long-term unemployed); x1…xk ~ N(0, 1) extra covariates.
 * - Selection (logit): younger, more educated, shorter unemployed, previously employed and
 *   previously trained people take part more; the intercept is solved so the treated share is
 *   the one asked for. Naive treated − control differences are therefore biased upwards.
 * - Outcome (employment at the horizon, logit): P(Y0) rises with education, employment
 *   history and falls with age and unemployment duration; P(Y1) adds a constant log-odds shift
 *   γ solved so that the ATT (mean over treated of P(Y1) − P(Y0)) equals `trueEffect`.
 */
import { createRng, type Rng } from '../random.js';
import type { Column, Table } from '../data/table.js';
import { badArgument } from '../problems.js';
import { bisect, logistic } from './common.js';

export interface RegisterOptions {
  readonly rows: number;
  /** Share of treated units (default 0.1). */
  readonly treatedShare?: number;
  /** Number of covariates (≥ 5, default 20): the 9 register covariates, then x1, x2, … */
  readonly covariates?: number;
  /** Contract spells per person (0 = none, default 0). */
  readonly spellsPerPerson?: number;
  readonly seed?: number;
  /** True ATT on the employment probability (default 0.08). */
  readonly trueEffect?: number;
}

export interface RegisterTruth {
  /** Mean over treated of P(Y1) − P(Y0): the estimand the pipeline should recover. */
  readonly att: number;
  readonly seed: number;
  readonly rows: number;
  readonly treated: number;
  /** Log-odds shift γ of the treatment in the outcome model. */
  readonly gamma: number;
  readonly covariates: readonly string[];
  readonly dgp: string;
}

export interface Register {
  readonly table: Table;
  readonly spells: Table | null;
  readonly truth: RegisterTruth;
}

export const PIEDMONT_PROVINCES = ['AL', 'AT', 'BI', 'CN', 'NO', 'TO', 'VB', 'VC'] as const;
const PROVINCE_SHARES = [0.095, 0.048, 0.039, 0.135, 0.085, 0.505, 0.036, 0.057];
const EDUCATION = ['lower_secondary', 'none', 'tertiary', 'upper_secondary'] as const; // sorted levels
const BASE = ['age', 'female', 'foreign', 'education', 'province', 'months_unemployed', 'inoccupato', 'prior_training', 'months_employed_18'];

/**
 * Generate a synthetic register. Deterministic for a seed.
 * Cost: O(rows × covariates) time and memory; about 10 M rows × 20 covariates in well under
 * a minute.
 * @throws CounterfactError for rows < 10, a treated share outside (0, 1), covariates < 5.
 * @example
 * const r = generateRegister({ rows: 10_000, seed: 1 });
 * r.truth.att; // 0.08 (to about 1e-6: the effect is solved for)
 */
export function generateRegister(options: RegisterOptions): Register {
  const n = options.rows;
  const share = options.treatedShare ?? 0.1;
  const P = options.covariates ?? 20;
  const K = options.spellsPerPerson ?? 0;
  const seed = options.seed ?? 1;
  const effect = options.trueEffect ?? 0.08;
  if (!(Number.isInteger(n) && n >= 10)) badArgument('rows', `rows must be a whole number ≥ 10, received ${n}`);
  if (!(share > 0 && share < 1)) badArgument('treatedShare', `treatedShare must be between 0 and 1, received ${share}`);
  if (!(Number.isInteger(P) && P >= 5)) badArgument('covariates', `covariates must be a whole number ≥ 5, received ${P}`);
  if (!(Number.isInteger(K) && K >= 0)) badArgument('spellsPerPerson', `spellsPerPerson must be a whole number ≥ 0, received ${K}`);
  if (!(effect > -0.5 && effect < 0.5)) badArgument('trueEffect', `trueEffect must be between −0.5 and 0.5, received ${effect}`);
  const rng = createRng(seed);
  const age = new Float64Array(n);
  const female = new Float64Array(n);
  const foreign = new Float64Array(n);
  const edu = new Int32Array(n); // code into EDUCATION (sorted levels)
  const prov = new Int32Array(n);
  const mu = new Float64Array(n);
  const inocc = new Float64Array(n);
  const prior = new Float64Array(n);
  const empHist = new Float64Array(n);
  const nExtra = Math.max(0, P - BASE.length);
  const extra = Array.from({ length: nExtra }, () => new Float64Array(n));
  const eduRank = [1, 0, 3, 2]; // rank of each sorted level: none 0 < lower 1 < upper 2 < tertiary 3
  const selLin = new Float64Array(n);
  const outLin = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    age[i] = Math.round(18 + 47 * (0.6 * u * u + 0.4 * u));
    female[i] = rng.bernoulli(0.5);
    foreign[i] = rng.bernoulli(0.15);
    const e = rng.next();
    const rank = e < 0.15 ? 0 : e < 0.5 ? 1 : e < 0.85 ? 2 : 3;
    edu[i] = eduRank.indexOf(rank);
    let p = rng.next();
    let k = 0;
    while (k < 7 && p >= PROVINCE_SHARES[k]!) p -= PROVINCE_SHARES[k++]!;
    prov[i] = k;
    mu[i] = Math.round(-14 * Math.log(1 - rng.next()) * 10) / 10;
    inocc[i] = rng.bernoulli(0.2);
    prior[i] = rng.bernoulli(0.1);
    const maxEmp = inocc[i] ? 0 : Math.max(0, 18 - Math.min(18, mu[i]!));
    empHist[i] = Math.floor(rng.next() * (maxEmp + 1));
    let xs = 0;
    for (let j = 0; j < nExtra; j++) {
      const x = rng.normal();
      extra[j]![i] = x;
      if (j < 4) xs += (j % 2 === 0 ? 0.15 : -0.1) * x;
    }
    selLin[i] = -0.03 * (age[i]! - 40) + 0.35 * rank - 0.03 * mu[i]! + 0.05 * empHist[i]! + 0.6 * prior[i]! - 0.3 * inocc[i]! + 0.1 * female[i]! + xs;
    outLin[i] = -0.4 - 0.02 * (age[i]! - 40) + 0.3 * rank - 0.04 * mu[i]! + 0.07 * empHist[i]! - 0.4 * inocc[i]! - 0.2 * foreign[i]! + 0.2 * prior[i]! + xs;
  }
  // Intercept for the treated share (bisection on the expected share).
  const alpha = bisect(
    (a) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += logistic(a + selLin[i]!);
      return s / n - share;
    },
    -20,
    20,
  );
  const treat = new Float64Array(n);
  let nT = 0;
  for (let i = 0; i < n; i++) {
    treat[i] = rng.bernoulli(logistic(alpha + selLin[i]!));
    nT += treat[i]!;
  }
  if (nT === 0 || nT === n) badArgument('rows', 'too few rows for the treated share: no treated or no controls were drawn; use more rows');
  // γ so that the ATT equals the true effect.
  const attOf = (g: number) => {
    let s = 0;
    for (let i = 0; i < n; i++) if (treat[i]) s += logistic(outLin[i]! + g) - logistic(outLin[i]!);
    return s / nT;
  };
  const gamma = bisect((g) => attOf(g) - effect, -10, 10);
  const outcome = new Float64Array(n);
  for (let i = 0; i < n; i++) outcome[i] = rng.bernoulli(logistic(outLin[i]! + (treat[i] ? gamma : 0)));
  const id = new Float64Array(n);
  for (let i = 0; i < n; i++) id[i] = i + 1;

  const columns: Record<string, Column> = {
    id: { kind: 'numeric', values: id },
    treat: { kind: 'numeric', values: treat },
    outcome: { kind: 'numeric', values: outcome },
  };
  const covCols: [string, Column][] = [
    ['age', { kind: 'numeric', values: age }],
    ['female', { kind: 'numeric', values: female }],
    ['foreign', { kind: 'numeric', values: foreign }],
    ['education', { kind: 'categorical', codes: edu, levels: [...EDUCATION] }],
    ['province', { kind: 'categorical', codes: prov, levels: [...PIEDMONT_PROVINCES] }],
    ['months_unemployed', { kind: 'numeric', values: mu }],
    ['inoccupato', { kind: 'numeric', values: inocc }],
    ['prior_training', { kind: 'numeric', values: prior }],
    ['months_employed_18', { kind: 'numeric', values: empHist }],
    ...extra.map((v, j): [string, Column] => [`x${j + 1}`, { kind: 'numeric', values: v }]),
  ];
  const used = covCols.slice(0, P);
  for (const [name, col] of used) columns[name] = col;
  const names = ['id', 'treat', 'outcome', ...used.map(([c]) => c)];
  const table: Table = { nRows: n, names, columns };
  const spells = K > 0 ? generateSpells(n, K, rng) : null;
  if (spells) {
    // Dates for the work-history step, drawn after everything else (other outputs unchanged).
    const ref = new Float64Array(n);
    const did = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const r = REF_FIRST + Math.floor(rng.next() * REF_SPAN);
      ref[i] = compactDate(r);
      did[i] = compactDate(r - 1 - Math.floor(-300 * Math.log(1 - rng.next())));
    }
    columns.reference_date = { kind: 'numeric', values: ref };
    columns.did_date = { kind: 'numeric', values: did };
    names.push('reference_date', 'did_date');
  }
  return {
    table,
    spells,
    truth: {
      att: attOf(gamma),
      seed,
      rows: n,
      treated: nT,
      gamma,
      covariates: used.map(([c]) => c),
      dgp: 'counterfact synthetic register v1 (see src/synth/register.ts): logistic selection on age, education, unemployment duration, employment history, prior training, inoccupato, gender and x1..x4; logistic outcome with a constant log-odds treatment shift solved for the true ATT',
    },
  };
}

const CONTRACT_TYPES = ['apprenticeship', 'fixed_term', 'open_ended', 'temp_agency'];
const SECTORS = ['construction', 'manufacturing', 'retail', 'services', 'tourism'];
const REF_FIRST = 16801; // 2016-01-01: reference dates uniform over 2016–2018
const REF_SPAN = 1096;

/** Days since 1970-01-01 as a yyyymmdd number (the compact date form the spell readers take). */
function compactDate(days: number): number {
  const d = new Date(days * 86_400_000);
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

/**
 * K contract spells per person within 2014–2019: start uniform, length 1 + Exp(mean 180) days,
 * 10% open-ended; type, sector and contractual qualification level (1–7, a number ranked
 * numerically) uniform. Dates are yyyymmdd numbers. People also get `reference_date` (uniform
 * over 2016–2018) and `did_date` (reference date minus 1 + Exp(mean 300) days), yyyymmdd.
 */
function generateSpells(n: number, K: number, rng: Rng): Table {
  const m = n * K;
  const id = new Float64Array(m);
  const start = new Float64Array(m);
  const end = new Float64Array(m);
  const type = new Int32Array(m);
  const sector = new Int32Array(m);
  const qualification = new Float64Array(m);
  const base = 16071; // 2014-01-01
  for (let i = 0, k = 0; i < n; i++) {
    for (let s = 0; s < K; s++, k++) {
      id[k] = i + 1;
      const s0 = base + Math.floor(rng.next() * 2190);
      start[k] = compactDate(s0);
      end[k] = rng.next() < 0.1 ? NaN : compactDate(s0 + 1 + Math.floor(-180 * Math.log(1 - rng.next())));
      type[k] = rng.int(CONTRACT_TYPES.length);
      sector[k] = rng.int(SECTORS.length);
      qualification[k] = 1 + rng.int(7);
    }
  }
  return {
    nRows: m,
    names: ['id', 'start', 'end', 'type', 'sector', 'qualification'],
    columns: {
      id: { kind: 'numeric', values: id },
      start: { kind: 'numeric', values: start },
      end: { kind: 'numeric', values: end },
      type: { kind: 'categorical', codes: type, levels: CONTRACT_TYPES },
      sector: { kind: 'categorical', codes: sector, levels: SECTORS },
      qualification: { kind: 'numeric', values: qualification },
    },
  };
}
