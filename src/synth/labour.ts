/**
 * Synthetic cohorts of job-centre registrants for the labour-market studies (vocational
 * training, job-service vouchers). SYNTHETIC DATA: the real registers are confidential. Each
 * cohort is a person register plus contract spells, generated from the seeded process below and
 * documented in docs/studies.md and docs/reproducing.md. The pipeline sees only the register
 * and the spells; it has to rebuild the work history from the spells and recover the effect.
 *
 * Process (one seeded generator, fixed draw order):
 * 1. Register, per person: female ~ Bern(.5); age 18–64 (more mass at younger ages) plus the
 *    cohort's `frailty.ageYears`; foreign ~ Bern(.15); education none / lower secondary / upper
 *    secondary / tertiary, shares (.12, .38, .35, .15) moved towards (.22, .46, .26, .06) by
 *    `frailty.education` ∈ [0, 1]; province (8, Turin ≈ half); prior public training ~
 *    Bern(.12); an unobserved U ~ N(0, 1) (used only by the hidden-confounder variant; never
 *    written to the register).
 * 2. Dating: a treated person's reference date is their course end / intake, uniform in the
 *    window; a control's is the cohort date (the documented date at which controls are measured,
 *    `cohortDate`). Everything below is relative to that date r.
 * 3. Contract spells before r: never employed (inoccupato) ~ Bern(.45) under 22, Bern(.17)
 *    otherwise (and anyone whose history window holds no contract): no contract, DID
 *    `minMonthsUnemployed` + Exp(mean 12) months before r. Otherwise the current unemployment
 *    spell lasts `minMonthsUnemployed` + Exp(mean 14) months (the last contract ended then, DID
 *    a few days later), and contracts go backwards from there: length Exp(mean 9 months) (at
 *    least 15 days), gaps Exp(mean 4 months), one to six contracts, none before r − 8 years.
 *    Each contract has a type (apprenticeship mostly under 30, fixed-term, open-ended,
 *    temp-agency; persistent per person), a sector (a person's own sector with probability .65)
 *    and a contractual qualification (labourer < skilled labourer < clerk < technician < manager;
 *    from education, a person-level skill and experience).
 * 4. The process's own work-history covariates at r (computed here from the spells, with the
 *    definitions of docs/work-history.md): employed in each of months 1…18 before r, highest
 *    qualification, sector of the longest contract, most-used contract type, months since DID,
 *    never employed.
 * 5. Selection (logit, intercept solved for the treated share) on the register and the work
 *    history: younger, more educated, more qualified, employed earlier in the 18 months, shorter
 *    unemployed, previously trained, Italian and female registrants take part more, plus
 *    `hidden.selection` × U. Treated units get an arm and study-specific programme features.
 * 6. Employment without the programme at the horizon H: P0 = logistic(b0 + x'β + hidden.outcome
 *    × U), with recent employment (months 1–6) the strongest predictor; b0 is solved so that the
 *    treated's mean P0 equals `controlRate` when given, else `baselineIntercept`. With the
 *    programme P1 = logistic(logit P0 + γ_arm + modifiers), γ_arm solved so that the arm's mean
 *    P1 − P0 over its treated equals the arm's `effect` (a DGP target: docs/reproducing.md says
 *    which targets come from published figures).
 * 7. Outcomes are drawn at random per person (independent Bernoulli through one uniform u per
 *    person), so the spread of estimates across seeds is the real sampling spread. Employment
 *    over time: F(h) = P∞ (1 − exp(−h / τ)), τ = 7 months, F(H) = P; the job (one open-ended
 *    contract) starts F⁻¹(u) months after r, never when u ≥ P∞. Effects therefore grow with h.
 */
import type { Column, Table } from '../data/table.js';
import { addMonths, formatDate as formatDay, parseDate } from '../data/dates.js';
import { createRng, type Rng } from '../random.js';
import { bisect, drawCategory, logistic, logit } from './common.js';
import { PIEDMONT_PROVINCES } from './register.js';

