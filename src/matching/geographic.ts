/**
 * Geographic + exact matching (the start-up support design): exact strata on categorical
 * variables (sector, province, birth month/year, legal form, size class) and, inside each
 * stratum, the nearest control by great-circle distance, with an optional caliper in km.
 */
import KDBush from 'kdbush';
import type { MatchResult, UnmatchedReason, UnmatchedUnit } from '../contracts.js';
import type { Table } from '../data/table.js';
import { strataOf } from './prepare.js';
import { badArgument, CounterfactError, describeRows } from '../problems.js';
import { buildMatchResult } from './result.js';

/** Mean Earth radius (IUGG), km. */
export const EARTH_RADIUS_KM = 6371.0088;
const RAD = Math.PI / 180;

/** Great-circle distance in km between two points given in degrees (haversine formula). */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = (lat2 - lat1) * RAD;
  const dLon = (lon2 - lon1) * RAD;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

export interface GeographicOptions {
  /** Latitude and longitude in degrees, one per unit. */
  readonly lat: Float64Array;
  readonly lon: Float64Array;
  readonly treatment: Uint8Array;
  /** Exact-matching columns of `data` (e.g. sector, province, birth year-month, legal form). */
  readonly exact?: readonly string[];
  readonly data?: Table;
  /** Controls per treated unit (default 1; every treated gets its first before any its second). */
  readonly ratio?: number;
  /** Match with replacement (default false). */
  readonly replace?: boolean;
  /** Maximum distance in km (default none). */
  readonly caliperKm?: number;
}

/**
 * Nearest-neighbour matching on great-circle distance within exact strata. Treated units are
 * matched greedily in data order (without replacement a control serves one treated unit).
 * Candidates come from a k-d tree (kdbush) per stratum, searched in boxes that grow until the
 * nearest free control is certain: sub-quadratic, no all-pairs distance matrix.
 * Cost: about O(n log n) for spread-out points.
 * @throws CounterfactError for missing or out-of-range coordinates (naming the rows), or bad options.
 * @example matchGeographic({ lat, lon, treatment, exact: ['sector', 'province'], data, caliperKm: 20 }).counts.matchedTreated
 */
