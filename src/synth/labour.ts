/**
 * Synthetic cohorts of job-centre registrants for the labour-market studies (vocational
 * training, job-service vouchers). SYNTHETIC DATA: the real registers are confidential; these
 * cohorts are generated from the documented process below, calibrated so that the true effects
 * equal the published figures. No published number is ever an output: the pipeline has to
 * recover it from the generated microdata.
 *
 * Process (one seeded generator, fixed draw order):
 * 1. Covariates per person: female ~ Bern(.5); age 18–64 (more mass at younger ages);
 *    foreign ~ Bern(.15); education none/lower_secondary/upper_secondary/tertiary
 *    (.12/.38/.35/.15); province (the 8 Piedmont provinces, Turin ≈ half); inoccupato ~
 *    Bern(.2); months_unemployed ~ Exp(mean 16), rounded; months_employed_18 (months employed
 *    in the 18 before the reference date; 0 for inoccupati) uniform on what the unemployment
 *    spell leaves; prior_training ~ Bern(.12); did_date = reference date − months unemployed.
 * 2. Selection (logit, intercept solved for the treated share): younger, more educated,
 *    shorter-unemployed, recently employed, previously trained, Italian and female registrants
 *    take part more. These people also find jobs more easily, so the naive difference is biased
 *    upwards. Treated units get an arm (pathway) and study-specific programme features.
 * 3. Employment without the programme at the horizon H, P0 (logit in the same covariates;
 *    intercept solved so that the treated's mean P0 is the published control rate when there is
 *    one); with the programme P1 = logistic(logit P0 + γ_arm + modifiers), γ_arm solved so that
 *    the mean over the arm's treated of P1 − P0 is the arm's true effect (the published figure).
 * 4. Employment over time: F(h) = P∞ (1 − exp(−h / τ)) with F(H) = P, τ = 7 months, so effects
 *    grow with time since the reference date. A person's job starts at F⁻¹(u) months after the
 *    reference date (one open-ended contract spell), never if u ≥ P∞. Controls have a latent
 *    reference date drawn from the treated dates' window (course ends fall in June–July).
 * 5. Noise control: for each arm, treated outcomes at H are drawn by systematic sampling in
 *    order of P1 (each person's probability is unchanged, the arm's count is within one of its
 *    expectation) and u is then drawn uniformly consistent with that outcome; controls are iid.
 *    This removes Monte Carlo noise in treated group means, not the estimator's error.
 */
import type { Column, Table } from '../data/table.js';
import { addMonths, formatDate, parseDate } from '../data/dates.js';
import { createRng, type Rng } from '../random.js';
import { bisect, drawCategory, logistic, logit, systematicBernoulli, uniformGiven } from './common.js';
import { PIEDMONT_PROVINCES } from './register.js';

export const EDUCATION_LEVELS = ['lower_secondary', 'none', 'tertiary', 'upper_secondary'] as const; // sorted
const PROVINCE_SHARES = [0.095, 0.048, 0.039, 0.135, 0.085, 0.505, 0.036, 0.057];
const PROVINCE_SELECTION = [0.1, -0.1, 0.05, 0.15, 0, -0.05, 0.1, 0];
const PROVINCE_OUTCOME = [0.05, 0.1, -0.05, 0.25, 0.1, -0.05, 0, -0.1];
export const TAU_MONTHS = 7;

/** Person-level draws available to the study-specific parts. */
export interface Person {
  female: number;
  age: number;
  foreign: number;
  eduRank: number;
  province: number;
  inoccupato: number;
  monthsUnemployed: number;
  monthsEmployed18: number;
  priorTraining: number;
}

export interface ArmSpec {
  readonly name: string;
  /** Share of the treated in this arm. */
  readonly share: number;
  /** True effect at the horizon (probability scale). */
  readonly effect: number;
}

