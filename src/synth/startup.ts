/**
 * Synthetic business-register cohort for the start-up support study (MIP). SYNTHETIC DATA,
 * calibrated so the true survival effects equal the published figures; the real ASIA register
 * is confidential.
 *
 * Process (one seeded generator):
 * 1. Firms born January 2010 – December 2013 (birth_year, birth_month), sector (5), province
 *    (8, Turin ≈ half), location (latitude/longitude scattered around the provincial capital),
 *    size_class (solo / 2-5 / 6+), legal_form (sole_proprietorship / company).
 * 2. Selection into MIP support (logit, intercept solved for the treated share): sole
 *    proprietorships, one-person firms, services and retail, and firms near the provincial
 *    capital are supported more often. Supported firms are riskier types, so the naive
 *    survival difference understates the effect.
 * 3. Survival without support: Weibull, shape 0.9, scale depending on legal form, size, sector
 *    and distance to the capital. With support the cumulative hazard is multiplied by θ₁ up to
 *    24 months and by θ₂ after; θ₁, θ₂ are solved so that the mean over supported firms of
 *    S₁(t) − S₀(t) is the published effect at 24 and at 60 months.
 * 4. Follow-up to 31 December 2018 (administrative censoring: at least 60 months for every
 *    firm) and a small random loss to follow-up (exponential, mean 600 months).
 * 5. Event times are drawn independently per firm (one uniform each), so estimates vary across
 *    seeds as real samples would.
 * Birth month and year matter: births in March–June (after MIP's spring intake) are supported
 *    more often and survive a little longer, December births less on both counts, and 2012 births
 *    (the crisis year) survive less — so matching on month and year of birth is needed.
 */
import type { Column, Table } from '../data/table.js';
import { formatDate, parseDate } from '../data/dates.js';
import { createRng } from '../random.js';
import { bisect, drawCategory, logistic } from './common.js';
import { PIEDMONT_PROVINCES } from './register.js';

const CAPITALS: readonly [number, number][] = [
  [44.9124, 8.6155], // AL Alessandria
  [44.9, 8.2065], // AT Asti
  [45.5665, 8.0543], // BI Biella
  [44.3845, 7.5427], // CN Cuneo
  [45.4469, 8.6218], // NO Novara
  [45.0703, 7.6869], // TO Torino
  [45.9214, 8.5518], // VB Verbania
  [45.3202, 8.4185], // VC Vercelli
];
const PROVINCE_SHARES = [0.095, 0.048, 0.039, 0.135, 0.085, 0.505, 0.036, 0.057];
export const STARTUP_SECTORS = ['construction', 'hospitality', 'manufacturing', 'retail', 'services'] as const;
const SECTOR_SHARES = [0.18, 0.14, 0.16, 0.26, 0.26];
const SECTOR_SELECTION = [-0.2, 0.1, -0.3, 0.3, 0.4];
const SECTOR_SURVIVAL = [0.0, -0.35, 0.2, -0.2, 0.1];
export const SIZE_CLASSES = ['2-5', '6+', 'solo'] as const; // sorted
export const LEGAL_FORMS = ['company', 'sole_proprietorship'] as const;
const SHAPE = 0.9;
/** Births in the months after MIP's spring intake are supported more often; December births less. */
const MONTH_SELECTION = [0, 0, 0.4, 0.4, 0.4, 0.4, 0, 0, 0, 0, 0, -0.3];
/** Log-scale survival by birth month: spring births last longer, December births (year-end registrations) less. */
const MONTH_SURVIVAL = [0, 0, 0.1, 0.1, 0.1, 0.1, 0, 0, 0, 0, 0, -0.3];

export interface StartupSpec {
  readonly seed: number;
  readonly nFirms: number;
  readonly treatedShare: number;
  /** True survival effects (probability scale) at 24 and 60 months. */
  readonly effect24: number;
  readonly effect60: number;
}

export interface StartupCohort {
  readonly study: string;
  readonly firms: Table;
  readonly truth: {
    readonly seed: number;
    readonly effect24: number;
    readonly effect60: number;
    readonly theta1: number;
    readonly theta2: number;
    readonly nTreated: number;
    readonly nControls: number;
  };
}