export const EDUCATION_LEVELS = ['lower_secondary', 'none', 'tertiary', 'upper_secondary'] as const; // sorted
/** Contractual qualification levels, lowest first (the order the history step ranks them in). */
export const QUALIFICATION_ORDER = ['labourer', 'skilled_labourer', 'clerk', 'technician', 'manager'] as const;
export const CONTRACT_TYPES = ['apprenticeship', 'fixed_term', 'open_ended', 'temp_agency'] as const;
export const CONTRACT_SECTORS = ['construction', 'manufacturing', 'retail', 'services', 'tourism'] as const;
const SECTOR_SHARES = [0.12, 0.26, 0.2, 0.27, 0.15];
const SECTOR_SELECTION = [-0.1, 0.15, 0, 0.05, -0.1];
const SECTOR_OUTCOME = [0.05, 0.15, -0.05, 0.05, -0.15];
const TYPE_SELECTION = [0.1, 0, -0.25, 0.1];
const TYPE_OUTCOME = [0.1, 0, 0.2, 0.1];
const PROVINCE_SHARES = [0.095, 0.048, 0.039, 0.135, 0.085, 0.505, 0.036, 0.057];
const PROVINCE_SELECTION = [0.1, -0.1, 0.05, 0.15, 0, -0.05, 0.1, 0];
const PROVINCE_OUTCOME = [0.05, 0.1, -0.05, 0.25, 0.1, -0.05, 0, -0.1];
const EDU_BASE = [0.12, 0.38, 0.35, 0.15];
const EDU_FRAIL = [0.22, 0.46, 0.26, 0.06];
export const TAU_MONTHS = 7;
export const HISTORY_MONTHS = 18;
const DAYS_PER_MONTH = 30.4375;

/** Person-level draws and the process's own work history, available to the study-specific parts. */
export interface Person {
  female: number;
  age: number;
  foreign: number;
  /** 0 none … 3 tertiary. */
  eduRank: number;
  province: number;
  priorTraining: number;
  inoccupato: number;
  /** Whole months from the DID to the reference date. */
  monthsUnemployed: number;
  /** Months employed among the 18 before the reference date. */
  monthsEmployed18: number;
  /** Employed in months 1…18 before the reference date (index 0 = month 1). */
  emp: Uint8Array;
  /** Highest qualification rank (−1 never employed). */
  highestQual: number;
  /** Sector of the longest contract (−1 never employed). */
  longestSector: number;
  /** Most-used contract type (−1 never employed). */
  mainType: number;
  /** The unobserved confounder (not in the register). */
  hidden: number;
}

export interface ArmSpec {
  readonly name: string;
  /** Share of the treated in this arm. */
  readonly share: number;
  /** True effect at the horizon (probability scale): a target of the process. */
  readonly effect: number;
}

export interface LabourCohortSpec {
  readonly study: string;
  readonly seed: number;
  readonly nPeople: number;
  readonly treatedShare: number;
  readonly horizonMonths: number;
  /** Target mean P0 among the treated; null: use `baselineIntercept`. */
  readonly controlRate: number | null;
  readonly baselineIntercept?: number;
  readonly arms: readonly ArmSpec[];
  /** First and last reference (course end / intake) date of the treated, ISO. */
  readonly referenceWindow: readonly [string, string];
  /** The date controls are measured at (ISO). */
  readonly cohortDate: string;
  /** Everyone has been registered unemployed at least this long at the reference date (vouchers: 6). */
  readonly minMonthsUnemployed?: number;
  /** Frailer cohorts: years added to age, and how far education moves to the lower shares (0–1). */
  readonly frailty?: { readonly ageYears: number; readonly education: number };
  /** An unobserved confounder: log-odds per SD of U in selection and in the outcome. */
  readonly hidden?: { readonly selection: number; readonly outcome: number };
  /** Extra selection log-odds per person (e.g. OSS courses draw women). */
  readonly selectionExtra?: (p: Person) => number;
  /** Log-odds effect modifiers for a treated person in an arm (heterogeneity). */
  readonly modifier: (p: Person, arm: string, features: Record<string, number>) => number;
  /** Programme features per treated person (e.g. course hours and sector), drawn here. */
  readonly features?: (p: Person, arm: string, rng: Rng) => Record<string, number>;
  /** Extra person-level columns from the features: name → { levels } (NaN / −1 for controls). */
  readonly featureColumns?: Readonly<Record<string, { levels?: readonly string[] }>>;
}

