/**
 * A slow, literal transcription of MatchIt 4.7.2's nearest-neighbour walk (`nn_matchC_vec` and
 * `find_control_vec` in its src/): one position at a time over all units, alternating left and
 * right. It is the oracle the fast matcher (free lists, simulated walks) is checked against.
 * O(n) per treated unit; for tests only.
 */
import { partialSortFirst } from '../../src/matching/nearest.js';

export interface WalkOptions {
  ratio?: number;
  replace?: boolean;
  /** Caliper in distance units (Infinity for none). */
  width?: number;
  order?: 'largest' | 'smallest' | 'data';
  /** Stratum per unit (exact matching). */
  strata?: ArrayLike<number>;
}

/** Controls of each treated unit, in the order MatchIt's match matrix holds them. */
export function matchitWalk(d: ArrayLike<number>, t: ArrayLike<number>, o: WalkOptions = {}): Map<number, number[]> {
  const n = d.length;
  const ratio = o.ratio ?? 1;
  const width = o.width ?? Infinity;
  const strata = o.strata;
  const sorted = Array.from({ length: n }, (_, i) => i).sort((a, b) => d[a]! - d[b]! || a - b);
  const pos = new Array<number>(n);
  sorted.forEach((u, p) => (pos[u] = p));
  let treated = Array.from({ length: n }, (_, i) => i).filter((i) => t[i]);
  if (o.order === 'largest' || o.order === undefined) treated = [...treated].sort((a, b) => d[b]! - d[a]! || a - b);
  if (o.order === 'smallest') treated = [...treated].sort((a, b) => d[a]! - d[b]! || a - b);
  const eligible = Array.from({ length: n }, (_, i) => !t[i]);
  const out = new Map<number, number[]>();

  const find = (ti: number, want: number, r: number): number[] => {
    const ii = pos[ti]!;
    const prev = out.get(ti) ?? [];
    let iil = ii,
      iir = ii,
      minDist = 0;
    if (r > 1) {
      const starts = [...prev.map((c) => pos[c]!), ii];
      iil = Math.min(...starts);
      iir = Math.max(...starts);
      const dl = Math.abs(d[ti]! - d[sorted[iil]!]!);
      const dr = Math.abs(d[ti]! - d[sorted[iir]!]!);
      minDist = iil === ii ? dr : iir === ii ? dl : Math.max(dl, dr);
    }
    let lStop = false,
      rStop = false,
      left = false,
      nl = 0,
      nr = 0;
    const ids: number[] = [],
      dists: number[] = [];
    while (!lStop || !rStop) {
      left = lStop ? false : rStop ? true : !left;
      let iz: number;
      if (left) {
        if (iil <= 0 || nl === want) {
          lStop = true;
          continue;
        }
        iz = sorted[--iil]!;
      } else {
        if (iir >= n - 1 || nr === want) {
          rStop = true;
          continue;
        }
        iz = sorted[++iir]!;
      }
      if (!eligible[iz] || t[iz]) continue;
      if (prev.includes(iz)) continue;
      const dist = Math.abs(d[ti]! - d[iz]!);
      if (dist > width) {
        if (left) lStop = true;
        else rStop = true;
        continue;
      }
      if (dist < minDist) continue;
      if (ids.length >= want && dists.filter((x) => x < dist).length >= want) {
        if (left) lStop = true;
        else rStop = true;
        continue;
      }
      if (strata && strata[ti] !== strata[iz]) continue;
      ids.push(iz);
      dists.push(dist);
      if (left) {
        if (++nl === want) lStop = true;
      } else if (++nr === want) rStop = true;
    }
    if (ids.length <= want) return ids;
    return partialSortFirst(ids, dists, want);
  };

  if (o.replace) {
    for (const ti of treated) {
      const k = find(ti, ratio, 1);
      if (k.length) out.set(ti, k);
    }
    return out;
  }
  const failed = new Set<number>();
  for (let r = 1; r <= ratio; r++) {
    for (const ti of treated) {
      if (failed.has(ti)) continue;
      const k = find(ti, 1, r);
      if (k.length === 0) {
        failed.add(ti);
        continue;
      }
      out.set(ti, [...(out.get(ti) ?? []), k[0]!]);
      eligible[k[0]!] = false;
    }
  }
  return out;
}