/** Generate the start-up cohort (see the module comment). Deterministic for a seed. O(n). */
export function generateStartupCohort(spec: StartupSpec): StartupCohort {
  const rng = createRng(spec.seed);
  const n = spec.nFirms;
  const sector = new Int32Array(n),
    prov = new Int32Array(n),
    size = new Int32Array(n),
    legal = new Int32Array(n);
  const year = new Float64Array(n),
    month = new Float64Array(n),
    lat = new Float64Array(n),
    lon = new Float64Array(n);
  const birth = new Float64Array(n);
  const sel = new Float64Array(n);
  const lambda = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    sector[i] = drawCategory(rng, SECTOR_SHARES);
    prov[i] = drawCategory(rng, PROVINCE_SHARES);
    const r = 0.25 * Math.sqrt(rng.next());
    const a = 2 * Math.PI * rng.next();
    lat[i] = CAPITALS[prov[i]!]![0] + r * Math.cos(a);
    lon[i] = CAPITALS[prov[i]!]![1] + (r * Math.sin(a)) / Math.cos((45 * Math.PI) / 180);
    const km = r * 111;
    size[i] = drawCategory(rng, [0.3, 0.1, 0.6]); // 2-5, 6+, solo
    legal[i] = rng.bernoulli(size[i] === 2 ? 0.8 : 0.35); // 1 = sole proprietorship
    year[i] = 2010 + rng.int(4);
    month[i] = 1 + rng.int(12);
    birth[i] = parseDate(`${year[i]}-${String(month[i]).padStart(2, '0')}-01`) + rng.int(28);
    const solo = size[i] === 2 ? 1 : 0;
    const m = month[i]!;
    sel[i] = 0.8 * legal[i]! + 0.5 * solo + SECTOR_SELECTION[sector[i]!]! - 0.03 * km + MONTH_SELECTION[m - 1]! + (year[i]! >= 2012 ? 0.2 : 0);
    lambda[i] = Math.exp(
      4.35 +
        0.35 * (1 - legal[i]!) +
        (size[i] === 0 ? 0.25 : size[i] === 1 ? 0.5 : 0) +
        SECTOR_SURVIVAL[sector[i]!]! +
        0.004 * km +
        MONTH_SURVIVAL[m - 1]! +
        (year[i] === 2012 ? -0.15 : 0),
    );
  }
  const alpha = bisect(
    (x) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += logistic(x + sel[i]!);
      return s / n - spec.treatedShare;
    },
    -30,
    30,
  );
  const treat = new Uint8Array(n);
  const treated: number[] = [];
  for (let i = 0; i < n; i++) if ((treat[i] = rng.bernoulli(logistic(alpha + sel[i]!)))) treated.push(i);
  const H0 = (i: number, t: number) => (t / lambda[i]!) ** SHAPE;
  const H1 = (i: number, t: number, th1: number, th2: number) => (t <= 24 ? th1 * H0(i, t) : th1 * H0(i, 24) + th2 * (H0(i, t) - H0(i, 24)));
  const meanDiff = (t: number, th1: number, th2: number) =>
    treated.reduce((s, i) => s + Math.exp(-H1(i, t, th1, th2)) - Math.exp(-H0(i, t)), 0) / treated.length;
  const theta1 = bisect((x) => spec.effect24 + meanDiff(24, x, x) * -1, 0.01, 3);
  const theta2 = bisect((x) => spec.effect60 + meanDiff(60, theta1, x) * -1, 0.01, 3);
  // Event-time uniforms, one independent draw per firm: U < S(t) ⇔ alive at t.
  const U = new Float64Array(n);
  for (let i = 0; i < n; i++) U[i] = rng.next();
  const end = parseDate('2018-12-31');
  const time = new Float64Array(n);
  const closed = new Float64Array(n);
  const endLevels: string[] = [];
  const endCodes = new Int32Array(n).fill(-1);
  const endIndex = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const target = -Math.log(U[i]!);
    let T: number;
    if (!treat[i]) T = lambda[i]! * target ** (1 / SHAPE);
    else if (target <= theta1 * H0(i, 24)) T = lambda[i]! * (target / theta1) ** (1 / SHAPE);
    else T = lambda[i]! * (H0(i, 24) + (target - theta1 * H0(i, 24)) / theta2) ** (1 / SHAPE);
    const follow = (end - birth[i]!) / 30.4375;
    const loss = -600 * Math.log(1 - rng.next());
    const c = Math.min(follow, loss);
    time[i] = Math.round(Math.min(T, c) * 100) / 100;
    closed[i] = T <= c ? 1 : 0;
    if (closed[i]) {
      const s = formatDate(birth[i]! + Math.round(T * 30.4375));
      let k = endIndex.get(s);
      if (k === undefined) endIndex.set(s, (k = endLevels.length)), endLevels.push(s);
      endCodes[i] = k;
    }
  }
  const num = (v: ArrayLike<number>): Column => ({ kind: 'numeric', values: Float64Array.from(v) });
  const cat = (codes: Int32Array, levels: readonly string[]): Column => ({ kind: 'categorical', codes, levels });
  const birthLevels = [...new Set(Array.from(birth, (d) => formatDate(d)))].sort();
  const bIndex = new Map(birthLevels.map((l, k) => [l, k]));
  const sortedEnd = [...endLevels].sort();
  const eIndex = new Map(sortedEnd.map((l, k) => [l, k]));
  const firms: Table = {
    nRows: n,
    names: [
      'id',
      'treat',
      'sector',
      'province',
      'lat',
      'lon',
      'birth_date',
      'birth_year',
      'birth_month',
      'size_class',
      'legal_form',
      'closure_date',
      'time_months',
      'closed',
    ],
    columns: {
      id: num(Float64Array.from({ length: n }, (_, i) => i + 1)),
      treat: num(treat),
      sector: cat(sector, STARTUP_SECTORS),
      province: cat(prov, PIEDMONT_PROVINCES),
      lat: num(lat.map((x) => Math.round(x * 1e5) / 1e5)),
      lon: num(lon.map((x) => Math.round(x * 1e5) / 1e5)),
      birth_date: cat(
        Int32Array.from(birth, (d) => bIndex.get(formatDate(d))!),
        birthLevels,
      ),
      birth_year: num(year),
      birth_month: num(month),
      size_class: cat(size, SIZE_CLASSES),
      legal_form: cat(legal, LEGAL_FORMS),
      closure_date: cat(
        endCodes.map((c) => (c < 0 ? -1 : eIndex.get(endLevels[c]!)!)),
        sortedEnd,
      ),
      time_months: num(time),
      closed: num(closed),
    },
  };
  return {
    study: 'start-up support',
    firms,
    truth: {
      seed: spec.seed,
      effect24: meanDiff(24, theta1, theta1),
      effect60: meanDiff(60, theta1, theta2),
      theta1,
      theta2,
      nTreated: treated.length,
      nControls: n - treated.length,
    },
  };
}