export interface LabourCohort {
  readonly study: string;
  readonly people: Table;
  readonly spells: Table;
  /** The date controls are measured at (ISO), as the spec gave it. */
  readonly cohortDate: string;
  readonly truth: {
    readonly seed: number;
    readonly horizonMonths: number;
    /** True ATT at the horizon per arm and overall (mean over treated of P1 − P0). */
    readonly att: Readonly<Record<string, number>>;
    /** True ATT curve, months 1…36, overall and per arm. */
    readonly curve: readonly { horizon: number; att: number }[];
    readonly armCurves: Readonly<Record<string, readonly number[]>>;
    readonly treatedRate: number;
    readonly controlRate: number;
    readonly nTreated: Readonly<Record<string, number>>;
    readonly nControls: number;
    readonly baselineIntercept: number;
    readonly gamma: Readonly<Record<string, number>>;
  };
  /** Per-person process values (for tests of the truth and of the history step). */
  readonly persons: readonly Person[];
  readonly arm: Int32Array;
  readonly referenceDays: Float64Array;
  readonly p0: Float64Array;
  readonly p1: Float64Array;
}

const dayText = new Map<number, string>();
/** formatDate, memoised (a cohort writes a few thousand distinct days hundreds of thousands of times). */
function formatDate(d: number): string {
  let t = dayText.get(d);
  if (t === undefined) {
    t = formatDay(d);
    if (dayText.size < 100_000) dayText.set(d, t);
  }
  return t;
}

const clip = (p: number) => Math.min(0.89, Math.max(0.01, p));

interface Contract {
  start: number;
  end: number;
  type: number;
  sector: number;
  qual: number;
}

/**
 * Generate one synthetic labour-market cohort (see the module comment for the process).
 * Deterministic for a seed. Cost: O(nPeople + spells × 18).
 */