export interface LabourCohortSpec {
  readonly study: string;
  readonly seed: number;
  readonly nPeople: number;
  readonly treatedShare: number;
  readonly horizonMonths: number;
  /** Target mean P0 among treated (the published matched-control rate), or null. */
  readonly controlRate: number;
  readonly arms: readonly ArmSpec[];
  /** First and last reference (course end / intake) date, ISO. */
  readonly referenceWindow: readonly [string, string];
  /** Log-odds effect modifiers for a treated person in an arm (heterogeneity). */
  readonly modifier: (p: Person, arm: string, features: Record<string, number>) => number;
  /** Programme features per treated person (e.g. course hours and sector), drawn here. */
  readonly features?: (p: Person, arm: string, rng: Rng) => Record<string, number>;
  /** Extra person-level columns derived from features: name → (features) → value (NaN missing). */
  readonly featureColumns?: Readonly<Record<string, { levels?: readonly string[] }>>;
}

export interface LabourCohort {
  readonly study: string;
  readonly people: Table;
  readonly spells: Table;
  readonly truth: {
    readonly seed: number;
    readonly horizonMonths: number;
    /** True ATT at the horizon per arm and overall (mean over treated of P1 − P0). */
    readonly att: Readonly<Record<string, number>>;
    /** True ATT curve, months 1…36, overall. */
    readonly curve: readonly { horizon: number; att: number }[];
    readonly treatedRate: number;
    readonly controlRate: number;
    readonly nTreated: Readonly<Record<string, number>>;
    readonly nControls: number;
  };
  /** Internal: per-person true probabilities at the horizon (for tests of subgroup truth). */
  readonly p0: Float64Array;
  readonly p1: Float64Array;
}

const DAYS_PER_MONTH = 30.4375;

/**
 * Generate one synthetic labour-market cohort (see the module comment for the process).
 * Deterministic for a seed. Cost: O(nPeople).
 */