export function matchGeographic(options: GeographicOptions): MatchResult {
  const { lat, lon, treatment } = options;
  const n = treatment.length;
  const ratio = options.ratio ?? 1;
  const replace = options.replace ?? false;
  const caliper = options.caliperKm ?? Infinity;
  if (!(Number.isInteger(ratio) && ratio >= 1)) badArgument('ratio', `ratio must be a whole number ≥ 1, received ${ratio}`);
  if (options.caliperKm !== undefined && !(options.caliperKm > 0))
    badArgument('caliperKm', `caliperKm must be a positive number of kilometres, received ${options.caliperKm}`);
  if (lat.length !== n || lon.length !== n) badArgument('lat/lon', `lat and lon must have one value per unit (${n})`);
  const bad: number[] = [];
  let badCount = 0;
  for (let i = 0; i < n; i++) {
    if (!(Math.abs(lat[i]!) <= 90 && Math.abs(lon[i]!) <= 180)) {
      badCount++;
      if (bad.length < 5) bad.push(i);
    }
  }
  if (badCount) {
    throw new CounterfactError({
      code: 'missing_values',
      column: 'lat/lon',
      rows: bad,
      count: badCount,
      message: `${badCount} unit(s) have missing or out-of-range coordinates (${describeRows(bad, badCount)}): geocode them or drop them`,
    });
  }
  if (options.exact?.length && !options.data) badArgument('exact', 'exact matching needs the data: pass options.data');
  if (options.exact?.length && options.data!.nRows !== n) badArgument('data', `data has ${options.data!.nRows} rows but there are ${n} coordinates`);
  // Strata, as every matcher builds them (./prepare.ts).
  const { strata: stratum, nStrata } = options.exact?.length ? strataOf(options.data!, options.exact) : { strata: new Int32Array(n), nStrata: 1 };
  const controls: number[][] = Array.from({ length: nStrata }, () => []);
  for (let i = 0; i < n; i++) if (!treatment[i]) controls[stratum[i]!]!.push(i);
  const index = controls.map((list) => {
    if (list.length === 0) return null;
    const kd = new KDBush(list.length);
    for (const i of list) kd.add(lon[i]!, lat[i]!);
    return kd.finish();
  });
  const used = new Uint8Array(n);
  const free = Int32Array.from(controls, (l) => l.length);
  const nMatches = new Int32Array(n);
  const failed = new Map<number, UnmatchedReason>();
  const mt: number[] = [];
  const mc: number[] = [];
  const perTreatedFound = new Map<number, Set<number>>();

  const nearestFree = (i: number): number => {
    const s = stratum[i]!;
    const kd = index[s];
    const list = controls[s]!;
    if (!kd) return -1;
    const mine = perTreatedFound.get(i);
    let r = 5; // km, first box half-width
    for (;;) {
      const dLat = r / (RAD * EARTH_RADIUS_KM);
      const cosLat = Math.max(0.01, Math.cos(Math.min(89.9, Math.abs(lat[i]!) + dLat / RAD) * RAD));
      const dLon = Math.min(180, r / (RAD * EARTH_RADIUS_KM * cosLat));
      const ids = kd.range(lon[i]! - dLon, lat[i]! - dLat, lon[i]! + dLon, lat[i]! + dLat);
      let best = -1;
      let bd = Infinity;
      for (const k of ids) {
        const c = list[k]!;
        if ((!replace && used[c]) || mine?.has(c)) continue;
        const dist = haversineKm(lat[i]!, lon[i]!, lat[c]!, lon[c]!);
        if (dist < bd || (dist === bd && c < best)) {
          bd = dist;
          best = c;
        }
      }
      // Every point within r km lies in the box, so a best within r is the true nearest.
      if (best >= 0 && bd <= r) return bd <= caliper ? best : -2;
      // Nothing within r ≥ caliper: unmatched; say whether free controls remain in the stratum.
      if (r >= caliper) return free[s]! > 0 ? -2 : -1;
      if (r > Math.PI * EARTH_RADIUS_KM) return best >= 0 ? best : -1; // the box covers the globe
      r *= 2;
    }
  };

  for (let pass = 0; pass < ratio; pass++) {
    for (let i = 0; i < n; i++) {
      if (!treatment[i] || failed.has(i)) continue;
      const c = nearestFree(i);
      if (c < 0) {
        if (nMatches[i] === 0)
          failed.set(i, index[stratum[i]!] === null ? 'no-control-in-stratum' : c === -2 ? 'no-control-within-caliper' : 'controls-exhausted');
        continue;
      }
      if (!replace) {
        used[c] = 1;
        free[stratum[c]!]!--;
      }
      let set = perTreatedFound.get(i);
      if (!set) perTreatedFound.set(i, (set = new Set()));
      set.add(c);
      mt.push(i);
      mc.push(c);
      nMatches[i]!++;
    }
  }
  const order = mt.map((_, k) => k).sort((a, b) => mt[a]! - mt[b]! || a - b);
  const unmatched: UnmatchedUnit[] = [];
  for (let i = 0; i < n; i++) if (treatment[i] && nMatches[i] === 0) unmatched.push({ index: i, reason: failed.get(i) ?? 'controls-exhausted' });
  const warnings: string[] = [];
  if (unmatched.length) warnings.push(`${unmatched.length} treated unit(s) unmatched: ${[...new Set(unmatched.map((u) => u.reason))].join(', ')}`);
  return buildMatchResult({
    method: 'geographic',
    treatment,
    distance: null,
    pairs: {
      treated: Int32Array.from(order, (k) => mt[k]!),
      control: Int32Array.from(order, (k) => mc[k]!),
      weight: Float64Array.from(order, (k) => 1 / nMatches[mt[k]!]!),
    },
    discarded: new Uint8Array(n),
    unmatchedTreated: unmatched,
    settings: {
      method: 'geographic',
      ratio,
      replace,
      caliperKm: options.caliperKm ?? null,
      exact: [...(options.exact ?? [])],
      order: 'data',
      earthRadiusKm: EARTH_RADIUS_KM,
    },
    warnings,
  });
}