export function generateLabourCohort(spec: LabourCohortSpec): LabourCohort {
  const rng = createRng(spec.seed);
  const n = spec.nPeople;
  const minU = spec.minMonthsUnemployed ?? 0;
  const frail = spec.frailty ?? { ageYears: 0, education: 0 };
  const hid = spec.hidden ?? { selection: 0, outcome: 0 };
  const eduShares = EDU_BASE.map((b, k) => b + frail.education * (EDU_FRAIL[k]! - b));
  const w0 = parseDate(spec.referenceWindow[0]);
  const w1 = parseDate(spec.referenceWindow[1]);
  const cohortDay = parseDate(spec.cohortDate);
  // Treatment is decided after the history; the reference date depends on it, but the history
  // is generated backwards from the last contract's end, relative to r. Draw a window date for
  // everyone now (fixed draw order); controls use the cohort date.
  const people: Person[] = new Array(n);
  const contracts: Contract[][] = new Array(n);
  const did = new Float64Array(n);
  const windowDay = new Float64Array(n);
  const unemployedDays = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    const age = Math.min(64, Math.round(18 + 46 * (0.55 * u * u + 0.45 * u) + frail.ageYears));
    const female = rng.bernoulli(0.5);
    const foreign = rng.bernoulli(0.15);
    const eduRank = drawCategory(rng, eduShares);
    const province = drawCategory(rng, PROVINCE_SHARES);
    const priorTraining = rng.bernoulli(0.12);
    const hidden = rng.normal();
    const skill = 0.7 * rng.normal();
    windowDay[i] = w0 + rng.int(w1 - w0 + 1);
    const inoccupato = age < 22 ? rng.bernoulli(0.45) : rng.bernoulli(0.17);
    const list: Contract[] = [];
    if (inoccupato) {
      unemployedDays[i] = Math.round((minU + -12 * Math.log(1 - rng.next())) * DAYS_PER_MONTH);
    } else {
      const gapMonths = minU + -14 * Math.log(1 - rng.next());
      unemployedDays[i] = Math.round(gapMonths * DAYS_PER_MONTH);
      const ownSector = drawCategory(rng, SECTOR_SHARES);
      const typeShares = age < 30 ? [0.3, 0.35, 0.15, 0.2] : [0.02, 0.45, 0.28, 0.25];
      const ownType = drawCategory(rng, typeShares);
      // Offsets in days before r (positive numbers), converted to dates once r is known.
      let end = unemployedDays[i]! + 1 + rng.int(20); // the last contract ended before the DID
      const horizon = Math.min(8 * 365, Math.max(365, (age - 16) * 365));
      const nMax = 1 + rng.int(6);
      for (let k = 0; k < nMax && end < horizon; k++) {
        const len = Math.max(15, Math.round(-9 * DAYS_PER_MONTH * Math.log(1 - rng.next())));
        const start = end + len - 1;
        const type = rng.next() < 0.7 ? ownType : drawCategory(rng, typeShares);
        const sector = rng.next() < 0.65 ? ownSector : rng.int(5);
        const qual = Math.max(0, Math.min(4, Math.round(0.75 * eduRank - 0.6 + skill + 0.1 * (nMax - k) + 0.4 * rng.normal())));
        list.push({ start, end, type, sector, qual });
        end = start + 1 + Math.round(-4 * DAYS_PER_MONTH * Math.log(1 - rng.next()));
      }
    }
    contracts[i] = list;
    people[i] = {
      female,
      age,
      foreign,
      eduRank,
      province,
      priorTraining,
      // Never employed = no contract before r (also when the history window held none).
      inoccupato: list.length === 0 ? 1 : 0,
      monthsUnemployed: 0,
      monthsEmployed18: 0,
      emp: new Uint8Array(HISTORY_MONTHS),
      highestQual: -1,
      longestSector: -1,
      mainType: -1,
      hidden,
    };
  }
  // Selection needs the history at r; r differs between treated (window) and controls (cohort
  // date) by at most the window, and the history is built relative to r, so the history in
  // "days before r" is the same either way: compute it with the window date, then re-anchor.
  const sel = new Float64Array(n);
  const out0 = new Float64Array(n);
  const monthDays = new Map<number, number[]>();
  const historyAt = (i: number, r: number) => {
    const p = people[i]!;
    const list = contracts[i]!;
    // Convert offsets (days before r) to dates.
    let employed = 0;
    let back = monthDays.get(r);
    if (!back) monthDays.set(r, (back = Array.from({ length: HISTORY_MONTHS }, (_, k) => addMonths(r, -(k + 1)))));
    for (let k = 1; k <= HISTORY_MONTHS; k++) {
      const day = back[k - 1]!;
      let e = 0;
      for (const c of list) if (r - c.start <= day && day <= r - c.end) e = 1;
      p.emp[k - 1] = e;
      employed += e;
    }
    p.monthsEmployed18 = employed;
    const didDay = r - unemployedDays[i]!;
    p.monthsUnemployed = monthsBetween(didDay, r);
    did[i] = didDay;
    let hq = -1;
    let best = -1;
    let bestLen = -1;
    const typeCount = [0, 0, 0, 0];
    // Contracts are listed latest first; ties in length go to the earliest-starting contract.
    for (let k = list.length - 1; k >= 0; k--) {
      const c = list[k]!;
      if (c.qual > hq) hq = c.qual;
      const len = c.start - c.end;
      if (len > bestLen) {
        bestLen = len;
        best = c.sector;
      }
      typeCount[c.type]!++;
    }
    let mt = -1;
    let mc = 0;
    for (let t = 0; t < 4; t++) if (typeCount[t]! > mc) [mt, mc] = [t, typeCount[t]!];
    p.highestQual = hq;
    p.longestSector = best;
    p.mainType = mt;
  };
  for (let i = 0; i < n; i++) {
    historyAt(i, cohortDay);
    const p = people[i]!;
    let early = 0;
    let recent = 0;
    for (let k = 0; k < 6; k++) recent += p.emp[k]!;
    for (let k = 6; k < HISTORY_MONTHS; k++) early += p.emp[k]!;
    const ever = p.inoccupato ? 0 : 1;
    const mu = Math.min(p.monthsUnemployed, 60);
    sel[i] =
      -0.035 * (p.age - 40) +
      0.3 * p.eduRank +
      0.12 * Math.max(0, p.highestQual) -
      0.02 * mu +
      0.05 * early +
      0.02 * recent +
      0.7 * p.priorTraining +
      0.25 * p.female -
      0.3 * p.inoccupato -
      0.35 * p.foreign +
      (ever ? SECTOR_SELECTION[p.longestSector]! + TYPE_SELECTION[p.mainType]! : 0) +
      PROVINCE_SELECTION[p.province]! +
      hid.selection * p.hidden +
      (spec.selectionExtra?.(p) ?? 0);
    out0[i] =
      -0.03 * (p.age - 40) +
      0.25 * p.eduRank +
      0.1 * Math.max(0, p.highestQual) -
      0.03 * mu +
      0.02 * early +
      0.12 * recent -
      0.45 * p.inoccupato -
      0.25 * p.foreign +
      0.2 * p.priorTraining +
      0.05 * p.female +
      (ever ? SECTOR_OUTCOME[p.longestSector]! + TYPE_OUTCOME[p.mainType]! : 0) +
      PROVINCE_OUTCOME[p.province]! +
      hid.outcome * p.hidden;
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
  // Reference dates: treated at their window date (history re-anchored there), controls at the cohort date.
  const refDays = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    refDays[i] = armOf[i]! >= 0 ? windowDay[i]! : cohortDay;
    if (armOf[i]! >= 0) historyAt(i, refDays[i]!);
  }
  const features: (Record<string, number> | null)[] = new Array(n).fill(null);
  for (let i = 0; i < n; i++) if (armOf[i]! >= 0 && spec.features) features[i] = spec.features(people[i]!, spec.arms[armOf[i]!]!.name, rng);
  const b0 =
    spec.controlRate === null
      ? (spec.baselineIntercept ?? 0)
      : bisect(
          (b) => {
            let s = 0,
              c = 0;
            for (let i = 0; i < n; i++)
              if (armOf[i]! >= 0) {
                s += clip(logistic(b + out0[i]!));
                c++;
              }
            return s / c - spec.controlRate!;
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
  const gamma: Record<string, number> = {};
  const nTreated: Record<string, number> = {};
  const H = spec.horizonMonths;
  const scaleH = 1 - Math.exp(-H / TAU_MONTHS);
  const armCurves: Record<string, number[]> = {};
  spec.arms.forEach((arm, a) => {
    const members: number[] = [];
    for (let i = 0; i < n; i++) if (armOf[i] === a) members.push(i);
    const meanEffect = (g: number) => members.reduce((s, i) => s + clip(logistic(logit(p0[i]!) + g + mods[i]!)) - p0[i]!, 0) / members.length;
    const g = bisect((x) => meanEffect(x) - arm.effect, -10, 10);
    for (const i of members) p1[i] = clip(logistic(logit(p0[i]!) + g + mods[i]!));
    att[arm.name] = meanEffect(g);
    gamma[arm.name] = g;
    nTreated[arm.name] = members.length;
    armCurves[arm.name] = Array.from({ length: 36 }, (_, h) => (att[arm.name]! * (1 - Math.exp(-(h + 1) / TAU_MONTHS))) / scaleH);
  });
  // Outcomes: one independent uniform per person; job spells after r.
  const spellId: number[] = [];
  const spellStart: string[] = [];
  const spellEnd: string[] = [];
  const spellType: number[] = [];
  const spellSector: number[] = [];
  const spellQual: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = refDays[i]!;
    for (const c of contracts[i]!) {
      spellId.push(i + 1);
      spellStart.push(formatDate(r - c.start));
      spellEnd.push(formatDate(r - c.end));
      spellType.push(c.type);
      spellSector.push(c.sector);
      spellQual.push(c.qual);
    }
    const P = armOf[i]! >= 0 ? p1[i]! : p0[i]!;
    const pInf = P / scaleH;
    const u = rng.next();
    const t = rng.int(4);
    const s = rng.int(5);
    const q = Math.max(0, Math.min(4, people[i]!.highestQual < 0 ? rng.int(2) : people[i]!.highestQual + rng.int(2) - rng.int(2)));
    if (u < pInf) {
      const months = -TAU_MONTHS * Math.log(1 - u / pInf);
      spellId.push(i + 1);
      spellStart.push(formatDate(r + Math.round(months * DAYS_PER_MONTH)));
      spellEnd.push('');
      spellType.push(t);
      spellSector.push(s);
      spellQual.push(q);
    }
  }
  let nT = 0;
  let s1 = 0,
    s0 = 0;
  for (let i = 0; i < n; i++)
    if (armOf[i]! >= 0) {
      nT++;
      s1 += p1[i]!;
      s0 += p0[i]!;
    }
  att.overall = (s1 - s0) / nT;
  const curve = Array.from({ length: 36 }, (_, h) => ({ horizon: h + 1, att: (att.overall! * (1 - Math.exp(-(h + 1) / TAU_MONTHS))) / scaleH }));
  // People table: the register only (the work history is in the spells).
  const num = (f: (i: number) => number): Column => ({ kind: 'numeric', values: Float64Array.from({ length: n }, (_, i) => f(i)) });
  const cat = (levels: readonly string[], f: (i: number) => number): Column => ({
    kind: 'categorical',
    codes: Int32Array.from({ length: n }, (_, i) => f(i)),
    levels,
  });
  const eduLevelOfRank = ['none', 'lower_secondary', 'upper_secondary', 'tertiary'];
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
    prior_training: num((i) => people[i]!.priorTraining),
    // Register summaries kept for the examples in the other docs (a CPI register records the
    // status and the DID); the reproduction rebuilds the work history from the spells instead.
    inoccupato: num((i) => people[i]!.inoccupato),
    months_unemployed: num((i) => people[i]!.monthsUnemployed),
    months_employed_18: num((i) => people[i]!.monthsEmployed18),
    did_date: toCat(Array.from(did, (d) => formatDate(d))),
    reference_date: toCat(Array.from(refDays, (d, i) => (armOf[i]! >= 0 ? formatDate(d) : null))),
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
    names: ['id', 'start', 'end', 'type', 'sector', 'qualification'],
    columns: {
      id: { kind: 'numeric', values: Float64Array.from(spellId) },
      start: toCat(spellStart),
      end: toCat(spellEnd.map((e) => (e === '' ? null : e))),
      type: { kind: 'categorical', codes: Int32Array.from(spellType), levels: CONTRACT_TYPES },
      sector: { kind: 'categorical', codes: Int32Array.from(spellSector), levels: CONTRACT_SECTORS },
      qualification: { kind: 'categorical', codes: Int32Array.from(spellQual), levels: [...QUALIFICATION_ORDER] },
    },
  };
  return {
    study: spec.study,
    people: { nRows: n, names, columns },
    spells,
    cohortDate: spec.cohortDate,
    truth: {
      seed: spec.seed,
      horizonMonths: H,
      att,
      curve,
      armCurves,
      treatedRate: s1 / nT,
      controlRate: s0 / nT,
      nTreated,
      nControls: n - nT,
      baselineIntercept: b0,
      gamma,
    },
    persons: people,
    arm: armOf,
    referenceDays: refDays,
    p0,
    p1,
  };
}

/** Whole calendar months from day a to day b (a ≤ b): the largest k with a + k months ≤ b (day of month compared). */
function monthsBetween(a: number, b: number): number {
  const da = new Date(a * 86_400_000);
  const db = new Date(b * 86_400_000);
  const k = (db.getUTCFullYear() - da.getUTCFullYear()) * 12 + db.getUTCMonth() - da.getUTCMonth();
  return Math.max(0, addMonths(a, k) <= b ? k : k - 1);
}

function toCat(values: readonly (string | null)[]): Column {
  const levels = [...new Set(values.filter((v): v is string => v !== null))].sort();
  const index = new Map(levels.map((l, k) => [l, k]));
  return { kind: 'categorical', codes: Int32Array.from(values, (v) => (v === null ? -1 : index.get(v)!)), levels };
}