export function generateLabourCohort(spec: LabourCohortSpec): LabourCohort {
  const rng = createRng(spec.seed);
  const n = spec.nPeople;
  const people: Person[] = new Array(n);
  const sel = new Float64Array(n);
  const out0 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    const age = Math.min(64, Math.round(18 + 46 * (0.55 * u * u + 0.45 * u)));
    const female = rng.bernoulli(0.5);
    const foreign = rng.bernoulli(0.15);
    const eduRank = [0, 1, 2, 3][drawCategory(rng, [0.12, 0.38, 0.35, 0.15])]!;
    const province = drawCategory(rng, PROVINCE_SHARES);
    const inoccupato = rng.bernoulli(0.2);
    const monthsUnemployed = Math.min(120, Math.round(-16 * Math.log(1 - rng.next())));
    const room = inoccupato ? 0 : Math.max(0, 18 - Math.min(18, monthsUnemployed));
    const monthsEmployed18 = Math.floor(rng.next() * (room + 1));
    const priorTraining = rng.bernoulli(0.12);
    const p: Person = { female, age, foreign, eduRank, province, inoccupato, monthsUnemployed, monthsEmployed18, priorTraining };
    people[i] = p;
    sel[i] =
      -0.035 * (age - 40) +
      0.35 * eduRank -
      0.025 * Math.min(monthsUnemployed, 60) +
      0.06 * monthsEmployed18 +
      0.7 * priorTraining +
      0.25 * female -
      0.3 * inoccupato -
      0.35 * foreign +
      PROVINCE_SELECTION[province]!;
    out0[i] =
      -0.03 * (age - 40) +
      0.35 * eduRank -
      0.035 * Math.min(monthsUnemployed, 60) +
      0.08 * monthsEmployed18 -
      0.5 * inoccupato -
      0.25 * foreign +
      0.2 * priorTraining +
      0.05 * female +
      PROVINCE_OUTCOME[province]!;
  }
  const alpha = bisect(
    (a) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += logistic(a + sel[i]!);
      return s / n - spec.treatedShare;
    },
    -30,
    30,
  );
  const armOf = new Int32Array(n).fill(-1);
  const shares = spec.arms.map((a) => a.share);
  for (let i = 0; i < n; i++) if (rng.bernoulli(logistic(alpha + sel[i]!))) armOf[i] = drawCategory(rng, shares);
  const features: (Record<string, number> | null)[] = new Array(n).fill(null);
  for (let i = 0; i < n; i++) if (armOf[i]! >= 0 && spec.features) features[i] = spec.features(people[i]!, spec.arms[armOf[i]!]!.name, rng);
  // Baseline intercept: mean P0 over treated = control rate.
  const clip = (p: number) => Math.min(0.89, Math.max(0.01, p));
  const b0 = bisect(
    (b) => {
      let s = 0,
        c = 0;
      for (let i = 0; i < n; i++)
        if (armOf[i]! >= 0) {
          s += clip(logistic(b + out0[i]!));
          c++;
        }
      return s / c - spec.controlRate;
    },
    -20,
    20,
  );
  const p0 = new Float64Array(n);
  const p1 = new Float64Array(n).fill(NaN);
  for (let i = 0; i < n; i++) p0[i] = clip(logistic(b0 + out0[i]!));
  const mods = new Float64Array(n);
  for (let i = 0; i < n; i++) if (armOf[i]! >= 0) mods[i] = spec.modifier(people[i]!, spec.arms[armOf[i]!]!.name, features[i] ?? {});
  const att: Record<string, number> = {};
  const nTreated: Record<string, number> = {};
  spec.arms.forEach((arm, a) => {
    const members: number[] = [];
    for (let i = 0; i < n; i++) if (armOf[i] === a) members.push(i);
    const meanEffect = (g: number) => members.reduce((s, i) => s + clip(logistic(logit(p0[i]!) + g + mods[i]!)) - p0[i]!, 0) / members.length;
    const g = bisect((x) => meanEffect(x) - arm.effect, -10, 10);
    for (const i of members) p1[i] = clip(logistic(logit(p0[i]!) + g + mods[i]!));
    att[arm.name] = meanEffect(g);
    nTreated[arm.name] = members.length;
  });
  // Outcome uniforms: systematic sampling within each arm, iid for controls.
  const u = new Float64Array(n);
  for (let i = 0; i < n; i++) if (armOf[i]! < 0) u[i] = rng.next();
  spec.arms.forEach((_, a) => {
    const members: number[] = [];
    for (let i = 0; i < n; i++) if (armOf[i] === a) members.push(i);
    members.sort((x, y) => p1[x]! - p1[y]! || x - y);
    const y = systematicBernoulli(members, p1, rng);
    for (const i of members) u[i] = uniformGiven(y.get(i)!, p1[i]!, rng);
  });
  // Reference dates and job spells.
  const w0 = parseDate(spec.referenceWindow[0]);
  const w1 = parseDate(spec.referenceWindow[1]);
  const H = spec.horizonMonths;
  const scaleH = 1 - Math.exp(-H / TAU_MONTHS);
  const refDays = new Float64Array(n);
  const spellId: number[] = [];
  const spellStart: string[] = [];
  const spellType: number[] = [];
  const spellSector: number[] = [];
  for (let i = 0; i < n; i++) {
    refDays[i] = w0 + rng.int(w1 - w0 + 1);
    const P = armOf[i]! >= 0 ? p1[i]! : p0[i]!;
    const pInf = P / scaleH;
    if (u[i]! < pInf) {
      const months = -TAU_MONTHS * Math.log(1 - u[i]! / pInf);
      spellId.push(i + 1);
      spellStart.push(formatDate(refDays[i]! + Math.round(months * DAYS_PER_MONTH)));
      spellType.push(rng.int(4));
      spellSector.push(rng.int(5));
    } else {
      rng.next();
      rng.next();
    }
  }
  // True curve (overall treated) and rates.
  const curve: { horizon: number; att: number }[] = [];
  let nT = 0;
  for (let i = 0; i < n; i++) if (armOf[i]! >= 0) nT++;
  for (let h = 1; h <= 36; h++) {
    const f = (1 - Math.exp(-h / TAU_MONTHS)) / scaleH;
    let s = 0;
    for (let i = 0; i < n; i++) if (armOf[i]! >= 0) s += (p1[i]! - p0[i]!) * f;
    curve.push({ horizon: h, att: s / nT });
  }
  let s1 = 0,
    s0 = 0;
  for (let i = 0; i < n; i++)
    if (armOf[i]! >= 0) {
      s1 += p1[i]!;
      s0 += p0[i]!;
    }
  att.overall = (s1 - s0) / nT;
  // People table.
  const num = (f: (i: number) => number): Column => ({ kind: 'numeric', values: Float64Array.from({ length: n }, (_, i) => f(i)) });
  const cat = (levels: readonly string[], f: (i: number) => number): Column => ({
    kind: 'categorical',
    codes: Int32Array.from({ length: n }, (_, i) => f(i)),
    levels,
  });
  const eduLevelOfRank = ['none', 'lower_secondary', 'upper_secondary', 'tertiary'];
  const refLevels: string[] = [];
  const refCodes = new Int32Array(n);
  const refIndex = new Map<string, number>();
  const didCodes = new Int32Array(n);
  const didLevels: string[] = [];
  const didIndex = new Map<string, number>();
  const code = (s: string, map: Map<string, number>, levels: string[]) => {
    let c = map.get(s);
    if (c === undefined) {
      c = levels.length;
      levels.push(s);
      map.set(s, c);
    }
    return c;
  };
  for (let i = 0; i < n; i++) {
    refCodes[i] = armOf[i]! >= 0 ? code(formatDate(refDays[i]!), refIndex, refLevels) : -1;
    didCodes[i] = code(formatDate(addMonths(refDays[i]!, -people[i]!.monthsUnemployed)), didIndex, didLevels);
  }
  const sortCat = (codes: Int32Array, levels: string[]): Column => {
    const order = levels.map((_, k) => k).sort((a, b) => (levels[a]! < levels[b]! ? -1 : 1));
    const remap = new Int32Array(levels.length);
    order.forEach((old, k) => (remap[old] = k));
    return { kind: 'categorical', codes: codes.map((c) => (c < 0 ? -1 : remap[c]!)), levels: order.map((k) => levels[k]!) };
  };
  const armNames = spec.arms.map((a) => a.name);
  const armLevels = ['none', ...armNames].sort();
  const columns: Record<string, Column> = {
    id: num((i) => i + 1),
    treat: num((i) => (armOf[i]! >= 0 ? 1 : 0)),
    female: num((i) => people[i]!.female),
    age: num((i) => people[i]!.age),
    foreign: num((i) => people[i]!.foreign),
    education: cat(EDUCATION_LEVELS, (i) => EDUCATION_LEVELS.indexOf(eduLevelOfRank[people[i]!.eduRank] as never)),
    province: cat(PIEDMONT_PROVINCES, (i) => people[i]!.province),
    inoccupato: num((i) => people[i]!.inoccupato),
    months_unemployed: num((i) => people[i]!.monthsUnemployed),
    months_employed_18: num((i) => people[i]!.monthsEmployed18),
    prior_training: num((i) => people[i]!.priorTraining),
    did_date: sortCat(didCodes, didLevels),
    reference_date: sortCat(refCodes, refLevels),
  };
  if (spec.arms.length > 1) columns.pathway = cat(armLevels, (i) => armLevels.indexOf(armOf[i]! >= 0 ? armNames[armOf[i]!]! : 'none'));
  for (const [name, def] of Object.entries(spec.featureColumns ?? {})) {
    const vals = (i: number) => (features[i] && name in features[i]! ? features[i]![name]! : NaN);
    columns[name] = def.levels ? cat(def.levels, (i) => (Number.isNaN(vals(i)) ? -1 : vals(i))) : num(vals);
  }
  const names = Object.keys(columns);
  const m = spellId.length;
  const spells: Table = {
    nRows: m,
    names: ['id', 'start', 'end', 'type', 'sector'],
    columns: {
      id: { kind: 'numeric', values: Float64Array.from(spellId) },
      start: toCat(spellStart),
      end: { kind: 'categorical', codes: new Int32Array(m).fill(-1), levels: [] },
      type: { kind: 'categorical', codes: Int32Array.from(spellType), levels: ['apprenticeship', 'fixed_term', 'open_ended', 'temp_agency'] },
      sector: { kind: 'categorical', codes: Int32Array.from(spellSector), levels: ['construction', 'manufacturing', 'retail', 'services', 'tourism'] },
    },
  };
  return {
    study: spec.study,
    people: { nRows: n, names, columns },
    spells,
    truth: {
      seed: spec.seed,
      horizonMonths: H,
      att,
      curve,
      treatedRate: s1 / nT,
      controlRate: s0 / nT,
      nTreated,
      nControls: n - nT,
    },
    p0,
    p1,
  };
}

function toCat(values: string[]): Column {
  const levels = [...new Set(values)].sort();
  const index = new Map(levels.map((l, k) => [l, k]));
  return { kind: 'categorical', codes: Int32Array.from(values, (v) => index.get(v)!), levels };
}
